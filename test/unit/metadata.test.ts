import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { writeZip } from '../../src/core/archive.js';
import { parseTwineCheck } from '../../src/stages/metadata.js';
import { parseCoreMetadata, readPackageMetadata } from '../../src/core/package-metadata.js';

// twine 7's report, as it prints it with NO_COLOR and a wide COLUMNS.
const NO_README = `Checking out/nr-0.1.0-py3-none-any.whl: PASSED with warnings
WARNING  \`long_description_content_type\` missing. defaulting to \`text/x-rst\`.
WARNING  \`long_description\` missing.
Checking out/nr-0.1.0.tar.gz: PASSED with warnings
WARNING  \`long_description\` missing.
`;
const BROKEN_RST = `Checking out/nr-0.1.0-py3-none-any.whl: FAILED
ERROR    \`long_description\` has syntax errors in markup and would not be rendered on PyPI.
         line 4: Error: Error in "image" directive:
         unknown option: "bad".

         .. image::
            :bad: x
Checking out/ok-0.1.0-py3-none-any.whl: PASSED
`;

describe('twine check, read', () => {
  it('warnings per file, errors none', () => {
    expect(parseTwineCheck(NO_README)).toEqual([
      { file: 'nr-0.1.0-py3-none-any.whl', errors: [], warnings: ['`long_description_content_type` missing. defaulting to `text/x-rst`.', '`long_description` missing.'] },
      { file: 'nr-0.1.0.tar.gz', errors: [], warnings: ['`long_description` missing.'] },
    ]);
  });

  it('an error with its continuation lines, and a file that passed', () => {
    expect(parseTwineCheck(BROKEN_RST)).toEqual([
      {
        file: 'nr-0.1.0-py3-none-any.whl',
        errors: ['`long_description` has syntax errors in markup and would not be rendered on PyPI.\nline 4: Error: Error in "image" directive:\nunknown option: "bad".\n.. image::\n:bad: x'],
        warnings: [],
      },
      { file: 'ok-0.1.0-py3-none-any.whl', errors: [], warnings: [] },
    ]);
  });

  it('an error about no file at all is kept', () => {
    expect(parseTwineCheck("ERROR    InvalidDistribution: Cannot find file (or expand pattern): 'x.whl'\n")).toEqual([
      { file: '', errors: ["InvalidDistribution: Cannot find file (or expand pattern): 'x.whl'"], warnings: [] },
    ]);
  });
});

describe('core metadata', () => {
  it('Name and Version from the headers, not the description', () => {
    expect(parseCoreMetadata('Metadata-Version: 2.4\nName: gmp_thing\nVersion: 1.0.post1\n\nName: not-this\n')).toEqual({ name: 'gmp_thing', version: '1.0.post1' });
    expect(parseCoreMetadata('Metadata-Version: 2.1\n\nName: x\nVersion: 1\n')).toBeUndefined();
  });

  it('read from a wheel and from an sdist', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metadata-'));
    const wheel = path.join(dir, 'demo-1.2.0-py3-none-any.whl');
    await writeZip(
      [
        { name: 'demo/__init__.py', data: Buffer.from(''), mode: 0o644, compress: true },
        { name: 'demo-1.2.0.dist-info/METADATA', data: Buffer.from('Metadata-Version: 2.4\nName: demo\nVersion: 1.2.0\n'), mode: 0o644, compress: true },
      ],
      wheel,
      315532800,
    );
    expect(await readPackageMetadata(wheel)).toEqual({ name: 'demo', version: '1.2.0' });
    mkdirSync(path.join(dir, 'demo-1.2.0', 'vendored'), { recursive: true });
    writeFileSync(path.join(dir, 'demo-1.2.0', 'vendored', 'PKG-INFO'), 'Name: vendored\nVersion: 9\n');
    writeFileSync(path.join(dir, 'demo-1.2.0', 'PKG-INFO'), 'Metadata-Version: 2.4\nName: Demo\nVersion: 1.2.0\n');
    const sdist = path.join(dir, 'demo-1.2.0.tar.gz');
    await tar.c({ file: sdist, cwd: dir, gzip: true }, ['demo-1.2.0']);
    expect(await readPackageMetadata(sdist)).toEqual({ name: 'Demo', version: '1.2.0' });
  });
});
