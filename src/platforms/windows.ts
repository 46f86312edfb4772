import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import { UserError } from '../core/errors.js';
import { takeRepairedWheel, unzipTo } from '../core/archive.js';
import { cargoLinkerVariable } from '../project/cargo-rustflags.js';
import { prefixEnv } from '../core/prefix-env.js';
import { buildGmpFromSource } from './gmp-build.js';
import type { ToolEnv } from '../core/tools.js';
import { parseWheelName, platformTagMatches } from '../core/wheel-name.js';
import { ensureAptPackages } from './linux.js';
import { nativeBuilds } from './native-builds.js';
import { debianFileLicences, msys2Licences } from './system-licences.js';
import { libraryOfFile } from '../catalog/libraries.js';
import { wineBuildScriptEnv, wineEnv, wineInterpreters } from './wine.js';
import { probeCrossCompiler, type CrossCompiler } from './cross-probe.js';
import { walkPeImports } from './pe-files.js';
import { msvcGmp } from './windows-msvc.js';
import { msys2Env, msys2Layout, msys2Packages, pacmanInstall, type Msys2Layout } from './msys2.js';
import { windowsCrossWheelBuilder } from './windows-cross-build.js';
import type { GmpProvision, PlatformModule, WheelCheck } from './types.js';
import type { CellContext } from '../routes/context.js';
import type { Host } from '../core/host.js';

// Windows, built with the GNU toolchain: GMP cannot be built with MSVC and
// gmp-mpfr-sys refuses the MSVC target. On GitHub's Windows runners that
// toolchain is MSYS2's MinGW (C:\msys64); on a Linux host, binaries are
// cross-built with Debian's mingw-w64 and smoke-tested under wine.

const win = path.win32;

/** MinGW's runtime DLLs, which a MinGW-built DLL may import, and their libraries (known by name in matrix/libraries.yml). */
const MINGW_RUNTIME_DLLS = ['libgcc_s_seh-1.dll', 'libwinpthread-1.dll'];
const MINGW_RUNTIME = MINGW_RUNTIME_DLLS.map((dll) => libraryOfFile(dll)!.id);

/** The GNU triple of MinGW for an arch. */
export const MINGW_TRIPLE: Readonly<Record<string, string>> = { x86_64: 'x86_64-w64-mingw32', aarch64: 'aarch64-w64-mingw32' };

/** Debian/Ubuntu packages of a cross build for an arch on Linux. */
const MINGW_CROSS_PACKAGES: Record<string, readonly string[]> = { x86_64: ['gcc-mingw-w64-x86-64', 'binutils-mingw-w64-x86-64', 'wine', 'wine64'] };

/** The C compiler of the platform's MSYS2 environment. */
const msys2Compiler = (layout: Msys2Layout) => (layout.environment.startsWith('CLANG') ? 'clang' : 'gcc');

/** Debian's mingw-w64 gcc that cross-builds for Windows on Linux, and the packages it needs to link. */
function mingwCompiler(platform: Platform): CrossCompiler {
  const debianArch = platform.arch.replace('_', '-');
  return { command: `${MINGW_TRIPLE[platform.arch]}-gcc`, packages: [`gcc-mingw-w64-${debianArch}`, `mingw-w64-${debianArch}-dev`] };
}

/** Built on Windows itself (MSYS2), not cross-built on Linux (mingw-w64 and wine). */
const onWindows = (context: Pick<CellContext, 'route'>) => context.route.id === 'windows-msys2';
const layoutOf = (context: Pick<CellContext, 'platform' | 'route'>) => msys2Layout(context.platform, context.route);

/** The objdump that reads PE files on this host. */
function objdumpFor(context: CellContext): string {
  return onWindows(context) ? layoutOf(context).objdump : `${MINGW_TRIPLE[context.platform.arch]}-objdump`;
}

/**
 * Where the DLLs of a MinGW program can come from: the GMP family's bin
 * directory, then the toolchain's own runtime (libgcc_s_seh-1.dll,
 * libwinpthread-1.dll).
 */
function dllSearchDirs(context: CellContext, gmp: Pick<GmpProvision, 'libDirs'>): string[] {
  if (onWindows(context)) return [...new Set([...gmp.libDirs, layoutOf(context).bin])];
  const triple = MINGW_TRIPLE[context.platform.arch]!;
  // GCC's runtime DLLs live in /usr/lib/gcc/<triple>/<version>[-posix|-win32]/, whatever the version.
  const gccRoot = path.join('/usr/lib/gcc', triple);
  const gccDirs = existsSync(gccRoot)
    ? readdirSync(gccRoot)
        .sort()
        .reverse()
        .map((version) => path.join(gccRoot, version))
    : [];
  return [...gmp.libDirs, ...gccDirs, `/usr/${triple}/lib`, `/usr/${triple}/bin`];
}

/**
 * delvewheel's command line: bundle MinGW's DLLs from the directories the PE
 * walk searches (never another MSYS2 environment's DLLs of the same names),
 * name-mangled (libgmp-10-<hash>.dll) so that two packages carrying different
 * builds of libgmp-10.dll can be imported into one Windows process.
 */
export function delvewheelArgs(wheel: string, outDir: string, searchPaths: readonly string[], hostOs: Host['os'] = 'windows'): string[] {
  return [
    '-m',
    'delvewheel',
    'repair',
    '--add-path',
    searchPaths.join(hostOs === 'windows' ? ';' : ':'),
    // The diagnostic record holds this command line, temporary paths and all,
    // which would make two builds of one commit differ.
    '--no-diagnostic',
    '--wheel-dir',
    outDir,
    wheel,
  ];
}

export const windows: PlatformModule = {
  repairTools: ['delvewheel'],

  ...nativeBuilds(),

  async findInterpreters(context, versions, build) {
    if (onWindows(context)) return nativeBuilds().findInterpreters(context, versions, build);
    return wineInterpreters(context, MINGW_TRIPLE[context.platform.arch]!, versions);
  },

  async wheelBuilder(context, interpreter, build) {
    if (onWindows(context)) return nativeBuilds().wheelBuilder(context, interpreter);
    return windowsCrossWheelBuilder(context, interpreter, build ?? { abi3: false });
  },

  async provisionGmp(context) {
    const { config, platform, runner, env } = context;
    const triple = MINGW_TRIPLE[platform.arch]!;
    if (onWindows(context)) {
      const layout = layoutOf(context); // UCRT64's for MSVC: its gcc builds GMP from source too.
      await pacmanInstall(runner, layout, env, msys2Packages(layout, config.gmp.libraries, config.gmp.source));
      const envDir = win.dirname(layout.bin);
      const licences = (libraries: readonly string[]) => msys2Licences(runner, envDir, layout.pacman, layout.packagePrefix, libraries);
      if (config.gmp.source === 'system') {
        return { source: 'system', libDirs: [layout.bin], env: msys2Env(layout, env), licences: await licences([...config.gmp.libraries, ...MINGW_RUNTIME]) };
      }
      const build = await buildGmpFromSource(context, {
        host: triple,
        // MinGW cannot build static and shared GMP in one go; the DLL is what travels.
        configureFlags: ['--disable-static', '--enable-shared', '--enable-fat', '--with-pic'],
        cc: msys2Compiler(layout),
        env: msys2Env(layout, env),
      });
      return {
        source: 'build',
        cacheHit: build.cacheHit,
        libDirs: [win.join(build.prefix, 'bin')],
        env: { ...msys2Env(layout, env), ...prefixEnv(build.prefix, {}, win) },
        licences: { ...(await licences(MINGW_RUNTIME)), ...build.licences },
      };
    }
    // Cross-building on Linux (here, or on an ubuntu runner with
    // windows.build-on: linux): mingw-w64, and wine for the programs that
    // build scripts compile and run.
    await ensureAptPackages(context, MINGW_CROSS_PACKAGES[platform.arch] ?? [], {
      what: 'the MinGW cross toolchain and wine',
      key: `platform ${platform.id}`,
      fix: `install them with the system's package manager (Debian/Ubuntu: ${(MINGW_CROSS_PACKAGES[platform.arch] ?? []).join(' ')})`,
    });
    const compiler = mingwCompiler(platform);
    await probeCrossCompiler(context, compiler);
    // No package manager has MinGW's GMP, so it is always built from the
    // same verified source, for the MinGW triple.
    if (config.gmp.source === 'system') context.reporter.info(`Cross-building for ${platform.id}: GMP is built from source for ${triple}`);
    const build = await buildGmpFromSource(context, {
      host: triple,
      configureFlags: ['--disable-static', '--enable-shared', '--enable-fat', '--with-pic'],
      cc: compiler.command,
    });
    const libDirs = [path.join(build.prefix, 'bin')];
    return {
      source: 'build',
      cacheHit: build.cacheHit,
      libDirs,
      // MinGW's runtime DLLs, should anything import them, come from Debian's mingw-w64 packages.
      licences: { ...(await debianFileLicences(runner, MINGW_RUNTIME_DLLS, dllSearchDirs(context, { libDirs }))), ...build.licences },
      env: {
        ...prefixEnv(build.prefix),
        // cargo links the Windows target with MinGW's gcc.
        [cargoLinkerVariable(platform.target)]: compiler.command,
        // gmp-mpfr-sys's use-system-libs asks pkg-config for GMP's directory
        // on MinGW: only this prefix's .pc files, never the host's.
        PKG_CONFIG_LIBDIR: path.join(build.prefix, 'lib', 'pkgconfig'),
        // pkgconf leaves out -L for directories in LIBRARY_PATH, as the compiler's own; gmp-mpfr-sys needs it.
        PKG_CONFIG_ALLOW_SYSTEM_LIBS: '1',
        // ...and compiles and runs a program against it to learn its configuration.
        ...(await wineBuildScriptEnv(context, triple, path.join(build.prefix, 'lib'), libDirs)),
      },
    };
  },

  async pep517Env(context, gmp) {
    if (!onWindows(context)) return {};
    const layout = layoutOf(context);
    const { objdump, bin, packagePrefix } = layout;
    return msvcGmp(context, gmp, { objdump, bin, packagePrefix, install: (packages) => pacmanInstall(context.runner, layout, context.env, packages) });
  },

  async repairWheel(context, wheel, outDir, gmp, tools) {
    const repaired = await mkdtemp(path.join(context.workDir, 'repaired-'));
    await context.runner.run(tools.python, delvewheelArgs(wheel, repaired, dllSearchDirs(context, gmp), context.route.host.os), { env: gmp.env, purpose: 'delvewheel repair' });
    return takeRepairedWheel(repaired, outDir, 'delvewheel repair', wheel);
  },

  async checkWheel(context, wheel, tools) {
    return checkWindowsWheel(context, wheel, tools);
  },

  cCompiler: (context) => (onWindows(context) ? msys2Compiler(layoutOf(context)) : mingwCompiler(context.platform).command),
  archiveFormat: 'zip',
  programFile: (name) => `${name}.exe`,

  async bundleProgram(context, program, _stageDir, gmp) {
    // Windows looks for DLLs next to the program first: put them there.
    const binDir = path.dirname(program);
    const dlls = await walkPeImports(context.runner, objdumpFor(context), program, dllSearchDirs(context, gmp));
    for (const dll of dlls) await copyFile(dll.found, path.join(binDir, dll.name));
    return dlls.map((d) => d.name).sort();
  },

  programCommand(context, program, args): { file: string; args: readonly string[]; env: Record<string, string> } {
    if (onWindows(context)) return { file: program, args, env: {} };
    // The cell's fresh wine prefix: no DLL can come from anywhere but Windows
    // itself (wine's builtins) and the program's own directory.
    return { file: 'wine', args: [program, ...args], env: wineEnv(path.join(context.workDir, 'wineprefix')) };
  },
};

/**
 * Proves a repaired Windows wheel self-contained: every DLL that its .pyd
 * files import (recursively) is inside the wheel or a Windows system DLL,
 * and the platform tag is the catalog's.
 */
async function checkWindowsWheel(context: CellContext, wheel: string, _tools: ToolEnv): Promise<WheelCheck> {
  const dir = await mkdtemp(path.join(context.workDir, 'check-'));
  await unzipTo(wheel, dir);
  const files = (await readdir(dir, { recursive: true })).map(String);
  const inWheel = new Set(files.filter((f) => f.toLowerCase().endsWith('.dll')).map((f) => path.basename(f).toLowerCase()));
  const dirs = [...new Set(files.filter((f) => /\.(dll|pyd)$/i.test(f)).map((f) => path.join(dir, path.dirname(f))))];
  for (const pyd of files.filter((f) => f.toLowerCase().endsWith('.pyd'))) {
    // Searching only the wheel's own directories: whatever is found is inside it.
    await walkPeImports(context.runner, objdumpFor(context), path.join(dir, pyd), dirs);
  }
  const { platformTag } = parseWheelName(path.basename(wheel));
  if (!platformTagMatches(platformTag, context.platform['wheel-tag'])) {
    throw new UserError({ key: 'repair', message: `${path.basename(wheel)} has platform tag ${platformTag}, not ${context.platform['wheel-tag']}`, fix: 'build with the target of the cell' });
  }
  return { bundled: [...inWheel].sort(), platformTags: [platformTag] };
}
