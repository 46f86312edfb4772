import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maturinArgs } from '../../src/backends/maturin.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { checkMacosWheel, delocateArgs, deploymentTarget, homebrewGmpFits, macos, parseOtoolLibraries, parseOtoolMinos } from '../../src/platforms/macos.js';
import { UserError } from '../../src/core/errors.js';
import type { CellContext } from '../../src/routes/context.js';
import type { Host } from '../../src/core/host.js';
import { machoProblems, type MachoReport } from '../../src/platforms/macho-check.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { serveTarballs, tarball } from '../helpers/tarballs.js';
import { routeOf } from '../helpers/route.js';

const catalog = loadCatalog();
const arm64 = catalog.platforms.get('macos-arm64')!;
const x86 = catalog.platforms.get('macos-x86_64')!;
const MAC_ARM: Host = { os: 'macos', arch: 'aarch64' };
const MAC_INTEL: Host = { os: 'macos', arch: 'x86_64' };
const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };

const OTOOL_L = (minos: string) => `/opt/homebrew/opt/gmp/lib/libgmp.dylib:
Load command 8
      cmd LC_BUILD_VERSION
  cmdsize 32
 platform 1
    minos ${minos}
      sdk 15.0
`;

function context(platform = arm64, host = MAC_ARM, yaml = '{}\n', runner = new FakeRunner(), env: NodeJS.ProcessEnv = {}): CellContext {
  const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/Users/runner/work/p/native-matrix.yml'), { catalog });
  return {
    platform,
    route: routeOf(host, platform),
    config,
    runner,
    reporter: silent,
    cacheDir: mkdtempSync(path.join(tmpdir(), 'mac-cache-')),
    workDir: mkdtempSync(path.join(tmpdir(), 'mac-work-')),
    env,
    sourceDateEpoch: 315532800,
  };
}

describe('macOS deployment target and GMP', () => {
  it('takes the deployment target from the catalog, or from the workflow', () => {
    expect(deploymentTarget(arm64, {})).toBe('11.0');
    expect(deploymentTarget(x86, {})).toBe('10.13');
    expect(deploymentTarget(arm64, { MACOSX_DEPLOYMENT_TARGET: '12.3' })).toBe('12.3');
  });

  it("uses Homebrew's GMP only when it was built for a macOS not newer than the target", () => {
    expect(homebrewGmpFits('14.0', '11.0')).toBe(false);
    expect(homebrewGmpFits('11.0', '11.0')).toBe(true);
    expect(homebrewGmpFits('10.15', '11.0')).toBe(true);
    expect(homebrewGmpFits('10.9', '10.13')).toBe(true);
    expect(homebrewGmpFits(undefined, '11.0')).toBe(false);
    expect(parseOtoolMinos(OTOOL_L('14.0'))).toBe('14.0');
    expect(parseOtoolMinos('Load command 9\n      cmd LC_VERSION_MIN_MACOSX\n  cmdsize 16\n  version 10.13\n      sdk 10.14\n')).toBe('10.13');
  });

  it("keeps Homebrew's GMP when it fits", async () => {
    const runner = new FakeRunner(({ file, args }) => (file === 'brew' ? { stdout: '/opt/homebrew/opt/gmp\n' } : file === 'otool' && args[0] === '-l' ? { stdout: OTOOL_L('12.0') } : undefined));
    const gmp = await macos.provisionGmp(context(arm64, MAC_ARM, '{}\n', runner, { MACOSX_DEPLOYMENT_TARGET: '13.0' }));
    expect(runner.lines()).toEqual(['brew --prefix --installed gmp', 'otool -l /opt/homebrew/opt/gmp/lib/libgmp.dylib']);
    expect(gmp).toEqual({
      source: 'system',
      libDirs: ['/opt/homebrew/opt/gmp/lib'],
      env: {
        MACOSX_DEPLOYMENT_TARGET: '13.0',
        CPPFLAGS: '-I/opt/homebrew/opt/gmp/include',
        LDFLAGS: '-L/opt/homebrew/opt/gmp/lib',
        C_INCLUDE_PATH: '/opt/homebrew/opt/gmp/include',
        LIBRARY_PATH: '/opt/homebrew/opt/gmp/lib',
      },
      // No Homebrew here: its keg, and so GMP's version and texts, cannot be read.
      licences: { gmp: { texts: [] } },
    });
  });

  it('accepts a deployment target written without its minor version', () => {
    expect(homebrewGmpFits('11.0', '11')).toBe(true);
    expect(homebrewGmpFits('11.1', '11')).toBe(false);
  });

  it("installs Homebrew's GMP when `brew --prefix --installed` says it is missing", async () => {
    let installed = false;
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'brew' && args[0] === 'install') installed = true;
      if (file === 'brew' && args[0] === '--prefix') return installed ? { stdout: '/opt/homebrew/opt/gmp\n' } : { exitCode: 1, stderr: 'Error: No such keg: /opt/homebrew/Cellar/gmp' };
      return file === 'otool' ? { stdout: OTOOL_L('11.0') } : undefined;
    });
    const gmp = await macos.provisionGmp(context(arm64, MAC_ARM, '{}\n', runner));
    expect(runner.lines()).toEqual(['brew --prefix --installed gmp', 'brew install gmp', 'brew --prefix --installed gmp', 'otool -l /opt/homebrew/opt/gmp/lib/libgmp.dylib']);
    expect(gmp.source).toBe('system');
  });

  for (const [platform, host, flags] of [
    [arm64, MAC_ARM, '--host=aarch64-apple-darwin --build=aarch64-apple-darwin --enable-shared --enable-static --with-pic'],
    [x86, MAC_INTEL, '--host=x86_64-apple-darwin --build=x86_64-apple-darwin --enable-shared --enable-static --with-pic --enable-fat'],
  ] as const) {
    it(`builds GMP from source for the deployment target on ${platform.id} when Homebrew's is too new`, async () => {
      const body = tarball('gmp-6.3.0');
      const server = await serveTarballs({ 'gmp.tar.gz': body });
      try {
        const sha = createHash('sha256').update(body).digest('hex');
        const runner = new FakeRunner(({ file, args, cwd }) => {
          if (file === 'brew') return { stdout: '/usr/local/opt/gmp\n' };
          if (file === 'otool') return { stdout: OTOOL_L('15.0') };
          if (file === 'tar') spawnSync(file, args, { cwd });
          return undefined;
        });
        const ctx = context(platform, host, `gmp:\n  tarballs:\n    gmp: { url: "${server.base}/gmp.tar.gz", sha256: "${sha}" }\n`, runner);
        const gmp = await macos.provisionGmp(ctx);
        const target = platform === arm64 ? '11.0' : '10.13';
        const configure = runner.commands.find((c) => c.file === 'sh')!;
        expect(configure.args.join(' ')).toBe(`./configure --prefix=${path.dirname(gmp.libDirs[0]!)} ${flags}`);
        expect(configure.env).toEqual({ MACOSX_DEPLOYMENT_TARGET: target, CC: 'clang -std=gnu17' });
        expect(runner.commands.filter((c) => c.file === 'make').map((c) => c.env)).toEqual([{ MACOSX_DEPLOYMENT_TARGET: target }, { MACOSX_DEPLOYMENT_TARGET: target }]);
        expect(gmp).toMatchObject({ source: 'build', env: { MACOSX_DEPLOYMENT_TARGET: target } });
      } finally {
        await server.close();
      }
    });
  }
});

describe('macOS builds and repair', () => {
  it('runs maturin for the Apple target, with the deployment target in the environment', () => {
    const interpreters = [{ version: '3.12', executable: '/Users/runner/hostedtoolcache/Python/3.12.7/arm64/bin/python3.12', fullVersion: '3.12.7', freeThreaded: false }];
    const ctx = context();
    expect(maturinArgs({ module: macos, context: ctx, interpreters, abi3: true } as never, '/out')).toEqual([
      '-m',
      'maturin',
      'build',
      '--release',
      '--manifest-path',
      '/Users/runner/work/p/Cargo.toml',
      '--target',
      'aarch64-apple-darwin',
      '--out',
      '/out',
      '--interpreter',
      '/Users/runner/hostedtoolcache/Python/3.12.7/arm64/bin/python3.12',
    ]);
    expect(maturinArgs({ module: macos, context: context(x86, MAC_INTEL), interpreters, abi3: true } as never, '/out')).toContain('x86_64-apple-darwin');
  });

  it("builds a PEP 517 wheel for the cell's arch only, though setup-python's CPython is universal2", async () => {
    const interpreter = { version: '3.12', executable: '/py/bin/python3.12', fullVersion: '3.12.7', freeThreaded: false };
    expect(await macos.wheelBuilder(context(arm64, MAC_ARM), interpreter)).toEqual({ python: '/py/bin/python3.12', env: { ARCHFLAGS: '-arch arm64', _PYTHON_HOST_PLATFORM: 'macosx-11.0-arm64' } });
    expect((await macos.wheelBuilder(context(x86, MAC_INTEL), interpreter)).env).toEqual({ ARCHFLAGS: '-arch x86_64', _PYTHON_HOST_PLATFORM: 'macosx-10.13-x86_64' });
  });

  it('repairs with delocate-wheel, requiring the cell arch', () => {
    expect(delocateArgs(arm64, '/w/demo-0.1-cp310-abi3-macosx_11_0_arm64.whl', '/out')).toEqual(['--require-archs', 'arm64', '-w', '/out', '-v', '/w/demo-0.1-cp310-abi3-macosx_11_0_arm64.whl']);
    expect(delocateArgs(x86, 'w.whl', '/out').slice(0, 2)).toEqual(['--require-archs', 'x86_64']);
  });

  it("bundles a program's dylibs next to it, rewrites install names, and signs again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mac-bundle-'));
    const libgmp = path.join(dir, 'libgmp.10.dylib');
    writeFileSync(libgmp, 'dylib');
    const program = path.join(dir, 'stage', 'bin', 'gmp-cli');
    const runner = new FakeRunner(({ file, args }) => {
      if (file !== 'otool') return undefined;
      return args[1] === program
        ? { stdout: `${program}:\n\t${libgmp} (compatibility version 16.0.0, current version 16.0.0)\n\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1351.0.0)\n` }
        : { stdout: `${args[1]}:\n\t${libgmp} (compatibility version 16.0.0, current version 16.0.0)\n\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1351.0.0)\n` };
    });
    const stage = path.join(dir, 'stage');
    const bundled = await macos.bundleProgram(context(arm64, MAC_ARM, '{}\n', runner), program, stage, { source: 'system', libDirs: [], env: {} });
    expect(bundled).toEqual(['libgmp.10.dylib']);
    const copy = path.join(stage, 'lib', 'libgmp.10.dylib');
    expect(readFileSync(copy, 'utf8')).toBe('dylib');
    expect(runner.lines()).toEqual([
      `otool -L ${program}`,
      `install_name_tool -id @loader_path/libgmp.10.dylib ${copy}`,
      `install_name_tool -change ${libgmp} @executable_path/../lib/libgmp.10.dylib ${program}`,
      `otool -L ${copy}`,
      `install_name_tool -change ${libgmp} @loader_path/libgmp.10.dylib ${copy}`,
      `codesign --force --sign - ${copy}`,
      `codesign --force --sign - ${program}`,
    ]);
    expect(parseOtoolLibraries(`${program}:\n\t/usr/lib/libSystem.B.dylib (compatibility version 1.0.0, current version 1.0.0)\n`)).toEqual(['/usr/lib/libSystem.B.dylib']);
  });

  it("requires the cell's arch in every Mach-O file of the wheel (universal2 files hold it too)", async () => {
    const tools = { python: '/tools/bin/python' } as never;
    const report = (archs: Record<string, string[]>) => new FakeRunner(() => ({ stdout: JSON.stringify({ platformTags: ['macosx_11_0_arm64'], bundled: [], violations: [], minos: {}, archs }) }));
    const fat = report({ 'demo/_demo.abi3.so': ['arm64', 'x86_64'] });
    expect(await checkMacosWheel(fat, tools, 'demo.whl', arm64, '11.0')).toEqual({ bundled: [], platformTags: ['macosx_11_0_arm64'] });
    const wrong = report({ 'demo/_demo.abi3.so': ['arm64'], 'demo/.dylibs/libgmp.10.dylib': ['x86_64'] });
    const error = await checkMacosWheel(wrong, tools, 'demo.whl', arm64, '11.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('demo.whl is not fit for macos-arm64: demo/.dylibs/libgmp.10.dylib is built for x86_64, not arm64 (build it for aarch64-apple-darwin)');
  });
});

describe('the Mach-O checks of a file for a Mac that is not here (macho-check.ts)', () => {
  const report = (over: Partial<MachoReport>): MachoReport => ({ platformTags: [], bundled: [], violations: [], dependencies: {}, minos: {}, archs: {}, signed: {}, objects: [], ...over });

  it('asks a code signature of arm64 files only, never of object files', () => {
    const unsigned = report({ archs: { 'bin/tool': ['arm64'], 'libgmp.a(add_n.o)': ['arm64'] }, signed: { 'bin/tool': false, 'libgmp.a(add_n.o)': false }, objects: ['libgmp.a(add_n.o)'] });
    expect(machoProblems(unsigned, arm64, '11.0')).toEqual([
      "bin/tool has no code signature, which an arm64 Mac requires to load it (link it with zig or Apple's ld, which sign arm64 output ad hoc, or sign it: codesign --force --sign -)",
    ]);
    expect(machoProblems(report({ archs: { 'bin/tool': ['x86_64'] }, signed: { 'bin/tool': false } }), x86, '10.13')).toEqual([]);
  });

  it('names the file and the fix for a newer minos, another arch and a library from outside', () => {
    const bad = report({
      archs: { 'a.so': ['x86_64'] },
      minos: { 'a.so': '10.15' },
      violations: [{ file: 'a.so', needed: '/opt/homebrew/lib/libgmp.10.dylib' }],
    });
    expect(machoProblems(bad, x86, '10.13', 'archive')).toEqual([
      'a.so needs /opt/homebrew/lib/libgmp.10.dylib, which is neither in the archive nor a system library (bundle it, or link it statically)',
      'a.so requires macOS 10.15, newer than the deployment target 10.13 (compile it with MACOSX_DEPLOYMENT_TARGET=10.13; zig: -target x86_64-macos.10.13)',
    ]);
    expect(machoProblems(report({ archs: { 'a.so': ['x86_64'] } }), arm64, '11.0')).toEqual(['a.so is built for x86_64, not arm64 (build it for aarch64-apple-darwin)']);
  });

  it("holds every linked file to the wheel's tag as well as the target, and refuses one that records no minimum macOS", () => {
    const tagged = report({ platformTags: ['macosx_10_12_x86_64'], archs: { 'a.so': ['x86_64'] }, minos: { 'a.so': '10.13' } });
    expect(machoProblems(tagged, x86, '10.13')).toEqual([
      "a.so requires macOS 10.13, newer than its wheel's tag macosx_10_12_x86_64 promises (pip would install it on macOS 10.12): tag the wheel for 10.13",
    ]);
    expect(machoProblems({ ...tagged, platformTags: ['macosx_10_13_x86_64'] }, x86, '10.13')).toEqual([]);
    const unversioned = report({ archs: { 'a.so': ['x86_64'], 'libgmp.a(add_n.o)': ['x86_64'] }, minos: { 'a.so': null, 'libgmp.a(add_n.o)': null }, objects: ['libgmp.a(add_n.o)'] });
    expect(machoProblems(unversioned, x86, '10.13')).toEqual(['a.so records no minimum macOS (no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX load command): link it for the deployment target 10.13']);
  });
});
