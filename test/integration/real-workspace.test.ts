import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipTo } from '../../src/core/archive.js';
import { sha256File } from '../../src/core/hashing.js';
import { buildFixture, embeddedPythonsEnv, fixture, ROOT } from '../helpers/engine.js';

// test/fixtures/qsym-workspace is written as real projects are: rug's
// integers (gmp-mpfr-sys builds GMP from its bundled sources), PyO3 0.23 abi3 without generate-import-lib, no force-cross, no
// readme. Each target is built once, and everything is asserted on that build.

const P1000 = '24061467864032622473692149727991';
const FACTORIAL_30 = '265252859812191058636308480000000';
const FORCE_CROSS_NOTE =
  'gmp-mpfr-sys 1.6.8 refuses to cross-compile without its force-cross feature: this cross build sets CARGO_FEATURE_FORCE_CROSS=1 for cargo, as the feature would (nothing to change in the crate)';
const windowsPython = (version: string) => path.join(embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!, `windows-x86_64-${version}`, 'python.exe');

/** A fresh wine prefix with the bcryptprimitives.dll stand-in (wine 8 lacks the DLL Rust's std imports; Windows has it). */
function freshWinePrefix(): { env: NodeJS.ProcessEnv; remove: () => void } {
  const prefix = mkdtempSync(path.join(tmpdir(), 'wineprefix-'));
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all,err+module', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' };
  expect(spawnSync('wine', ['wineboot', '--init'], { env, stdio: 'ignore' }).status).toBe(0);
  spawnSync('wineserver', ['--wait'], { env });
  const source = path.join(ROOT, 'src/platforms/bcryptprimitives-shim');
  const shim = path.join(prefix, 'drive_c/windows/system32/bcryptprimitives.dll');
  const built = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-s', '-nostdlib', '-o', shim, `${source}.c`, `${source}.def`, '-ladvapi32', '-lkernel32'], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  return { env, remove: () => rmSync(prefix, { recursive: true, force: true }) };
}

const peImports = (file: string) => [...spawnSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8' }).stdout.matchAll(/DLL Name:\s*(\S+)/g)].map((m) => m[1]!.toLowerCase());

describe('a real-shaped Rust workspace (rug defaults, PyO3 0.23 abi3, no force-cross, no readme), built unmodified', () => {
  it('cross-builds for windows-x86_64: the abi3 wheel links python3.dll through an import library made from Windows CPython 3.10, imports and computes in 3.10 and 3.14 under wine; the CLI runs there', async () => {
    for (const version of ['3.10', '3.14']) expect(existsSync(windowsPython(version)), `no Windows CPython ${version} at ${windowsPython(version)}: run scripts/install-deps.sh`).toBe(true);
    const { manifests, outRoot, log } = await buildFixture('qsym-workspace', { platform: 'windows-x86_64' });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'windows-x86_64-abi3', target: 'x86_64-pc-windows-gnu', abi3: true } });
    // The engine supplied what the crate does not say: force-cross, and python3.dll's import library.
    expect(log).toContain(FORCE_CROSS_NOTE);
    // The abi3 floor's own python3.dll (scripts/install-deps.sh extracts Windows CPython 3.10 too).
    expect(log.some((line) => /^PyO3 0\.23\.5 makes no Python import library without its generate-import-lib feature: linking through python3\.dll of Windows CPython 3\.10 \(/.test(line))).toBe(true);
    expect(manifest!.notSmokeTested).toBeUndefined();
    const wheel = manifest!.files.find((f) => f.kind === 'wheel')!;
    // GMP is linked in statically: delvewheel and the PE walk find no DLL to carry.
    expect(wheel).toMatchObject({ name: 'qwork-0.3.1-cp310-abi3-win_amd64.whl', platformTag: 'win_amd64', abiTag: 'abi3', smokePassed: ['3.10', '3.14'], bundled: [] });
    const archive = manifest!.files.find((f) => f.kind === 'archive')!;
    expect(archive).toMatchObject({ name: 'qwork-0.3.1-windows-x86_64.zip', smokePassed: ['binary'], bundled: [] });
    const wheelFile = path.join(outRoot, 'windows-x86_64-abi3', wheel.name);
    const zipFile = path.join(outRoot, 'windows-x86_64-abi3', archive.name);
    expect(await sha256File(wheelFile)).toBe(wheel.sha256);
    expect(await sha256File(zipFile)).toBe(archive.sha256);

    const site = mkdtempSync(path.join(tmpdir(), 'windows-site-'));
    const unzipped = mkdtempSync(path.join(tmpdir(), 'windows-cli-'));
    const wine = freshWinePrefix();
    try {
      await unzipTo(wheelFile, site);
      const [pyd] = readdirSync(path.join(site, 'qwork')).filter((name) => name.endsWith('.pyd'));
      // The stable ABI's DLL, never a versioned one; GMP is linked in statically.
      const imports = peImports(path.join(site, 'qwork', pyd!));
      expect(imports).toContain('python3.dll');
      expect(imports.filter((dll) => /^python3\d+\.dll$/.test(dll) || dll.includes('gmp'))).toEqual([]);
      // Our own import in the floor and the newest Windows CPython, outside the engine.
      for (const version of ['3.10', '3.14']) {
        const run = spawnSync(
          'wine',
          [
            windowsPython(version),
            '-I',
            '-c',
            `import sys; sys.path.insert(0, ${JSON.stringify(site)}); import qwork; print(sys.platform, sys.version_info[:2], qwork.partition(1000), qwork.factorial(30), qwork.partitions(6))`,
          ],
          {
            cwd: site,
            encoding: 'utf8',
            env: wine.env,
            timeout: 180_000,
          },
        );
        expect(run.stdout.trim(), run.stderr).toBe(`win32 (3, ${version.split('.')[1]}) ${P1000} ${FACTORIAL_30} [1, 1, 2, 3, 5, 7, 11]`);
      }

      await unzipTo(zipFile, unzipped);
      const program = path.join(unzipped, 'qwork-0.3.1-windows-x86_64', 'bin', 'qwork.exe');
      const version = spawnSync('wine', [program, '--version'], { cwd: path.dirname(program), encoding: 'utf8', env: wine.env, timeout: 180_000 });
      expect(version.stdout.trim(), version.stderr).toBe(`qwork 0.3.1 (p(1000) = ${P1000})`);
    } finally {
      wine.remove();
      rmSync(site, { recursive: true, force: true });
      rmSync(unzipped, { recursive: true, force: true });
    }
  });

  it('cross-builds the abi3 wheel for linux-aarch64 with force-cross set by the engine; it imports and computes under qemu-aarch64', async () => {
    const python314 = path.join(embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!, 'linux-aarch64-3.14', 'bin', 'python3.14');
    expect(existsSync(python314), `no arm64 CPython 3.14 at ${python314}: run scripts/install-deps.sh`).toBe(true);
    const { manifests, outRoot, log } = await buildFixture('qsym-workspace', { configPath: path.join(fixture('qsym-workspace'), 'native-matrix.aarch64.yml') });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-aarch64-abi3', target: 'aarch64-unknown-linux-gnu' } });
    expect(log).toContain(FORCE_CROSS_NOTE);
    // Not Windows: no import library is made.
    expect(log.some((line) => line.startsWith('PyO3 '))).toBe(false);
    const [wheel] = manifest!.files;
    expect(wheel).toMatchObject({ name: 'qwork-0.3.1-cp310-abi3-manylinux2014_aarch64.manylinux_2_17_aarch64.whl', smokePassed: ['3.14'], bundled: [] });
    const file = path.join(outRoot, 'linux-aarch64-abi3', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);

    const site = mkdtempSync(path.join(tmpdir(), 'aarch64-site-'));
    try {
      expect(spawnSync('unzip', ['-q', file, '-d', site]).status).toBe(0);
      const [extension] = readdirSync(path.join(site, 'qwork')).filter((name) => name.endsWith('.so'));
      expect(spawnSync('readelf', ['-h', path.join(site, 'qwork', extension!)], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
      const run = spawnSync(
        'qemu-aarch64',
        [
          '-L',
          '/usr/aarch64-linux-gnu',
          python314,
          '-I',
          '-c',
          `import sys; sys.path.insert(0, ${JSON.stringify(site)}); import qwork, platform; print(platform.machine(), qwork.partition(1000), qwork.factorial(30))`,
        ],
        {
          encoding: 'utf8',
          cwd: site,
          env: { PATH: '/usr/bin:/bin' },
        },
      );
      expect(run.stdout.trim(), run.stderr).toBe(`aarch64 ${P1000} ${FACTORIAL_30}`);
    } finally {
      rmSync(site, { recursive: true, force: true });
    }
  });

  it('builds natively for linux-x86_64: the manylinux_2_17 abi3 wheel and the CLI, without setting force-cross', async () => {
    const { manifests, outRoot, log } = await buildFixture('qsym-workspace', { platform: 'linux-x86_64', python: ['3.10', '3.14'] });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-x86_64-abi3', target: 'x86_64-unknown-linux-gnu' } });
    expect(log.some((line) => line.includes('CARGO_FEATURE_FORCE_CROSS'))).toBe(false);
    const wheel = manifest!.files.find((f) => f.kind === 'wheel')!;
    expect(wheel).toMatchObject({ name: 'qwork-0.3.1-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', smokePassed: ['3.10', '3.14'] });
    const archive = manifest!.files.find((f) => f.kind === 'archive')!;
    expect(archive).toMatchObject({ name: 'qwork-0.3.1-linux-x86_64.tar.gz', smokePassed: ['binary'] });
    const dir = mkdtempSync(path.join(tmpdir(), 'linux-cli-'));
    try {
      expect(spawnSync('tar', ['-xzf', path.join(outRoot, 'linux-x86_64-abi3', archive.name), '-C', dir]).status).toBe(0);
      const run = spawnSync(path.join(dir, 'qwork-0.3.1-linux-x86_64', 'bin', 'qwork'), ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
      expect(run.stdout.trim(), run.stderr).toBe(`qwork 0.3.1 (p(1000) = ${P1000})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
