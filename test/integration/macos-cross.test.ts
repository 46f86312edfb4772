import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Platform } from '../../src/catalog/catalog.js';
import { untarTo, unzipTo } from '../../src/core/archive.js';
import { cacheRoot } from '../../src/core/cache.js';
import { UserError } from '../../src/core/errors.js';
import { findInterpreters } from '../../src/core/interpreters.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { ensureToolEnv, type ToolEnv } from '../../src/core/tools.js';
import { checkMachoFile, checkMacosWheel, readMacho } from '../../src/platforms/macho-check.js';
import { NOT_RUN_HERE } from '../../src/platforms/macos-zig.js';
import type { Manifest } from '../../src/stages/manifest.js';
import { buildFixture, fixture, quietLog } from '../helpers/engine.js';

// macOS wheels and programs built on this Linux machine through the engine
// (route macos-zig): GMP built with zig, static, with its assembly (fat on
// x86_64, through the fix of matrix/gmp-patches.yml). Nothing here can load a
// Mach-O file: what is proven is the files, read for real, and that the
// project's checks refuse each way a Mac would refuse one.
const runner = new ExecaRunner(quietLog());
const catalog = loadCatalog();
const platforms = ['macos-arm64', 'macos-x86_64'].map((id) => catalog.platforms.get(id)!);
const TARGET: Record<string, string> = { 'macos-arm64': '11.0', 'macos-x86_64': '10.13' };
const TAG: Record<string, string> = { 'macos-arm64': 'macosx_11_0_arm64', 'macos-x86_64': 'macosx_10_13_x86_64' };
const ARCH: Record<string, string> = { 'macos-arm64': 'arm64', 'macos-x86_64': 'x86_64' };

interface Built {
  outRoot: string;
  manifests: Manifest[];
  log: readonly string[];
}
let tools: ToolEnv;
const built: Record<'wheel' | 'rust' | 'c', Built> = {} as never;
const timings: Record<string, number> = {};

const manifestOf = (which: keyof typeof built, platform: Platform) => built[which].manifests.find((m) => m.cell.platform === platform.id)!;
const fileOf = (which: keyof typeof built, platform: Platform) => path.join(built[which].outRoot, manifestOf(which, platform).cell.id, manifestOf(which, platform).files[0]!.name);

/** GMP's version string (gmp_version) in a linked file. */
const gmpVersionIn = (file: string) => /^(6\.\d+\.\d+)$/m.exec(spawnSync('strings', ['-a', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout)?.[1];

/** Symbols of a Mach-O file or static library, by llvm-nm. */
const symbols = (file: string) => spawnSync('llvm-nm', [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout;

beforeAll(async () => {
  const [python] = await findInterpreters(['3.12'], { runner });
  tools = await ensureToolEnv({ runner, host: python!, tools: ['delocate', 'ziglang'], cacheDir: cacheRoot() });
  for (const [which, name, config] of [
    ['wheel', 'qsym-like', 'native-matrix.macos.yml'],
    ['rust', 'gmp-cli', 'native-matrix.macos.yml'],
    ['c', 'gmp-cli', 'native-matrix.macos-c.yml'],
  ] as const) {
    const started = performance.now();
    built[which] = await buildFixture(name, { configPath: path.join(fixture(name), config) });
    timings[which] = (performance.now() - started) / 1000;
  }
  if (process.env.NATIVE_MATRIX_TEST_LOG) process.stderr.write(`macos-cross build seconds: ${JSON.stringify(timings)}\n`);
}, 3_600_000);

describe.each(platforms)('$id cross-built on Linux with zig', (platform) => {
  const arch = ARCH[platform.id]!;
  const target = TARGET[platform.id]!;

  it('builds qsym-like (bundled GMP) into an abi3 wheel the Mach-O checks pass, recorded as verified on a Mac, not here', async () => {
    const manifest = manifestOf('wheel', platform);
    expect(manifest.files.map((f) => f.name)).toEqual([`qsymlike-0.1.0-cp310-abi3-${TAG[platform.id]}.whl`]);
    expect(manifest.ok).toBe(true);
    expect(manifest.files[0]!.smoke).toEqual([]);
    expect(manifest.notSmokeTested).toEqual([{ python: '3.10', reason: NOT_RUN_HERE }]);
    const wheel = fileOf('wheel', platform);
    expect(await checkMacosWheel(runner, tools, wheel, platform, target)).toEqual({ bundled: [], platformTags: [TAG[platform.id]] });
    const report = await readMacho(runner, tools, wheel);
    const extension = 'qsymlike/_qsymlike.abi3.so';
    expect(Object.keys(report.archs)).toEqual([extension]);
    expect(report.archs[extension]).toEqual([arch]);
    expect(report.minos[extension]).toBe(target);
    for (const library of report.dependencies[extension]!) expect(library).toMatch(/^\/usr\/lib\//);
    // zig signs arm64 output ad hoc; x86_64 needs none.
    if (arch === 'arm64') expect(report.signed![extension]).toBe(true);
    // GMP is linked in, with its assembly: on x86_64 the fat build's per-CPU
    // code (the fixed aors_n.asm's mpn_add_nc among it), on arm64 the arm64 assembly's.
    const dir = mkdtempSync(path.join(tmpdir(), 'macos-wheel-'));
    await unzipTo(wheel, dir);
    const names = symbols(path.join(dir, extension));
    // The GMP inside is the one its licence record names: gmp-mpfr-sys's own build (1.5.3 bundles GMP 6.2.1).
    expect(manifest.files[0]!.libraries).toMatchObject([{ name: 'gmp', version: '6.2.1', linkage: 'static' }]);
    expect(gmpVersionIn(path.join(dir, extension))).toBe('6.2.1');
    if (arch === 'x86_64') {
      expect(names).toMatch(/ ___gmpn_add_nc_x86_64$/m);
      expect(names).toMatch(/ ___gmpn_add_n_coreisbr$/m);
      expect(names).toMatch(/ ___gmpn_cpuvec_init$/m);
    } else {
      expect(names).toMatch(/ ___gmpn_add_n$/m);
    }
  });

  it("builds gmp-cli's Rust program (gmp-mpfr-sys's use-system-libs, no force-cross) against zig's GMP, checked, not run here", async () => {
    const manifest = manifestOf('rust', platform);
    expect(manifest.ok).toBe(true);
    expect(manifest.gmp).toMatchObject({ source: 'build', version: '6.3.0' });
    expect(manifest.files).toMatchObject([{ name: `gmp-cli-0.1.0-${platform.id}.tar.gz`, kind: 'archive', bundled: [], smokePassed: [], smoke: [] }]);
    expect(manifest.notSmokeTested).toEqual([{ python: 'binary', reason: NOT_RUN_HERE }]);
    expect(built.rust.log.join('\n')).toContain('refuses to cross-compile without its force-cross feature: this cross build sets CARGO_FEATURE_FORCE_CROSS=1');
    await expectProgram(fileOf('rust', platform), `gmp-cli-0.1.0-${platform.id}`, platform, target);
  });

  it("builds gmp-cli's C program with make and zig against GMP built with zig, checked, not run here", async () => {
    const manifest = manifestOf('c', platform);
    expect(manifest.ok).toBe(true);
    expect(manifest.files).toMatchObject([{ name: `gmp-cli-${platform.id}.tar.gz`, kind: 'archive', bundled: [], smoke: [] }]);
    await expectProgram(fileOf('c', platform), `gmp-cli-${platform.id}`, platform, target);
  });

  it("checks GMP's static library object by object: every object of the cell's arch and deployment target", async () => {
    const libgmp = path.join(gmpPrefix(platform), 'lib', 'libgmp.a');
    const report = await checkMachoFile(runner, tools, libgmp, platform, target);
    expect(report.objects!.length).toBeGreaterThan(300);
    expect(new Set(Object.values(report.archs).flat())).toEqual(new Set([arch]));
    expect(new Set(Object.values(report.minos))).toEqual(new Set([target]));
    // mpn_add_nc exists only in GMP's assembly (generic C has mpn_add_n alone):
    // arm64's, or on x86_64 the fat build's generic x86_64 code, the function the fix of aors_n.asm is for.
    expect(symbols(libgmp)).toMatch(arch === 'x86_64' ? / T ___gmpn_add_nc_x86_64$/m : / T ___gmpn_add_nc$/m);
  });
});

/** The program in the archive: the cell's arch, minos, system libraries only, signed on arm64, with GMP's assembly inside. */
async function expectProgram(archive: string, stem: string, platform: Platform, target: string) {
  const report = await checkMachoFile(runner, tools, archive, platform, target);
  const program = `${stem}/bin/gmp-cli`;
  expect(built.c.manifests.concat(built.rust.manifests).find((m) => m.files[0]!.name === path.basename(archive))!.files[0]!.libraries).toMatchObject([
    { name: 'gmp', version: '6.3.0', linkage: 'static', licenseFiles: [`${stem}/licenses/gmp/COPYING.LESSERv3`, `${stem}/licenses/gmp/COPYINGv2`, `${stem}/licenses/gmp/COPYINGv3`] },
  ]);
  expect(Object.keys(report.archs)).toEqual([program]);
  expect(report.archs[program]).toEqual([ARCH[platform.id]]);
  expect(report.minos[program]).toBe(target);
  for (const library of report.dependencies[program]!) expect(library).toMatch(/^\/usr\/lib\//);
  if (platform.arch === 'aarch64') expect(report.signed![program]).toBe(true);
  const dir = mkdtempSync(path.join(tmpdir(), 'macos-program-'));
  await untarTo(archive, dir);
  const names = symbols(path.join(dir, program));
  // zig's GMP, linked statically, as the archive's licence record says.
  expect(gmpVersionIn(path.join(dir, program))).toBe('6.3.0');
  expect(names).toMatch(platform.arch === 'x86_64' ? / ___gmpn_add_nc_x86_64$/m : / ___gmpn_add_n$/m);
}

/** The prefix of the GMP the engine built for the C program, as its log names it. */
function gmpPrefix(platform: Platform): string {
  const line = built.c.log.find((l) => l.startsWith(`Compilers: zig for macOS ${TARGET[platform.id]} (${platform.arch}-macos.`));
  return /GMP (?:built|from the cache) in (\S+)$/.exec(line!)![1]!;
}

describe("GMP's x86_64 assembly, fixed for zig's Mach-O linker (matrix/gmp-patches.yml)", () => {
  it("reaches both GMP builds: mpn_add_nc_x86_64 of the engine's and of gmp-mpfr-sys's fat libgmp.a links with zig, which refuses the unfixed jrcxz", () => {
    const engine = path.join(gmpPrefix(platforms[1]!), 'lib', 'libgmp.a');
    // gmp-mpfr-sys's cache, where the wheel's build left the GMP it built from its bundled sources.
    const cached = spawnSync('find', [path.join(cacheRoot(), 'gmp-mpfr-sys'), '-path', '*/x86_64-apple-darwin/*', '-name', 'libgmp.a'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(cached.length).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'macho-add-nc-'));
    const source = path.join(dir, 'use.c');
    writeFileSync(
      source,
      'typedef unsigned long limb;\nlimb __gmpn_add_nc_x86_64(limb *, const limb *, const limb *, long, limb);\nint main(void) { limb a[1] = {1}, b[1] = {2}, r[1]; return (int)__gmpn_add_nc_x86_64(r, a, b, 1, 0); }\n',
    );
    for (const library of [engine, ...cached]) {
      const result = spawnSync(zigBinary(), ['cc', '-target', 'x86_64-macos.10.13', source, library, '-o', path.join(dir, 'use')], { encoding: 'utf8' });
      expect(result.status, `${library}: ${result.stderr}`).toBe(0);
    }
  });
});

describe('the Mach-O checks refuse what a Mac would refuse, naming the file', () => {
  const arm64 = () => platforms[0]!;
  const x86_64 = () => platforms[1]!;

  /** A tiny C file compiled by zig for a target (`x86_64-macos.12.0`). */
  function compile(zigTarget: string, out: string, flags: string[] = ['-c']): string {
    const zigBin = zigBinary();
    const source = path.join(path.dirname(out), 'tiny.c');
    writeFileSync(source, 'int tiny(int x) { return x + 1; }\n');
    const result = spawnSync(zigBin, ['cc', '-target', zigTarget, ...flags, source, '-o', out], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    return zigBin;
  }

  it('an object built for a newer macOS inside a static library', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'macho-newer-'));
    const object = path.join(dir, 'newer.o');
    const zigBin = compile('x86_64-macos.12.0', object);
    const library = path.join(dir, 'libgmp.a');
    expect(spawnSync(zigBin, ['ar', 'rcs', library, object]).status).toBe(0);
    const error = await checkMachoFile(runner, tools, library, x86_64(), '10.13').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('libgmp.a(newer.o) requires macOS 12.0, newer than the deployment target 10.13 (compile it with MACOSX_DEPLOYMENT_TARGET=10.13');
  });

  it('an x86_64 file in an arm64 wheel', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'macho-mixed-'));
    await unzipTo(fileOf('wheel', arm64()), dir);
    const x86Dir = mkdtempSync(path.join(tmpdir(), 'macho-x86-'));
    await unzipTo(fileOf('wheel', x86_64()), x86Dir);
    copyFileSync(path.join(x86Dir, 'qsymlike/_qsymlike.abi3.so'), path.join(dir, 'qsymlike/helper.so'));
    const wheel = rezip(dir, path.basename(fileOf('wheel', arm64())));
    const error = await checkMacosWheel(runner, tools, wheel, arm64(), '11.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('qsymlike/helper.so is built for x86_64, not arm64 (build it for aarch64-apple-darwin)');
  });

  it('an unsigned arm64 library', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'macho-unsigned-'));
    await unzipTo(fileOf('wheel', arm64()), dir);
    const extension = path.join(dir, 'qsymlike/_qsymlike.abi3.so');
    writeFileSync(extension, withoutCodeSignature(readFileSync(extension)));
    const wheel = rezip(dir, path.basename(fileOf('wheel', arm64())));
    const error = await checkMacosWheel(runner, tools, wheel, arm64(), '11.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('qsymlike/_qsymlike.abi3.so has no code signature, which an arm64 Mac requires to load it');
  });
});

/** zig, from the tool environment. */
const zigBinary = () => spawnSync(tools.python, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'], { encoding: 'utf8' }).stdout.trim();

/** A wheel of the directory's files, under the name given. */
function rezip(dir: string, name: string): string {
  const parent = mkdtempSync(path.join(tmpdir(), 'macho-wheel-'));
  const wheel = path.join(parent, name);
  const result = spawnSync(tools.python, [
    '-c',
    'import os, sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], "w") as z:\n    for r, _, fs in os.walk(sys.argv[1]):\n        for f in fs:\n            p = os.path.join(r, f); z.write(p, os.path.relpath(p, sys.argv[1]))',
    dir,
    wheel,
  ]);
  expect(result.status).toBe(0);
  return wheel;
}

/** The Mach-O file with its LC_CODE_SIGNATURE turned into LC_DATA_IN_CODE (the same layout): a file as an unsigning tool leaves it. */
function withoutCodeSignature(file: Buffer): Buffer {
  const copy = Buffer.from(file);
  const LC_CODE_SIGNATURE = 0x1d;
  const LC_DATA_IN_CODE = 0x29;
  expect(copy.readUInt32LE(0)).toBe(0xfeedfacf);
  const commands = copy.readUInt32LE(16);
  let offset = 32;
  let found = false;
  for (let i = 0; i < commands; i++) {
    if (copy.readUInt32LE(offset) === LC_CODE_SIGNATURE) {
      copy.writeUInt32LE(LC_DATA_IN_CODE, offset);
      found = true;
    }
    offset += copy.readUInt32LE(offset + 4);
  }
  expect(found).toBe(true);
  return copy;
}
