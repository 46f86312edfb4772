import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maturinArgs } from '../../src/backends/maturin.js';
import { buildWheels } from '../helpers/build-wheels.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import type { CellContext } from '../../src/routes/context.js';
import type { Host } from '../../src/core/host.js';
import { delvewheelArgs, windows } from '../../src/platforms/windows.js';
import { msys2Env, msys2Layout, msys2Packages } from '../../src/platforms/msys2.js';
import { resolveRoute } from '../../src/routes/resolve.js';
import { parsePeImports } from '../../src/platforms/pe-files.js';
import { wineInterpreters, wineLauncher, windowsPathOf } from '../../src/platforms/wine.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { routeOf } from '../helpers/route.js';
import { venvLayout } from '../../src/core/venv.js';

const catalog = loadCatalog();
const platform = catalog.platforms.get('windows-x86_64')!;
const MINGW64 = msys2Layout(platform, { msvc: false });
const RUNNER_PATH = 'C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64;C:\\Users\\runneradmin\\.cargo\\bin;C:\\Windows\\system32';
const WINDOWS_HOST: Host = { os: 'windows', arch: 'x86_64' };
const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };
const python312 = { version: '3.12', executable: 'C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64\\python.exe', fullVersion: '3.12.7', freeThreaded: false };

function context(yaml = '{}\n', runner = new FakeRunner(), host = WINDOWS_HOST): CellContext {
  const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', 'D:/a/proj/proj/native-matrix.yml'), { catalog });
  return {
    platform,
    route: routeOf(host, platform),
    config,
    runner,
    reporter: silent,
    cacheDir: 'C:/cache',
    workDir: 'C:/work',
    env: { PATH: RUNNER_PATH, USERPROFILE: 'C:\\Users\\runneradmin', NATIVE_MATRIX_RETRY_BASE_MS: '1' },
    sourceDateEpoch: 315532800,
  };
}

describe('windows-x86_64 on a GitHub Windows runner', () => {
  it("puts MinGW's bin, then MSYS2's usr\\bin, before the runner's PATH", () => {
    expect(msys2Env(MINGW64, { PATH: RUNNER_PATH })).toEqual({
      MSYSTEM: 'MINGW64',
      CHERE_INVOKING: '1',
      PATH: `C:\\msys64\\mingw64\\bin;C:\\msys64\\usr\\bin;${RUNNER_PATH}`,
    });
  });

  it('installs the toolchain and GMP with pacman, non-interactively, retrying', async () => {
    let pacmanCalls = 0;
    const runner = new FakeRunner(({ file }) => (file.endsWith('pacman.exe') && ++pacmanCalls < 3 ? { exitCode: 1, all: 'error: failed retrieving file' } : undefined));
    const gmp = await windows.provisionGmp(context('gmp:\n  libraries: [gmp, mpfr]\n', runner));
    const pacman =
      'C:\\msys64\\usr\\bin\\pacman.exe -S --refresh --noconfirm --needed --disable-download-timeout mingw-w64-x86_64-gcc mingw-w64-x86_64-binutils make m4 diffutils mingw-w64-x86_64-gmp mingw-w64-x86_64-mpfr';
    expect(runner.lines()).toEqual([pacman, pacman, pacman]);
    expect(runner.commands[0]!.env).toEqual({ MSYSTEM: 'MINGW64', CHERE_INVOKING: '1', PATH: `C:\\msys64\\mingw64\\bin;C:\\msys64\\usr\\bin;${RUNNER_PATH}` });
    // No MSYS2 here: no share\\licenses to read the texts from (msys2Licences is tested on its own).
    expect(gmp).toEqual({ source: 'system', libDirs: ['C:\\msys64\\mingw64\\bin'], env: msys2Env(MINGW64, { PATH: RUNNER_PATH }), licences: {} });
    expect(msys2Packages(MINGW64, ['gmp'], 'build')).toEqual(['mingw-w64-x86_64-gcc', 'mingw-w64-x86_64-binutils', 'make', 'm4', 'diffutils']);
  });

  it("adds the GNU Rust target, then runs maturin with the runner's CPython for x86_64-pc-windows-gnu, with the MinGW tools on PATH", async () => {
    const runner = new FakeRunner(({ args }) => {
      // Pretend maturin wrote its wheel.
      if (args.includes('maturin')) {
        const out = args[args.indexOf('--out') + 1]!;
        // An empty zip: the end-of-central-directory record alone.
        writeFileSync(`${out}/demo-0.1.0-cp310-abi3-win_amd64.whl`, Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]));
      }
      return undefined;
    });
    // A real cache root: the build's cargo target directory is made there.
    const ctx = { ...context('project:\n  path: crates/py\n', runner), workDir: tmpdir(), cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')) };
    const gmp = { source: 'system' as const, libDirs: ['C:\\msys64\\mingw64\\bin'], env: msys2Env(MINGW64, { PATH: RUNNER_PATH }) };
    const tools = { dir: 'C:/cache/tools/x', python: 'C:\\cache\\tools\\x\\Scripts\\python.exe', pipRunner: 'C:\\cache\\tools\\x\\Lib\\site-packages\\pip\\__pip-runner__.py', bin: (n: string) => n };
    await buildWheels({ context: ctx, module: windows, project: { backend: 'maturin', abi3: { enabled: true } }, gmp, tools, interpreters: [python312], abi3: true });
    // The workspace, its lockfile and the toolchain name the cargo target directory.
    const [host, rustup, locate, rustc, maturin] = runner.commands;
    expect([host!.file, ...host!.args]).toEqual(['rustc', '-vV']);
    expect([rustup!.file, ...rustup!.args]).toEqual(['rustup', 'target', 'add', 'x86_64-pc-windows-gnu']);
    expect([locate!.file, ...locate!.args, rustc!.file, ...rustc!.args]).toEqual(['cargo', 'locate-project', '--workspace', '--message-format', 'plain', 'rustc', '-vV']);
    expect(maturin!.file).toBe('C:\\cache\\tools\\x\\Scripts\\python.exe');
    expect(maturin!.args).toEqual([
      '-m',
      'maturin',
      'build',
      '--release',
      '--manifest-path',
      expect.stringMatching(/crates[\\/]py[\\/]Cargo\.toml$/),
      '--target',
      'x86_64-pc-windows-gnu',
      '--out',
      expect.any(String),
      '--interpreter',
      'C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64\\python.exe',
    ]);
    expect(maturin!.env).toEqual({
      MSYSTEM: 'MINGW64',
      CHERE_INVOKING: '1',
      PATH: `C:\\msys64\\mingw64\\bin;C:\\msys64\\usr\\bin;${RUNNER_PATH}`,
      GMP_MPFR_SYS_CACHE: expect.stringMatching(/gmp-mpfr-sys$/),
      PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1',
      // Registry sources named as /cargo/… in panic locations, whoever built it, and the target directories as /target.
      CARGO_BUILD_RUSTFLAGS: `--remap-path-prefix=C:\\Users\\runneradmin\\.cargo=/cargo --remap-path-prefix=${path.join(ctx.cacheDir, 'cargo-target')}=/target`,
      CARGO_TARGET_DIR: expect.stringContaining(path.join(ctx.cacheDir, 'cargo-target', '')),
    });
    expect(maturinArgs({ module: windows, context: ctx, interpreters: [python312], abi3: true } as never, 'out')).not.toContain('--compatibility');
  });

  it("compiles a release run from the commit alone: its target directories in the cell's scratch space, written as /target all the same", async () => {
    const runner = new FakeRunner(({ args }) => {
      if (args.includes('maturin')) writeFileSync(`${args[args.indexOf('--out') + 1]!}/demo-0.1.0-cp310-abi3-win_amd64.whl`, Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]));
      return undefined;
    });
    const ctx = {
      ...context('project:\n  path: crates/py\n', runner),
      workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
      cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')),
      freshBuilds: true,
    };
    const gmp = { source: 'system' as const, libDirs: ['C:\\msys64\\mingw64\\bin'], env: msys2Env(MINGW64, { PATH: RUNNER_PATH }) };
    const tools = { dir: 'C:/cache/tools/x', python: 'C:\\cache\\tools\\x\\Scripts\\python.exe', pipRunner: 'x', bin: (n: string) => n };
    await buildWheels({ context: ctx, module: windows, project: { backend: 'maturin', abi3: { enabled: true } }, gmp, tools, interpreters: [python312], abi3: true });
    const maturin = runner.commands.find((c) => c.args.includes('maturin'))!;
    expect(maturin.env!.CARGO_TARGET_DIR).toContain(path.join(ctx.workDir, 'cargo-target', ''));
    expect(maturin.env!.CARGO_BUILD_RUSTFLAGS).toContain(`--remap-path-prefix=${path.join(ctx.workDir, 'cargo-target')}=/target`);
    expect(existsSync(path.join(ctx.cacheDir, 'cargo-target'))).toBe(false);
  });

  it("repairs with delvewheel, adding MinGW's bin so libgmp-10.dll, libgcc_s_seh-1.dll and libwinpthread-1.dll travel inside, name-mangled", () => {
    expect(delvewheelArgs('C:\\w\\demo-0.1.0-cp310-abi3-win_amd64.whl', 'C:\\out', ['C:\\gmp\\bin', 'C:\\msys64\\mingw64\\bin'])).toEqual([
      '-m',
      'delvewheel',
      'repair',
      '--add-path',
      'C:\\gmp\\bin;C:\\msys64\\mingw64\\bin',
      '--no-diagnostic',
      '--wheel-dir',
      'C:\\out',
      'C:\\w\\demo-0.1.0-cp310-abi3-win_amd64.whl',
    ]);
    // Cross-built on Linux: the PE walk's directories, in the host's path-list syntax.
    expect(delvewheelArgs('/w/demo.whl', '/out', ['/gmp/bin', '/usr/x86_64-w64-mingw32/lib'], 'linux')).toEqual([
      '-m',
      'delvewheel',
      'repair',
      '--add-path',
      '/gmp/bin:/usr/x86_64-w64-mingw32/lib',
      '--no-diagnostic',
      '--wheel-dir',
      '/out',
      '/w/demo.whl',
    ]);
  });

  it("takes GMP for MSVC's C extensions from UCRT64, whose DLLs link CPython's C runtime, and keeps MINGW64 for Rust and programs", async () => {
    const request = (backend: 'setuptools' | 'maturin', wheel = true) => resolveRoute(WINDOWS_HOST, platform, { wheel, binary: !wheel, backend, manylinux: '2_17' }).route!;
    expect([request('setuptools').msvc, request('maturin').msvc, request('setuptools', false).msvc]).toEqual([true, false, false]);
    const ucrt = msys2Layout(platform, request('setuptools'));
    expect(ucrt).toMatchObject({ environment: 'UCRT64', packagePrefix: 'mingw-w64-ucrt-x86_64', bin: 'C:\\msys64\\ucrt64\\bin', objdump: 'C:\\msys64\\ucrt64\\bin\\objdump.exe' });
    expect(msys2Layout(platform, request('maturin'))).toMatchObject({ environment: 'MINGW64', bin: 'C:\\msys64\\mingw64\\bin' });
    // windows-arm64's CLANGARM64 links the UCRT already: one environment for both.
    const arm64 = catalog.platforms.get('windows-arm64')!;
    expect(msys2Layout(arm64, { msvc: true })).toEqual(msys2Layout(arm64, { msvc: false }));

    const runner = new FakeRunner();
    const ctx = { ...context('gmp:\n  libraries: [gmp, mpfr]\n', runner), route: request('setuptools'), workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')) };
    const gmp = await windows.provisionGmp(ctx);
    expect(runner.lines()).toEqual([
      'C:\\msys64\\usr\\bin\\pacman.exe -S --refresh --noconfirm --needed --disable-download-timeout mingw-w64-ucrt-x86_64-gcc mingw-w64-ucrt-x86_64-binutils make m4 diffutils mingw-w64-ucrt-x86_64-gmp mingw-w64-ucrt-x86_64-mpfr',
    ]);
    expect(gmp).toMatchObject({ source: 'system', libDirs: ['C:\\msys64\\ucrt64\\bin'], env: { MSYSTEM: 'UCRT64', PATH: `C:\\msys64\\ucrt64\\bin;C:\\msys64\\usr\\bin;${RUNNER_PATH}` } });
    // delvewheel bundles UCRT64's DLLs, never MINGW64's of the same names.
    writeFileSync(path.join(ctx.workDir, 'demo-0.1.0-cp310-abi3-win_amd64.whl'), '');
    await windows.repairWheel(ctx, path.join(ctx.workDir, 'demo-0.1.0-cp310-abi3-win_amd64.whl'), ctx.workDir, gmp, { python: 'python.exe' } as never).catch(() => undefined);
    const repair = runner.commands.find((c) => c.args.includes('delvewheel'))!;
    expect(repair.args[repair.args.indexOf('--add-path') + 1]).toBe('C:\\msys64\\ucrt64\\bin');
    expect(runner.lines().join('\n')).not.toContain('mingw64');
  });

  it('runs Windows CPython under wine with its own prefix, and tells maturin the version by name', async () => {
    expect(wineLauncher('/p', { PYTHONPATH: 'Z:\\c' })).toEqual(['env', 'WINEPREFIX=/p', 'WINEDEBUG=-all', 'WINEDLLOVERRIDES=mscoree,mshtml=', 'WINEPATH=', 'PYTHONPATH=Z:\\c', 'wine']);
    expect(windowsPathOf('/tmp/a/b')).toBe('Z:\\tmp\\a\\b');
    // No Windows CPython here: every version is still built for (maturin knows Windows CPython), and none is smoke-tested.
    const runner = new FakeRunner();
    const interpreters = await wineInterpreters({ ...context('{}\n', runner, { os: 'linux', arch: 'x86_64' }), env: {} }, 'x86_64-w64-mingw32', ['3.12', '3.13']);
    expect(interpreters.map((i) => [i.version, i.foreign?.buildAs, Boolean(i.untested)])).toEqual([
      ['3.12', 'python3.12', true],
      ['3.13', 'python3.13', true],
    ]);
    expect(runner.commands).toEqual([]);
  });

  it('smoke-tests in venvs with Scripts\\python.exe, and runs programs natively', () => {
    expect(venvLayout('C:\\t\\venv', 'windows').python).toBe('C:\\t\\venv\\Scripts\\python.exe');
    expect(windows.programCommand(context(), 'C:\\x\\gmp-cli.exe', ['100'])).toEqual({ file: 'C:\\x\\gmp-cli.exe', args: ['100'], env: {} });
    expect(windows.programFile('gmp-cli')).toBe('gmp-cli.exe');
  });
});

describe('windows-x86_64 from a Linux host', () => {
  const linux: Host = { os: 'linux', arch: 'x86_64' };

  it('compiles programs with mingw-w64 on Linux', () => {
    expect(windows.cCompiler(context('{}\n', new FakeRunner(), linux))).toBe('x86_64-w64-mingw32-gcc');
  });

  it('runs the program under wine in a fresh prefix of its own', () => {
    expect(windows.programCommand(context('{}\n', new FakeRunner(), linux), '/t/gmp-cli.exe', ['100'])).toEqual({
      file: 'wine',
      args: ['/t/gmp-cli.exe', '100'],
      env: { WINEPREFIX: 'C:/work/wineprefix', WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' },
    });
  });

  it('reads PE import tables from objdump', () => {
    const output = [
      'The Import Tables (interpreted .idata section contents)',
      ' vma:            Hint    Time      Forward  DLL       First',
      '\tDLL Name: libgmp-10.dll',
      '\tvma:  Hint/Ord Member-Name Bound-To',
      '\tDLL Name: KERNEL32.dll',
      '\tDLL Name: msvcrt.dll',
      '',
    ].join('\n');
    expect(parsePeImports(output)).toEqual(['libgmp-10.dll', 'KERNEL32.dll', 'msvcrt.dll']);
  });
});
