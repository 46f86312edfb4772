import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/core/errors.js';
import { buildFixture, fixture } from '../helpers/engine.js';
import { twineCheck } from '../helpers/python.js';

// What PyPI accepts builds, with its warnings shown; what PyPI refuses fails
// the cell, naming the file to fix. Each fixture is built once.
describe('metadata as PyPI reads it', () => {
  it('a setup.py-only C extension with no readme builds, tests and warns (wheel and sdist)', async () => {
    const { manifests, result, warnings } = await buildFixture('legacy-cext');
    const byCell = Object.fromEntries(manifests.map((m) => [m.cell.id, m]));
    expect(Object.keys(byCell).sort()).toEqual(['linux-x86_64', 'sdist']);
    const wheel = byCell['linux-x86_64']!.files[0]!;
    expect(wheel.name).toBe('legacy_cext-1.0.2-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl');
    expect(wheel.smoke).toEqual([expect.objectContaining({ python: '3.12', passed: true, test: expect.objectContaining({ passed: true }) })]);
    const sdist = byCell.sdist!.files[0]!;
    expect(sdist.name).toBe('legacy_cext-1.0.2.tar.gz');
    for (const file of [wheel, sdist]) expect(file.metadataWarnings).toContain('long_description missing.');
    // Shown once per message, with the fix, and in the step summary.
    const shown = warnings.filter((w) => w.key === 'metadata').map(formatProblem);
    expect(shown).toContainEqual(expect.stringMatching(/^metadata: legacy_cext-1\.0\.2-cp312.*\.whl: long_description missing\. \(PyPI accepts it\); give the project a readme/));
    expect(shown).toContainEqual(expect.stringMatching(/^metadata: legacy_cext-1\.0\.2\.tar\.gz: long_description missing\./));
    const summary = readFileSync(result.summaryPath, 'utf8');
    expect(summary).toContain('⚠️ `legacy_cext-1.0.2-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl`: long_description missing. (metadata: PyPI accepts it).');
    // An independent twine agrees: it passes, with warnings, and fails only when strict.
    const outDir = path.dirname(result.outcomes[0]!.manifestPath);
    expect(twineCheck([path.join(outDir, wheel.name)]).stdout).toContain('FAILED due to warnings');
  });

  it('metadata.strict: true fails the cell on the warning, at the config line', async () => {
    const { result } = await buildFixture('legacy-cext', { configPath: 'native-matrix.strict.yml', expectFailure: true });
    expect(result.failed.map((f) => f.cell.id)).toEqual(['linux-x86_64']);
    const message = result.failed[0]!.error.problems.map(formatProblem).join('\n');
    expect(message).toMatch(
      /^test\/fixtures\/legacy-cext\/native-matrix\.strict\.yml:9: metadata\.strict: the metadata of legacy_cext-1\.0\.2-cp312-.*\.whl has warnings:\n.*long_description missing\./s,
    );
    expect(message).toContain('or set metadata.strict: false to accept the warnings');
  });

  it('a readme PyPI cannot render fails the cell, naming the readme', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bad-readme-')), 'gmp-cext');
    cpSync(fixture('gmp-cext'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'README.rst'), 'gmpcext\n=======\n\n.. image::\n   :bad: option\n');
    const pyproject = path.join(dir, 'pyproject.toml');
    writeFileSync(pyproject, readFileSync(pyproject, 'utf8').replace('readme = "README.md"', 'readme = "README.rst"'));
    writeFileSync(path.join(dir, 'native-matrix.yml'), 'project:\n  import: gmpcext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  sdist: false\n');
    const { result } = await buildFixture('gmp-cext', { workingDirectory: dir, expectFailure: true });
    const message = result.failed[0]!.error.problems.map(formatProblem).join('\n');
    expect(message).toMatch(/^metadata: PyPI would refuse gmpcext-0\.1\.0-cp312-.*\.whl:\ngmpcext-0\.1\.0-cp312-.*\.whl: `long_description` has syntax errors in markup/);
    expect(message).toContain('unknown option: "bad".');
    expect(message).toContain(`fix the markup of ${path.join(dir, 'README.rst')} (project.readme in ${pyproject}) so that PyPI can render it`);
  });
});
