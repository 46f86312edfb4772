import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../src/core/hashing.js';
import { cacheRoot } from '../../src/core/cache.js';
import { buildFixture, embeddedPythonsEnv, fixture } from '../helpers/engine.js';

const FACTORIAL_100 = '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';

const qemu = (program: string, args: string[]) => spawnSync('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', program, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });

/**
 * A wheel unpacked into a fresh directory, checked to hold an aarch64
 * extension of `pkg`, and a runner of Python code with it first on sys.path,
 * in an arm64 `interpreter` under qemu with `root` as its loader's prefix.
 */
function unpackedForQemu(wheel: string, pkg: string, root: string, interpreter: string) {
  const site = mkdtempSync(path.join(tmpdir(), 'aarch64-site-'));
  expect(spawnSync('unzip', ['-q', wheel, '-d', site]).status).toBe(0);
  const [extension] = readdirSync(path.join(site, pkg)).filter((name) => name.endsWith('.so'));
  expect(spawnSync('readelf', ['-h', path.join(site, pkg, extension!)], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
  const python = (code: string) =>
    spawnSync('qemu-aarch64', ['-L', root, interpreter, '-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${code}`], {
      encoding: 'utf8',
      cwd: site,
      env: { PATH: '/usr/bin:/bin' },
    });
  return { site, python };
}

describe('linux-aarch64 binaries cross-built on x86_64, run under qemu-aarch64', () => {
  it('packages an aarch64 gmp-cli with its libgmp; it prints 100! and fails without the bundled library', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cli', { configPath: path.join(fixture('gmp-cli'), 'native-matrix.aarch64.yml') });
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu' });
    expect(manifest!.gmp).toMatchObject({ source: 'build', version: '6.3.0' });
    const [archive] = manifest!.files;
    expect(archive).toMatchObject({ name: 'gmp-cli-linux-aarch64.tar.gz', bundled: ['libgmp.so.10'], smokePassed: ['binary'] });
    const file = path.join(outRoot, 'linux-aarch64', archive!.name);
    expect(await sha256File(file)).toBe(archive!.sha256);

    const dir = mkdtempSync(path.join(tmpdir(), 'aarch64-'));
    expect(spawnSync('tar', ['-xzf', file, '-C', dir]).status).toBe(0);
    const program = path.join(dir, 'gmp-cli-linux-aarch64', 'bin', 'gmp-cli');
    expect(spawnSync('readelf', ['-h', program], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
    const run = qemu(program, ['100']);
    expect(run.stdout.trim(), run.stderr).toBe(FACTORIAL_100);

    rmSync(path.join(dir, 'gmp-cli-linux-aarch64', 'lib', 'libgmp.so.10'));
    const broken = qemu(program, ['100']);
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(/libgmp\.so\.10/);
  });
});

describe('linux-aarch64 C-extension wheels cross-built on x86_64 against Debian arm64 CPython, smoke-tested under qemu-aarch64', () => {
  it('builds, repairs and smoke-tests gmpcext for aarch64; the wheel imports under qemu only with its bundled libgmp', async () => {
    // The arm64 CPython the apt sources offer: 3.11 on Debian 12, 3.12 on Ubuntu 24.04.
    const version = ['3.11', '3.12', '3.13'].find((v) => /Candidate: \d/.test(spawnSync('apt-cache', ['policy', `python${v}-minimal:arm64`], { encoding: 'utf8' }).stdout));
    expect(version, 'no arm64 CPython in the apt sources: run scripts/install-deps.sh').toBeDefined();
    const tag = `cp${version!.replace('.', '')}`;
    // qemu's loader falls back to the host's files: with an arm64 libgmp installed there, an unbundled wheel would import too.
    expect(spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libgmp10:arm64'], { encoding: 'utf8' }).stdout, 'remove libgmp10:arm64 for an honest test').not.toContain('install ok installed');
    const { manifests, outRoot, log } = await buildFixture('gmp-cext', { configPath: path.join(fixture('gmp-cext'), 'native-matrix.aarch64.yml'), python: [version!] });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu', python: [version] }, gmp: { source: 'build', version: '6.3.0' } });
    const [wheel] = manifest!.files;
    expect(wheel!.name).toMatch(new RegExp(`^gmpcext-0\\.1\\.0-${tag}-${tag}-.*manylinux_2_17_aarch64\\.whl$`));
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10/)]);
    expect(wheel!.smokePassed).toEqual([version]);
    expect(wheel!.smoke[0]!.interpreter?.startsWith(`${version}.`)).toBe(true);
    const file = path.join(outRoot, 'linux-aarch64', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);

    // An import of our own, outside the engine: the wheel unpacked on
    // sys.path of Debian's arm64 interpreter, which has no libgmp. The
    // sysroot is the one the build reported; its loader is its own, not the host's.
    const root = log.map((line) => new RegExp(`^arm64 Python ${version!.replace('.', '\\.')}: \\d+ Debian packages .* in (\\S+)$`).exec(line)?.[1]).find(Boolean)!;
    expect(root).toBeDefined();
    expect(realpathSync(path.join(root, 'lib/ld-linux-aarch64.so.1')).startsWith(`${realpathSync(root)}/`)).toBe(true);
    const { site, python } = unpackedForQemu(file, 'gmpcext', root, path.join(root, `usr/bin/python${version}`));
    const run = python('import gmpcext, platform; print(platform.machine(), gmpcext.factorial(30))');
    expect(run.stdout.trim(), run.stderr).toBe('aarch64 265252859812191058636308480000000');

    rmSync(path.join(site, 'gmpcext.libs'), { recursive: true });
    const broken = python('import gmpcext');
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(/ImportError: libgmp-[0-9a-f]{8}\.so\.10[^:]*: cannot open shared object file/);
  });
});

describe('linux-aarch64 maturin wheels cross-built on x86_64 with zig, smoke-tested under qemu-aarch64', () => {
  it("builds qsym-like's abi3 wheel for manylinux_2_17_aarch64; python-build-standalone's 3.10 (its floor) and 3.14, and the apt sources' version, import it with only the libgmp it carries", async () => {
    expect(spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libgmp10:arm64'], { encoding: 'utf8' }).stdout, 'remove libgmp10:arm64 for an honest test').not.toContain('install ok installed');
    const python314 = path.join(embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!, 'linux-aarch64-3.14', 'bin', 'python3.14');
    // The version of the apt sources: 3.11 on Debian 12 (a python-build-standalone
    // one is preferred, when there is one), 3.12 on Ubuntu 24.04 (the
    // repository's own CI: Debian's arm64 CPython, as no other is extracted).
    const debian = ['3.11', '3.12', '3.13'].find((v) => /Candidate: \d/.test(spawnSync('apt-cache', ['policy', `python${v}-minimal:arm64`], { encoding: 'utf8' }).stdout));
    expect(debian, 'no arm64 CPython in the apt sources: run scripts/install-deps.sh').toBeDefined();
    // abi3-py310: the floor is always smoke-tested too.
    const pythons = ['3.10', debian!, '3.14'];
    const { manifests, outRoot, log } = await buildFixture('qsym-like', { configPath: path.join(fixture('qsym-like'), 'native-matrix.aarch64.yml'), python: pythons });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-aarch64-abi3', target: 'aarch64-unknown-linux-gnu', python: pythons }, gmp: { source: 'build' } });
    expect(log.some((line) => line.includes('Compilers: zig for glibc 2.17 (aarch64-linux-gnu.2.17)'))).toBe(true);
    // gmp-mpfr-sys's use-system-libs compiled its check program for aarch64
    // and ran it through the compile-and-run wrapper (it removes the program
    // afterwards). Where the kernel cannot run aarch64 programs itself (no
    // binfmt_misc entry for qemu), nothing else could have: the build would have failed.
    const wrappers = path.join(cacheRoot(), 'compile-and-run');
    expect(readdirSync(wrappers).some((key) => existsSync(path.join(wrappers, key, 'aarch64-linux-gnu-cc-qemu')))).toBe(true);
    const [wheel] = manifest!.files;
    expect(wheel!.name).toBe('qsymlike-0.1.0-cp310-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl');
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10/)]);
    expect(wheel!.smokePassed).toEqual(pythons);
    expect(wheel!.smoke.map((s) => s.interpreter?.split('.').slice(0, 2).join('.'))).toEqual(pythons);
    const file = path.join(outRoot, 'linux-aarch64-abi3', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);

    // Our own import in the embedded 3.14, outside the engine: the wheel
    // unpacked on sys.path, qemu's loader given only the cross C library.
    const { site, python } = unpackedForQemu(file, 'qsymlike', '/usr/aarch64-linux-gnu', python314);
    const run = python('import qsymlike, platform; print(platform.machine(), qsymlike.factorial(30))');
    expect(run.stdout.trim(), run.stderr).toBe('aarch64 265252859812191058636308480000000');

    rmSync(path.join(site, 'qsymlike.libs'), { recursive: true });
    const broken = python('import qsymlike');
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(/ImportError: libgmp-[0-9a-f]{8}\.so\.10[^:]*: cannot open shared object file/);
  });
});
