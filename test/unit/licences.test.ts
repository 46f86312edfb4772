import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeZip } from '../../src/core/archive.js';
import { libraryOfFile, resolveLibraries, type LicenceSource } from '../../src/catalog/libraries.js';
import { bundledSbom } from '../../src/stages/bundled-sbom.js';
import { crateSources } from '../../src/stages/carried-libraries.js';
import { addWheelLicences, stageArchiveLicences, withLicenseFiles } from '../../src/stages/licence-files.js';
import { carriedCell } from '../../src/stages/summary.js';
import { updateRecord } from '../../src/core/wheel-record.js';
import { staticGmpMpfrSys, treeFeatures } from '../../src/project/cargo-features.js';
import { debianFileLicences, debianUpstreamVersion, msys2Licences } from '../../src/platforms/system-licences.js';
import { recordHash } from '../../src/core/wheel-record.js';
import { bundledComponents, recordProblems, zipMembers } from '../helpers/carried.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const GMP = 'LGPL-3.0-or-later OR GPL-2.0-or-later';
const EPOCH = 1714979290;

/** A directory holding `names`, each a licence-sized text. */
function texts(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'texts-'));
  for (const name of names) writeFileSync(path.join(dir, name), `${name}\n${'text of the licence '.repeat(10)}\n`);
  return dir;
}

const source = (dir: string, names: string[], version?: string): LicenceSource => ({ ...(version ? { version } : {}), texts: names.map((name) => ({ name, path: path.join(dir, name) })) });

describe('bundled file names → libraries (matrix/libraries.yml)', () => {
  it('knows GMP, MPFR, MPC and MinGW runtime files under every name the repair tools give them, and nothing else', () => {
    const ids = (names: string[]) => names.map((name) => libraryOfFile(name)?.id);
    expect(
      ids([
        'libgmp.so.10',
        'libgmp-1a2b3c4d.so.10.5.0',
        'qsymlike.libs/libgmp-1a2b3c4d.so.10.5.0',
        'libgmp-10.dll',
        'libgmp-10-0123456789abcdef0123456789abcdef.dll',
        'libgmp.10.dylib',
        'libgmpxx.so.4',
      ]),
    ).toEqual(Array(7).fill('gmp'));
    expect(ids(['libmpfr.so.6', 'libmpfr-0c1d2e3f.so.6.2.0', 'libmpfr-6.dll', 'libmpc.so.3', 'libmpc-3.dll'])).toEqual(['mpfr', 'mpfr', 'mpfr', 'mpc', 'mpc']);
    expect(ids(['libgcc_s_seh-1.dll', 'libgcc_s_seh-1-0123456789abcdef0123456789abcdef.dll', 'libwinpthread-1.dll', 'libwinpthread-1-0123456789abcdef0123456789abcdef.dll'])).toEqual([
      'libgcc',
      'libgcc',
      'winpthreads',
      'winpthreads',
    ]);
    // Names that only start alike are other libraries.
    expect(ids(['libmpcdec.so.6', 'libgmpfoo.so', 'libffi.so.8', 'zlib1.dll'])).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('resolves shared, statically linked and unknown libraries, warning for unknown ones and missing texts', () => {
    const dir = texts(['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3']);
    const { libraries, warnings } = resolveLibraries(
      ['libgmp-10-0123456789abcdef0123456789abcdef.dll', 'libwinpthread-1.dll', 'libzstd.so.1'],
      { gmp: source(dir, ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'], '6.3.0') },
      [
        { id: 'mpfr', source: { version: '4.2.0-p9', texts: [] } },
        // Also shared: counted once, as shared.
        { id: 'gmp', source: source(dir, ['COPYINGv2'], '6.2.1') },
      ],
    );
    expect(libraries.map(({ texts: t, ...rest }) => ({ ...rest, texts: t.map((x) => x.name) }))).toEqual([
      {
        name: 'gmp',
        version: '6.3.0',
        licence: GMP,
        linkage: 'shared',
        files: ['libgmp-10-0123456789abcdef0123456789abcdef.dll'],
        texts: ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'],
        purl: 'pkg:generic/gmp@6.3.0',
      },
      { name: 'libzstd.so.1', licence: 'unknown', linkage: 'shared', files: ['libzstd.so.1'], texts: [] },
      { name: 'mpfr', version: '4.2.0-p9', licence: 'LGPL-3.0-or-later', linkage: 'static', files: [], texts: [], purl: 'pkg:generic/mpfr@4.2.0-p9' },
      { name: 'winpthreads', licence: 'MIT AND BSD-3-Clause', linkage: 'shared', files: ['libwinpthread-1.dll'], texts: [] },
    ]);
    expect(warnings).toEqual([
      "libwinpthread-1.dll: winpthreads's licence texts were not found where it came from; it is carried without them",
      "mpfr (linked statically): mpfr's licence texts were not found where it came from; it is carried without them",
      'libzstd.so.1 is carried, but native-matrix does not know which library it is or its licence: check that its licence allows that, and add its texts yourself',
    ]);
  });
});

/** The parts of a CycloneDX SBOM the tests read. */
const readSbom = (text: string) => JSON.parse(text) as { serialNumber: string; components: { name: string; licenses?: unknown }[]; dependencies: unknown[] };

describe('the CycloneDX SBOM of bundled libraries', () => {
  const subject = { name: 'demo', version: '1.0.0', generator: 'native-matrix 9.9.9', epochSeconds: EPOCH };
  const gmp = { name: 'gmp', version: '6.3.0', licence: GMP, linkage: 'shared' as const, files: ['libgmp-10.dll'], texts: [], purl: 'pkg:generic/gmp@6.3.0' };
  const placed = () => ['demo-1.0.0.dist-info/licenses/native-matrix-bundled/gmp/COPYINGv2'];

  it('lists each library with version, licence, purl and files, dated by SOURCE_DATE_EPOCH, with a serial number derived from its content', () => {
    const text = bundledSbom(subject, [gmp, { name: 'libzstd.so.1', licence: 'unknown', linkage: 'shared', files: ['libzstd.so.1'], texts: [] }], placed);
    const sbom = readSbom(text);
    expect(sbom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      metadata: { timestamp: '2024-05-06T07:08:10Z', tools: { components: [{ name: 'native-matrix', version: '9.9.9' }] }, component: { name: 'demo', version: '1.0.0' } },
    });
    expect(sbom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sbom.components[0]).toEqual({
      type: 'library',
      'bom-ref': 'native-matrix-bundled:gmp@6.3.0',
      name: 'gmp',
      version: '6.3.0',
      licenses: [{ expression: GMP }],
      purl: 'pkg:generic/gmp@6.3.0',
      properties: [
        { name: 'native-matrix:linkage', value: 'shared' },
        { name: 'native-matrix:file', value: 'libgmp-10.dll' },
        { name: 'native-matrix:license-file', value: placed()[0] },
      ],
    });
    // An unknown licence is not guessed.
    expect(sbom.components[1]!.licenses).toBeUndefined();
    expect(sbom.dependencies[0]).toEqual({ ref: 'demo@1.0.0', dependsOn: ['native-matrix-bundled:gmp@6.3.0', 'native-matrix-bundled:libzstd.so.1'] });
    // The same input gives the same bytes; other content, another serial number.
    expect(bundledSbom(subject, [gmp], placed)).toBe(bundledSbom(subject, [gmp], placed));
    expect(readSbom(bundledSbom(subject, [{ ...gmp, version: '6.2.1' }], placed)).serialNumber).not.toBe(readSbom(bundledSbom(subject, [gmp], placed)).serialNumber);
  });
});

describe('RECORD and METADATA', () => {
  const hash = (text: string) => `${recordHash(Buffer.from(text))},${Buffer.byteLength(text)}`;

  it('rewrites the lines of changed files, adds new ones before its own line, and keeps the rest', () => {
    const record = ['demo/__init__.py,sha256=old,3', '"demo/a,b.py",sha256=old,1', 'demo-1.0.dist-info/METADATA,sha256=m,9', 'demo-1.0.dist-info/RECORD,,', ''].join('\n');
    const changed = new Map([
      ['demo/a,b.py', Buffer.from('new')],
      ['demo-1.0.dist-info/licenses/x/COPYING', Buffer.from('licence')],
    ]);
    expect(updateRecord(record, changed)).toBe(
      [
        'demo/__init__.py,sha256=old,3',
        `"demo/a,b.py",${hash('new')}`,
        'demo-1.0.dist-info/METADATA,sha256=m,9',
        `demo-1.0.dist-info/licenses/x/COPYING,${hash('licence')}`,
        'demo-1.0.dist-info/RECORD,,',
        '',
      ].join('\n'),
    );
  });

  it('lists the licence files in METADATA 2.4 and newer, and leaves older metadata alone', () => {
    const v24 = 'Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n\n# Demo\n\nLicense-File: in the description\n';
    expect(withLicenseFiles(v24, ['native-matrix-bundled/gmp/COPYINGv2', 'LICENSE'])).toBe(
      'Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\nLicense-File: native-matrix-bundled/gmp/COPYINGv2\n\n# Demo\n\nLicense-File: in the description\n',
    );
    expect(withLicenseFiles('Metadata-Version: 2.4\nName: demo\n', ['a/B'])).toBe('Metadata-Version: 2.4\nName: demo\nLicense-File: a/B\n');
    expect(withLicenseFiles('Metadata-Version: 2.1\nName: demo\n\nbody\n', ['a/B'])).toBeUndefined();
    expect(withLicenseFiles('Metadata-Version: 2.3\nName: demo\n', ['a/B'])).toBeUndefined();
  });
});

/** A small repaired wheel: a module, its bundled libgmp, METADATA of `metadataVersion`, RECORD. */
async function wheel(dir: string, metadataVersion: string): Promise<string> {
  const files: [string, string, number][] = [
    ['demo/__init__.py', 'import gmp\n', 0o100644],
    ['demo.libs/libgmp-1a2b3c4d.so.10.5.0', '\x7fELF', 0o100755],
    ['demo-1.0.0.dist-info/METADATA', `Metadata-Version: ${metadataVersion}\nName: demo\nVersion: 1.0.0\n\nA demo.\n`, 0o100644],
    ['demo-1.0.0.dist-info/WHEEL', 'Wheel-Version: 1.0\n', 0o100644],
  ];
  const record = [...files.map(([name, data]) => `${name},${recordHash(Buffer.from(data))},${Buffer.byteLength(data)}`), 'demo-1.0.0.dist-info/RECORD,,', ''].join('\n');
  const file = path.join(dir, `demo-1.0.0-cp312-cp312-manylinux_2_17_x86_64-${metadataVersion}.whl`);
  await writeZip(
    [...files, ['demo-1.0.0.dist-info/RECORD', record, 0o100644] as const].map(([name, data, mode]) => ({ name, data: Buffer.from(data), mode, compress: true })),
    file,
    EPOCH,
  );
  return file;
}

describe('licence texts into a wheel and an archive', () => {
  const dir = texts(['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3']);
  const libraries = () => resolveLibraries(['libgmp-1a2b3c4d.so.10.5.0'], { gmp: source(dir, ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'], '6.3.0') }).libraries;
  const subject = { name: 'demo', version: '1.0.0', generator: 'native-matrix 9.9.9', epochSeconds: EPOCH };

  it('puts the texts into .dist-info/licenses/, the SBOM into .dist-info/sboms/, License-File into METADATA 2.4, with RECORD whole and the same bytes every time', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'lic-wheel-'));
    const [first, second] = [await wheel(out, '2.4'), await wheel(mkdtempSync(path.join(tmpdir(), 'lic-wheel-')), '2.4')];
    const recorded = await addWheelLicences(first, libraries(), subject);
    await addWheelLicences(second, libraries(), subject);
    expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
    const licenseFiles = ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'].map((name) => `demo-1.0.0.dist-info/licenses/native-matrix-bundled/gmp/${name}`);
    expect(recorded).toEqual([{ name: 'gmp', version: '6.3.0', licence: GMP, linkage: 'shared', files: ['libgmp-1a2b3c4d.so.10.5.0'], licenseFiles }]);
    const members = await zipMembers(first);
    expect(recordProblems(members)).toEqual([]);
    // The new members sit just before RECORD, which stays last.
    expect([...members.keys()]).toEqual([
      'demo/__init__.py',
      'demo.libs/libgmp-1a2b3c4d.so.10.5.0',
      'demo-1.0.0.dist-info/METADATA',
      'demo-1.0.0.dist-info/WHEEL',
      ...licenseFiles,
      'demo-1.0.0.dist-info/sboms/native-matrix-bundled.cdx.json',
      'demo-1.0.0.dist-info/RECORD',
    ]);
    expect(members.get(licenseFiles[1]!)!.toString()).toBe(readFileSync(path.join(dir, 'COPYINGv2'), 'utf8'));
    expect(members.get('demo-1.0.0.dist-info/METADATA')!.toString()).toBe(
      `Metadata-Version: 2.4\nName: demo\nVersion: 1.0.0\n${licenseFiles.map((f) => `License-File: ${f.slice('demo-1.0.0.dist-info/licenses/'.length)}\n`).join('')}\nA demo.\n`,
    );
    expect(bundledComponents(members, 'demo-1.0.0.dist-info/sboms/native-matrix-bundled.cdx.json')).toEqual([{ name: 'gmp', version: '6.3.0', purl: 'pkg:generic/gmp@6.3.0', licence: GMP }]);

    // Metadata 2.1: the same texts, METADATA untouched.
    const old = await wheel(out, '2.1');
    await addWheelLicences(old, libraries(), subject);
    const oldMembers = await zipMembers(old);
    expect(recordProblems(oldMembers)).toEqual([]);
    expect(oldMembers.get('demo-1.0.0.dist-info/METADATA')!.toString()).toBe('Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n\nA demo.\n');
    expect(oldMembers.has(licenseFiles[0]!)).toBe(true);
  });

  it('leaves a wheel that carries nothing as it is', async () => {
    const file = await wheel(mkdtempSync(path.join(tmpdir(), 'lic-wheel-')), '2.4');
    const before = readFileSync(file);
    expect(await addWheelLicences(file, [], subject)).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("stages an archive's texts under licenses/<library>/ with the SBOM beside them", async () => {
    const stage = path.join(mkdtempSync(path.join(tmpdir(), 'lic-stage-')), 'demo-1.0.0-linux-x86_64');
    mkdirSync(stage);
    const recorded = await stageArchiveLicences(stage, 'demo-1.0.0-linux-x86_64', libraries(), subject);
    expect(recorded[0]!.licenseFiles).toEqual(['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'].map((name) => `demo-1.0.0-linux-x86_64/licenses/gmp/${name}`));
    expect(readFileSync(path.join(stage, 'licenses', 'gmp', 'COPYINGv3'), 'utf8')).toBe(readFileSync(path.join(dir, 'COPYINGv3'), 'utf8'));
    expect(readSbom(readFileSync(path.join(stage, 'licenses', 'native-matrix-bundled.cdx.json'), 'utf8')).components.map((c) => c.name)).toEqual(['gmp']);
  });
});

describe('where the licences come from', () => {
  it("reads the upstream version out of Debian's", () => {
    expect(debianUpstreamVersion('2:6.2.1+dfsg1-1.1')).toBe('6.2.1');
    expect(debianUpstreamVersion('4.2.0-1')).toBe('4.2.0');
    expect(debianUpstreamVersion('12.2.0-14+25.2')).toBe('12.2.0');
    expect(debianUpstreamVersion('1.3.1')).toBe('1.3.1');
  });

  it('finds the Debian package of a runtime DLL in the search directories, and only of those found', async () => {
    const dirs = [mkdtempSync(path.join(tmpdir(), 'empty-')), texts(['libgcc_s_seh-1.dll'])];
    const runner = new FakeRunner(({ args }) => (args[0] === '-S' ? { stdout: `gcc-mingw-w64-x86-64-win32-runtime: ${args[1]}\n` } : { stdout: '12.2.0-14+25.2\n' }));
    const found = await debianFileLicences(runner, ['libgcc_s_seh-1.dll', 'libwinpthread-1.dll'], dirs);
    expect(runner.lines()).toEqual([`dpkg-query -S ${path.join(dirs[1]!, 'libgcc_s_seh-1.dll')}`, 'dpkg-query -W -f=${Version}\\n gcc-mingw-w64-x86-64-win32-runtime']);
    expect(Object.keys(found)).toEqual(['libgcc']);
    expect(found.libgcc!.version).toBe('12.2.0');
  });

  it("reads MSYS2's share/licenses/<package>/ and pacman's version", async () => {
    const env = mkdtempSync(path.join(tmpdir(), 'mingw64-'));
    mkdirSync(path.join(env, 'share', 'licenses', 'gmp'), { recursive: true });
    for (const name of ['COPYINGv3', 'COPYING.LESSERv3']) writeFileSync(path.join(env, 'share', 'licenses', 'gmp', name), name);
    const runner = new FakeRunner(() => ({ stdout: 'mingw-w64-x86_64-gmp 6.3.0-2\n' }));
    const found = await msys2Licences(runner, env, 'pacman.exe', 'mingw-w64-x86_64', ['gmp', 'mpfr'], (...parts) => path.join(...parts));
    expect(runner.lines()).toEqual(['pacman.exe -Q mingw-w64-x86_64-gmp']);
    expect(found).toEqual({ gmp: { version: '6.3.0', texts: ['COPYING.LESSERv3', 'COPYINGv3'].map((name) => ({ name, path: path.join(env, 'share', 'licenses', 'gmp', name) })) } });
  });

  it("takes gmp-mpfr-sys's bundled GMP (and MPFR, MPC as its features ask) from the crate's source trees, unless it links the system's", () => {
    const crate = mkdtempSync(path.join(tmpdir(), 'gmp-mpfr-sys-'));
    for (const [tree, names] of [
      ['gmp-6.2.1-c', ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3']],
      ['mpfr-4.2.0-p9-c', ['COPYING.LESSER', 'COPYING']],
      ['mpc-1.3.1-c', ['COPYING.LESSER']],
    ] as const) {
      mkdirSync(path.join(crate, tree));
      for (const name of names) writeFileSync(path.join(crate, tree, name), name);
    }
    const metadata = {
      packages: [
        { id: 'a', name: 'gmp-mpfr-sys', version: '1.5.3', manifest_path: path.join(crate, 'Cargo.toml') },
        { id: 'b', name: 'gmp-mpfr-sys', version: '1.6.0', manifest_path: '/elsewhere/Cargo.toml' },
      ],
    };
    // cargo tree, for the package built: `(*)` marks a repeat; a workspace path follows the version.
    const tree = [
      'qsym-python v0.1.0 (/w/crates/qsym-python)|abi3,bundled-gmp',
      'gmp-mpfr-sys v1.5.3|mpfr',
      'rug v1.19.2|gmp-mpfr-sys,integer',
      'gmp-mpfr-sys v1.5.3|mpfr (*)',
      'gmp-mpfr-sys v1.6.0|use-system-libs',
      '',
    ].join('\n');
    const built = treeFeatures(tree, 'gmp-mpfr-sys');
    expect(built).toEqual(
      new Map([
        ['1.5.3', ['mpfr']],
        ['1.6.0', ['use-system-libs']],
      ]),
    );
    expect(treeFeatures('gmp-mpfr-sys v1.5.3|\n', 'gmp-mpfr-sys')).toEqual(new Map([['1.5.3', []]]));
    expect(staticGmpMpfrSys(metadata, built)).toEqual([{ version: '1.5.3', dir: crate, features: ['mpfr'] }]);
    // Not built at all (another member's, or another target's): not carried.
    expect(staticGmpMpfrSys(metadata, new Map())).toEqual([]);
    const linked = crateSources(crate, ['mpfr']);
    expect(linked.map((l) => [l.id, l.source.version, l.source.texts.map((t) => t.name)])).toEqual([
      ['gmp', '6.2.1', ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3']],
      ['mpfr', '4.2.0-p9', ['COPYING.LESSER', 'COPYING']],
    ]);
  });
});

describe('the summary', () => {
  it('shows each carried library with version and licence, and falls back to the file names of an older manifest', () => {
    expect(
      carriedCell({
        bundled: ['libgmp-10.dll', 'libzstd.dll'],
        libraries: [
          { name: 'gmp', version: '6.3.0', licence: GMP, linkage: 'shared', files: ['libgmp-10.dll'], licenseFiles: [] },
          { name: 'libzstd.dll', licence: 'unknown', linkage: 'shared', files: ['libzstd.dll'], licenseFiles: [] },
          { name: 'mpfr', version: '4.2.0-p9', licence: 'LGPL-3.0-or-later', linkage: 'static', files: [], licenseFiles: [] },
        ],
      }),
    ).toBe(`gmp 6.3.0 (${GMP})<br>libzstd.dll (⚠️ licence unknown)<br>mpfr 4.2.0-p9 (LGPL-3.0-or-later, linked statically)`);
    expect(carriedCell({ bundled: ['libgmp.so.10'] })).toBe('libgmp.so.10');
    expect(carriedCell({ bundled: [], libraries: [] })).toBe('—');
  });
});

describe('RECORD line ends', () => {
  it("keeps auditwheel's CRLF for every line it rewrites or adds", () => {
    const record = 'demo/__init__.py,sha256=old,3\r\ndemo-1.0.dist-info/RECORD,,\r\n';
    const updated = updateRecord(
      record,
      new Map([
        ['demo/__init__.py', Buffer.from('new')],
        ['demo-1.0.dist-info/licenses/x/COPYING', Buffer.from('licence')],
      ]),
    );
    expect(updated.split('\r\n')).toHaveLength(4);
    expect(updated).not.toMatch(/[^\r]\n/);
    expect(updated.endsWith('demo-1.0.dist-info/RECORD,,\r\n')).toBe(true);
  });
});
