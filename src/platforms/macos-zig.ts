import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import type { Interpreter } from '../core/interpreters.js';
import { prefixEnv } from '../core/prefix-env.js';
import { TOOL_PINS, type ToolEnv } from '../core/tools.js';
import { appleArch } from '../routes/route.js';
import type { CellContext } from '../routes/context.js';
import { compileAndRunEnv } from './compile-and-run.js';
import { asmPatchM4, MACHO_JRCXZ } from './gmp-asm-patch.js';
import { buildGmpFromSource } from './gmp-build.js';
import { ensureAptPackages } from './linux.js';
import { checkMachoFile } from './macho-check.js';
import type { GmpProvision } from './types.js';
import { zigEnv, zigToolchain } from './zig.js';

// macOS built on an x86_64 Linux host (route macos-zig): zig compiles and
// links for the deployment target against the libSystem stubs it ships (no
// Apple SDK), GMP is built from source with it, static and position-independent,
// and maturin (--zig) and cargo-zigbuild link the extensions and programs.
// Nothing built here can run here: the Mach-O files are checked instead
// (macho-check.ts), and the workflow's verify job imports them on a Mac.

/** Why nothing of the cell runs on this host, for the manifest and the summary. */
export const NOT_RUN_HERE = "a macOS file cross-built on Linux, not imported here: verified on a Mac by the workflow's verify job";

/** GNU triples of a generic (not CPU-tuned) GMP build. */
const gnuTriple = (platform: Platform) => (appleArch(platform.arch) === 'arm64' ? 'aarch64-apple-darwin' : 'x86_64-apple-darwin');

/** zig's name for the target: `aarch64-macos.11.0`. */
export const macosZigTarget = (platform: Platform, deploymentTarget: string) => `${platform.arch}-macos.${deploymentTarget}`;

/**
 * The cell's interpreters: none runs here. maturin builds for each version
 * from its own knowledge of the target (as for Windows on Linux); a PEP 517
 * build, which compiles against the interpreter's headers, is refused by the
 * route's rules before this.
 */
export function macosZigInterpreters(context: CellContext, versions: readonly string[]): Promise<Interpreter[]> {
  if (versions.length === 0) return Promise.resolve([]);
  context.reporter.info(`Python ${versions.join(', ')}: built for macOS here, imported on a Mac by the workflow's verify job`);
  return Promise.resolve(
    versions.map((version) => {
      const buildAs = `python${version}`;
      return { version, executable: buildAs, fullVersion: version, freeThreaded: version.endsWith('t'), untested: NOT_RUN_HERE, foreign: { launcher: [], sysroot: '', buildAs } };
    }),
  );
}

/**
 * Variables every step of a GMP build for macOS needs: zig's archiver (GNU
 * ar's archives lack the symbol table Apple's linkers read), LLVM's nm (GNU
 * nm cannot read Mach-O, and configure reads its output for the symbol
 * prefix), the host's gcc for GMP's generators, libtool told the linker is
 * not GNU ld (else a shared library gets ELF-style options), and for x86_64
 * the m4 that fixes GMP's assembly for zig's linker (gmp-asm-patch.ts).
 * The same variables reach gmp-mpfr-sys's own GMP build, which reads plain CC.
 */
async function gmpBuildEnv(context: CellContext, toolchain: { ar: string; ranlib: string }, deploymentTarget: string): Promise<Record<string, string>> {
  const m4 = context.platform.arch === 'x86_64' ? await asmPatchM4(context.cacheDir) : undefined;
  return {
    AR: toolchain.ar,
    RANLIB: toolchain.ranlib,
    NM: 'llvm-nm',
    CC_FOR_BUILD: context.env.CC_FOR_BUILD ?? 'gcc',
    lt_cv_prog_gnu_ld: 'no',
    MACOSX_DEPLOYMENT_TARGET: deploymentTarget,
    ...(m4 ? { M4: m4 } : {}),
  };
}

/**
 * GMP (and MPFR, MPC) built with zig for the cell's arch and deployment
 * target, static and position-independent, with GMP's assembly (fat on
 * x86_64, as on a Mac), cached under a key of the compiler (whose wrapper
 * names the target) and the variables (the deployment target among them).
 * Its objects are checked before anything links them: zig does not warn when
 * objects for a newer macOS go into an older target's file.
 */
export async function provisionMacosZig(context: CellContext, tools: ToolEnv, deploymentTarget: string): Promise<GmpProvision> {
  const { config, platform, reporter } = context;
  if (config.gmp.source === 'system') reporter.info(`Cross-building for ${platform.id}: GMP is built from source with zig for macOS ${deploymentTarget}`);
  // llvm-nm reads Mach-O for GMP's configure; patch applies the assembly's fix.
  await ensureAptPackages(context, ['llvm', 'patch', 'm4'], { what: 'Tools for GMP for macOS', key: `platform ${platform.id}`, fix: "install llvm, patch and m4 with the system's package manager" });
  const zigTarget = { zigTarget: macosZigTarget(platform, deploymentTarget) };
  const bare = await zigToolchain(context, tools, zigTarget);
  const env = await gmpBuildEnv(context, bare, deploymentTarget);
  const build = await buildGmpFromSource(context, {
    host: gnuTriple(platform),
    build: 'x86_64-pc-linux-gnu',
    cc: bare.cc,
    env,
    // The same zig and target make the same GMP, from whichever tool environment.
    toolchainKey: { zig: TOOL_PINS.ziglang, zigTarget: zigTarget.zigTarget, env: { ...env, AR: 'zig ar', RANLIB: 'zig ranlib', ...(env.M4 ? { M4: MACHO_JRCXZ['patched-sha256'] } : {}) } },
    // GMP's fat build exists for x86_64 only; arm64 has one code path.
    configureFlags: ['--disable-shared', '--enable-static', '--with-pic', ...(platform.arch === 'x86_64' ? ['--enable-fat'] : [])],
  });
  const lib = path.join(build.prefix, 'lib');
  for (const library of config.gmp.libraries) await checkMachoFile(context.runner, tools, path.join(lib, `lib${library}.a`), platform, deploymentTarget);
  const toolchain = await zigToolchain(context, tools, zigTarget, { include: path.join(build.prefix, 'include'), lib });
  reporter.info(`Compilers: zig for macOS ${deploymentTarget} (${zigTarget.zigTarget}), GMP ${build.cacheHit ? 'from the cache' : 'built'} in ${build.prefix}`);
  // gmp-mpfr-sys's use-system-libs links a program against GMP and runs it
  // to read gmp.h's macros: linked for macOS (proving it links), then built
  // again for this host to run.
  const checkPrograms = await compileAndRunEnv(
    context.cacheDir,
    { name: `${gnuTriple(platform)}-cc-host-rebuild`, compiler: toolchain.cc, linkArgs: [], emulator: [], suffix: '.macho', hostRebuild: ['gcc', '-I', path.join(build.prefix, 'include')] },
    context.env,
  );
  return {
    source: 'build',
    cacheHit: build.cacheHit,
    licences: build.licences,
    libDirs: [lib],
    linksStatically: true,
    env: { ...zigEnv(toolchain), ...env, ...prefixEnv(build.prefix, context.env) },
    cargoEnv: checkPrograms,
    // gmp-mpfr-sys's use-system-libs links -lgmp: the linker finds libgmp.a here.
    linkerLibDirs: [lib],
    cargo: { file: tools.bin('cargo-zigbuild'), subcommand: 'zigbuild', target: platform.target },
  };
}
