import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipTo } from '../../src/core/archive.js';
import { sha256File } from '../../src/core/hashing.js';
import { buildFixture, embeddedPythonsEnv, fixture, ROOT } from '../helpers/engine.js';
import { bundledComponents, expectLicenceFilesPresent, recordProblems, zipMembers } from '../helpers/carried.js';

const GMP_LICENCE = 'LGPL-3.0-or-later OR GPL-2.0-or-later';
/** GMP's own licence files, from the source it was built from. */
const GMP_TEXTS = ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'];

const FACTORIAL_100 = '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';

/** Runs a Windows program under wine in a fresh prefix, from its own directory, with nothing else on the DLL path. */
function wine(program: string, args: string[]) {
  const prefix = mkdtempSync(path.join(tmpdir(), 'wineprefix-'));
  try {
    return spawnSync('wine', [program, ...args], {
      cwd: path.dirname(program),
      encoding: 'utf8',
      // Loader errors stay on, so a missing DLL is named.
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all,err+module', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' },
      timeout: 180_000,
    });
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}

describe('Windows binaries cross-built on Linux (mingw-w64), proven under wine', () => {
  it('packages gmp-cli.exe with exactly the DLLs its imports need; it prints 100! from the zip alone, and fails without libgmp-10.dll', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cli', { configPath: path.join(fixture('gmp-cli'), 'native-matrix.windows.yml') });
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'windows-x86_64', target: 'x86_64-pc-windows-gnu' });
    expect(manifest!.gmp).toMatchObject({ source: 'build', version: '6.3.0' });
    const [archive] = manifest!.files;
    // The DLL list comes from walking the PE imports: libgmp-10.dll, and nothing a clean Windows lacks.
    expect(archive).toMatchObject({ name: 'gmp-cli-windows-x86_64.zip', kind: 'archive', bundled: ['libgmp-10.dll'], smokePassed: ['binary'] });
    const zip = path.join(outRoot, 'windows-x86_64', archive!.name);
    expect(await sha256File(zip)).toBe(archive!.sha256);
    // GMP's licence files from its source, beside the DLL's program in the zip.
    expect(archive!.libraries).toEqual([
      { name: 'gmp', version: '6.3.0', licence: GMP_LICENCE, linkage: 'shared', files: ['libgmp-10.dll'], licenseFiles: GMP_TEXTS.map((name) => `gmp-cli-windows-x86_64/licenses/gmp/${name}`) },
    ]);
    const zipped = await zipMembers(zip);
    expectLicenceFilesPresent(archive!, zipped);
    expect(zipped.get('gmp-cli-windows-x86_64/licenses/gmp/COPYING.LESSERv3')!.toString()).toContain('GNU LESSER GENERAL PUBLIC LICENSE');

    const dir = mkdtempSync(path.join(tmpdir(), 'unzipped-'));
    await unzipTo(zip, dir);
    const program = path.join(dir, 'gmp-cli-windows-x86_64', 'bin', 'gmp-cli.exe');
    const run = wine(program, ['100']);
    expect(run.stdout.trim(), run.stderr).toBe(FACTORIAL_100);
    expect(run.status).toBe(0);

    rmSync(path.join(path.dirname(program), 'libgmp-10.dll'));
    const broken = wine(program, ['100']);
    expect(broken.status).not.toBe(0);
    expect(broken.stdout.trim()).toBe('');
    expect(broken.stderr).toMatch(/libgmp-10\.dll/i);
  });
});

/**
 * A fresh wine prefix with nothing but wine's own Windows and the
 * bcryptprimitives.dll stand-in (wine 8 lacks the DLL that Rust's std
 * imports; real Windows has it), made the way the engine makes its own.
 */
function freshWinePrefix(): string {
  const prefix = mkdtempSync(path.join(tmpdir(), 'wineprefix-'));
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  expect(spawnSync('wine', ['wineboot', '--init'], { env, stdio: 'ignore' }).status).toBe(0);
  spawnSync('wineserver', ['--wait'], { env });
  const shim = path.join(prefix, 'drive_c/windows/system32/bcryptprimitives.dll');
  const source = path.join(ROOT, 'src/platforms/bcryptprimitives-shim');
  const built = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-s', '-nostdlib', '-o', shim, `${source}.c`, `${source}.def`, '-ladvapi32', '-lkernel32'], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  return prefix;
}

describe('Windows wheels cross-built on Linux (maturin, mingw-w64), proven in Windows CPython under wine', () => {
  it('builds qsym-like for windows-x86_64: a win_amd64 abi3 wheel with its name-mangled libgmp DLL, smoke-passed in Windows CPython 3.10 (its abi3 floor), 3.11 and 3.14; it computes with GMP, and fails naming the DLL without it', async () => {
    const windowsPythons = embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!;
    const python = path.join(windowsPythons, 'windows-x86_64-3.14', 'python.exe');
    expect(existsSync(python), `no Windows CPython 3.14 at ${python}: run scripts/install-deps.sh`).toBe(true);

    const { manifests, outRoot } = await buildFixture('qsym-like', { platform: 'windows-x86_64' });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'windows-x86_64-abi3', target: 'x86_64-pc-windows-gnu', abi3: true }, gmp: { source: 'build', version: '6.3.0' } });
    // The versions without a Windows CPython here are built for, and the manifest says they were not run.
    expect(manifest!.notSmokeTested?.map((n) => n.python)).toEqual(['3.12', '3.13']);
    expect(manifest!.notSmokeTested?.[0]?.reason).toBe('no Windows CPython of this version to run under wine here');
    const [wheel] = manifest!.files;
    expect(wheel).toMatchObject({ name: 'qsymlike-0.1.0-cp310-abi3-win_amd64.whl', kind: 'wheel', platformTag: 'win_amd64', abiTag: 'abi3', smokePassed: ['3.10', '3.11', '3.14'] });
    // delvewheel's mangled name: two packages' libgmp-10.dll never collide in one process.
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-10-[0-9a-f]{32}\.dll$/)]);
    expect(wheel!.smoke).toEqual(
      ['3.10', '3.11', '3.14'].map((version): unknown =>
        expect.objectContaining({ python: version, interpreter: expect.stringMatching(new RegExp(`^${version.replace('.', '\\.')}\\.`)), passed: true }),
      ),
    );
    const file = path.join(outRoot, 'windows-x86_64-abi3', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);
    // GMP's licence (from the source it was built from) travels in .dist-info/licenses/, with our SBOM and RECORD whole.
    // MinGW's runtime would have its own, but this GMP DLL does not import it: delvewheel bundled nothing else.
    const distInfo = 'qsymlike-0.1.0.dist-info';
    expect(wheel!.libraries).toEqual([
      {
        name: 'gmp',
        version: '6.3.0',
        licence: GMP_LICENCE,
        linkage: 'shared',
        files: wheel!.bundled,
        licenseFiles: GMP_TEXTS.map((name) => `${distInfo}/licenses/native-matrix-bundled/gmp/${name}`),
      },
    ]);
    const members = await zipMembers(file);
    expect(recordProblems(members)).toEqual([]);
    expectLicenceFilesPresent(wheel!, members);
    expect(bundledComponents(members, `${distInfo}/sboms/native-matrix-bundled.cdx.json`)).toEqual([{ name: 'gmp', version: '6.3.0', purl: 'pkg:generic/gmp@6.3.0', licence: GMP_LICENCE }]);

    // An import of our own, outside the engine: the wheel unpacked on
    // sys.path of the Windows CPython, in a fresh prefix, with nothing on the
    // DLL search path but the wheel's files.
    const site = mkdtempSync(path.join(tmpdir(), 'windows-site-'));
    await unzipTo(file, site);
    const dll = path.join(site, 'qsymlike.libs', wheel!.bundled[0]!);
    expect(existsSync(dll)).toBe(true);
    const prefix = freshWinePrefix();
    const run = (code: string) =>
      spawnSync('wine', [python, '-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${code}`], {
        cwd: site,
        encoding: 'utf8',
        // Loader errors stay on, so a missing DLL is named.
        env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all,err+module', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' },
        timeout: 180_000,
      });
    try {
      const ok = run('import qsymlike; print(sys.platform, qsymlike.factorial(100), qsymlike.gmp_version())');
      expect(ok.stdout.trim(), ok.stderr).toBe(`win32 ${FACTORIAL_100} 6.3.0`);

      rmSync(dll);
      const broken = run('import qsymlike');
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toMatch(/ImportError: DLL load failed while importing _qsymlike/);
      expect(broken.stderr).toContain(path.basename(dll));
    } finally {
      rmSync(prefix, { recursive: true, force: true });
      rmSync(site, { recursive: true, force: true });
    }
  });
});
