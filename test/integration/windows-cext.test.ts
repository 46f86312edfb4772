import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unzipTo } from '../../src/core/archive.js';
import { sha256File } from '../../src/core/hashing.js';
import type { Manifest, ManifestFile } from '../../src/stages/manifest.js';
import { buildFixture, embeddedPythonsEnv, fixture, ROOT } from '../helpers/engine.js';
import { bundledComponents, expectLicenceFilesPresent, recordProblems, zipMembers } from '../helpers/carried.js';

// setuptools C extensions cross-built for Windows on Linux (the windows-wine
// route): the project's own setup.py compiled by zig for x86_64-windows-gnu,
// the wheels repaired by delvewheel and proven in the Windows CPythons that
// scripts/install-deps.sh extracts, under wine. Each fixture is built once.

const GMP_LICENCE = 'LGPL-3.0-or-later OR GPL-2.0-or-later';
const GMP_TEXTS = ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'];
const FACTORIAL_100 = '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';
const PYTHONS = embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!;
const windowsPython = (version: string) => path.join(PYTHONS, `windows-x86_64-${version}`, 'python.exe');

const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A fresh wine prefix, made the way the engine makes its own (wine's Windows, and the bcryptprimitives.dll stand-in). */
function freshWinePrefix(): string {
  const prefix = tempDir('wineprefix-');
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  expect(spawnSync('wine', ['wineboot', '--init'], { env, stdio: 'ignore' }).status).toBe(0);
  spawnSync('wineserver', ['--wait'], { env });
  const shim = path.join(prefix, 'drive_c/windows/system32/bcryptprimitives.dll');
  const source = path.join(ROOT, 'src/platforms/bcryptprimitives-shim');
  const built = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-s', '-nostdlib', '-o', shim, `${source}.c`, `${source}.def`, '-ladvapi32', '-lkernel32'], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  return prefix;
}

/** Runs `code` in Windows CPython `version` under wine, isolated, with the unpacked wheel `site` first on sys.path and nothing else on the DLL path. */
function runInWindowsPython(prefix: string, version: string, site: string, code: string) {
  const python = windowsPython(version);
  expect(existsSync(python), `no Windows CPython ${version} at ${python}: run scripts/install-deps.sh`).toBe(true);
  return spawnSync('wine', [python, '-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${code}`], {
    cwd: site,
    encoding: 'utf8',
    // Loader errors stay on, so a missing DLL is named.
    env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all,err+module', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' },
    timeout: 180_000,
  });
}

/** The DLLs a PE file imports, by objdump. */
function peImports(file: string): string[] {
  const dump = spawnSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8' });
  expect(dump.status, dump.stderr).toBe(0);
  return [...dump.stdout.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]!);
}

/** Unpacks a wheel and returns the directory, checking its sha256 against the manifest on the way. */
async function unpacked(outRoot: string, cellId: string, wheel: ManifestFile): Promise<{ file: string; site: string }> {
  const file = path.join(outRoot, cellId, wheel.name);
  expect(await sha256File(file)).toBe(wheel.sha256);
  const site = tempDir('windows-site-');
  await unzipTo(file, site);
  return { file, site };
}

/** What every repaired gmp-cext wheel must be: GMP's DLL inside, mangled, with its licence, RECORD whole. */
async function expectGmpWheel(file: string, wheel: ManifestFile) {
  expect(wheel).toMatchObject({ kind: 'wheel', platformTag: 'win_amd64' });
  expect(wheel.bundled).toEqual([expect.stringMatching(/^libgmp-10-[0-9a-f]{32}\.dll$/)]);
  const distInfo = 'gmpcext-0.1.0.dist-info';
  expect(wheel.libraries).toEqual([
    { name: 'gmp', version: '6.3.0', licence: GMP_LICENCE, linkage: 'shared', files: wheel.bundled, licenseFiles: GMP_TEXTS.map((name) => `${distInfo}/licenses/native-matrix-bundled/gmp/${name}`) },
  ]);
  const members = await zipMembers(file);
  expect(recordProblems(members)).toEqual([]);
  expectLicenceFilesPresent(wheel, members);
  expect(bundledComponents(members, `${distInfo}/sboms/native-matrix-bundled.cdx.json`)).toEqual([{ name: 'gmp', version: '6.3.0', purl: 'pkg:generic/gmp@6.3.0', licence: GMP_LICENCE }]);
}

/**
 * The extension's own imports: the Python DLL it was built for, the bundled
 * GMP, and Windows itself with the UCRT (as CPython links it), never
 * msvcrt.dll.
 */
function expectExtensionImports(pyd: string, pythonDll: string, gmpDll: string) {
  const imports = peImports(pyd).map((name) => name.toLowerCase());
  expect(imports).toContain(pythonDll);
  expect(imports).toContain(gmpDll.toLowerCase());
  expect(imports).toContain('kernel32.dll');
  expect(imports.filter((name) => ![pythonDll, gmpDll.toLowerCase(), 'kernel32.dll'].includes(name) && !name.startsWith('api-ms-win-crt-'))).toEqual([]);
}

/** Imports gmpcext from the unpacked wheel in each version, computes with GMP, then proves the bundled DLL is what it loads. */
function expectImportsAndComputes(site: string, versions: readonly string[], dll: string) {
  const prefix = freshWinePrefix();
  for (const version of versions) {
    const ok = runInWindowsPython(prefix, version, site, 'import gmpcext; print(sys.platform, "%d.%d" % sys.version_info[:2], gmpcext.factorial(100), gmpcext.gmp_version())');
    expect(ok.stdout.trim(), ok.stderr).toBe(`win32 ${version} ${FACTORIAL_100} 6.3.0`);
  }
  rmSync(dll);
  const broken = runInWindowsPython(prefix, versions[0]!, site, 'import gmpcext');
  expect(broken.status).not.toBe(0);
  expect(broken.stderr).toMatch(/ImportError: DLL load failed while importing _gmpcext/);
  expect(broken.stderr).toContain(path.basename(dll));
}

describe('setuptools C extensions cross-built for Windows on Linux (zig), proven in Windows CPython under wine', () => {
  it('builds gmp-cext for windows-x86_64, full API: cp310 and cp311 win_amd64 wheels, each smoke-passed in its own Windows CPython; each computes with GMP from its bundled DLL alone, and fails naming it without', async () => {
    const { manifests, outRoot, log } = await buildFixture('gmp-cext', { configPath: path.join(fixture('gmp-cext'), 'native-matrix.windows.yml') });
    const [manifest] = manifests as [Manifest];
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'windows-x86_64', target: 'x86_64-pc-windows-gnu', abi3: false }, gmp: { source: 'build', version: '6.3.0' } });
    // Built by this machine's CPython of each version, with zig, against the Windows CPython's own DLL.
    expect(log).toContainEqual(expect.stringMatching(/^Python 3\.10 for windows-x86_64: built by .*python3\.10 with zig \(x86_64-windows-gnu\).*linking python310\.dll of Windows CPython 3\.10$/));
    expect(manifest.files.map((f) => f.name)).toEqual(['gmpcext-0.1.0-cp310-cp310-win_amd64.whl', 'gmpcext-0.1.0-cp311-cp311-win_amd64.whl']);
    for (const [i, version] of ['3.10', '3.11'].entries()) {
      const wheel = manifest.files[i]!;
      const nodot = version.replace('.', '');
      expect(wheel).toMatchObject({ pythonTag: `cp${nodot}`, abiTag: `cp${nodot}`, smokePassed: [version] });
      const { file, site } = await unpacked(outRoot, manifest.cell.id, wheel);
      await expectGmpWheel(file, wheel);
      // Named as Windows names it: setuptools took EXT_SUFFIX from the target's sysconfig.
      const pyd = path.join(site, 'gmpcext', `_gmpcext.cp${nodot}-win_amd64.pyd`);
      const dll = path.join(site, 'gmpcext.libs', wheel.bundled[0]!);
      expectExtensionImports(pyd, `python${nodot}.dll`, wheel.bundled[0]!);
      expectImportsAndComputes(site, [version], dll);
    }
  });

  it('builds gmp-cext with py_limited_api for 3.10+: one cp310-abi3 wheel of a .pyd linking python3.dll, smoke-passed on 3.10 (its floor), 3.11 and 3.14 (the newest); it computes in each, and fails naming its DLL without it', async () => {
    // The fixture as an abi3 project: setuptools' py_limited_api in a copy.
    const project = path.join(tempDir('gmp-cext-abi3-'), 'gmp-cext');
    cpSync(fixture('gmp-cext'), project, { recursive: true });
    const setupPy = readFileSync(path.join(project, 'setup.py'), 'utf8')
      .replace('libraries=["gmp"],', 'libraries=["gmp"],\n            py_limited_api=True,\n            define_macros=[("Py_LIMITED_API", "0x030A0000")],')
      .replace(/\n {4}\]\n\)\n$/, '\n    ],\n    options={"bdist_wheel": {"py_limited_api": "cp310"}},\n)\n');
    expect(setupPy).toContain('py_limited_api=True');
    expect(setupPy).toContain('"py_limited_api": "cp310"');
    writeFileSync(path.join(project, 'setup.py'), setupPy);
    const config = path.join(project, 'native-matrix.abi3.yml');
    writeFileSync(config, readFileSync(path.join(project, 'native-matrix.windows.yml'), 'utf8').replace('python: ["3.10", "3.11"]', 'python: ["3.10", "3.11", "3.14"]'));

    const { manifests, outRoot } = await buildFixture('gmp-cext', { workingDirectory: project, configPath: config });
    const [manifest] = manifests as [Manifest];
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'windows-x86_64-abi3', abi3: true } });
    const [wheel, ...more] = manifest.files;
    expect(more).toEqual([]);
    expect(wheel).toMatchObject({ name: 'gmpcext-0.1.0-cp310-abi3-win_amd64.whl', pythonTag: 'cp310', abiTag: 'abi3', smokePassed: ['3.10', '3.11', '3.14'] });
    expect(wheel!.smoke.map((s) => [s.python, s.passed, (s.interpreter ?? '').split('.').slice(0, 2).join('.')])).toEqual([
      ['3.10', true, '3.10'],
      ['3.11', true, '3.11'],
      ['3.14', true, '3.14'],
    ]);
    const { file, site } = await unpacked(outRoot, manifest.cell.id, wheel!);
    await expectGmpWheel(file, wheel!);
    // abi3 on Windows: a plain .pyd, linked to python3.dll (the stable ABI), not python310.dll.
    const pyd = path.join(site, 'gmpcext', '_gmpcext.pyd');
    expect(existsSync(pyd)).toBe(true);
    expectExtensionImports(pyd, 'python3.dll', wheel!.bundled[0]!);
    expectImportsAndComputes(site, ['3.10', '3.11', '3.14'], path.join(site, 'gmpcext.libs', wheel!.bundled[0]!));
  });

  it('builds mpfr-cext (GMP, MPFR and MPC) for windows-x86_64: its wheel carries the three DLLs (and the MinGW runtime they need) with their licences, and its pytest suite passes under wine through test.command', async () => {
    const { manifests, outRoot } = await buildFixture('mpfr-cext', { platform: 'windows-x86_64', python: ['3.11'] });
    const [manifest] = manifests as [Manifest];
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'windows-x86_64', target: 'x86_64-pc-windows-gnu' }, gmp: { source: 'build', version: '6.3.0' } });
    const [wheel, ...more] = manifest.files;
    expect(more).toEqual([]);
    expect(wheel).toMatchObject({ name: 'precisemath-0.3.1-cp311-cp311-win_amd64.whl', platformTag: 'win_amd64', smokePassed: ['3.11'] });
    // The suite ran in Windows CPython against the installed wheel.
    expect(wheel!.smoke[0]!.test, wheel!.smoke[0]!.test?.output).toMatchObject({ passed: true });
    const bundled = wheel!.bundled;
    for (const stem of ['libgmp-10', 'libmpfr-6', 'libmpc-3']) expect(bundled, stem).toContainEqual(expect.stringMatching(new RegExp(`^${stem}-[0-9a-f]{32}\\.dll$`)));
    // Every bundled DLL is a known library whose licence texts travel with it.
    const names = (wheel!.libraries ?? []).map((l) => l.name).sort();
    // MPFR, built by MinGW's gcc, imports libgcc_s_seh-1.dll: delvewheel bundled it too, with GCC's licence.
    expect(names).toEqual(['gmp', 'libgcc', 'mpc', 'mpfr']);
    expect(bundled).toContainEqual(expect.stringMatching(/^libgcc_s_seh-1-[0-9a-f]{32}\.dll$/));
    expect((wheel!.libraries ?? []).flatMap((l) => l.files).sort()).toEqual([...bundled].sort());
    expect(wheel!.libraries!.find((l) => l.name === 'mpfr')).toMatchObject({ licence: 'LGPL-3.0-or-later', linkage: 'shared' });
    const { file, site } = await unpacked(outRoot, manifest.cell.id, wheel!);
    const members = await zipMembers(file);
    expect(recordProblems(members)).toEqual([]);
    expectLicenceFilesPresent(wheel!, members);
    // The project's own licence, as setuptools put it in the wheel.
    expect(members.has('precisemath-0.3.1.dist-info/licenses/LICENSE')).toBe(true);
    // Our own run: pi from MPFR and exp(i) from MPC, in Windows CPython with the wheel's files only.
    const prefix = freshWinePrefix();
    const run = runInWindowsPython(prefix, '3.11', site, 'import precisemath as p; print(p.pi(20), *p.exp_complex("0", "1", 5))');
    expect(run.stdout.trim(), run.stderr).toBe('3.14159265358979323846 0.54030 0.84147');
    const mpfrDll = bundled.find((name) => name.startsWith('libmpfr-6-'))!;
    expectExtensionImportsOnly(path.join(site, 'precisemath', '_core.cp311-win_amd64.pyd'), mpfrDll);
    rmSync(path.join(site, 'precisemath.libs', mpfrDll));
    const broken = runInWindowsPython(prefix, '3.11', site, 'import precisemath');
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain(mpfrDll);
  });
});

/** The extension imports the bundled MPFR by its mangled name, and no msvcrt.dll of its own. */
function expectExtensionImportsOnly(pyd: string, dll: string) {
  const imports = peImports(pyd).map((name) => name.toLowerCase());
  expect(imports).toContain(dll.toLowerCase());
  expect(imports).not.toContain('msvcrt.dll');
}
