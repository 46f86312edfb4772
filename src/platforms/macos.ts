import { realpathSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import { compareVersions } from '../core/versions.js';
import { prefixEnv } from '../core/prefix-env.js';
import { takeRepairedWheel } from '../core/archive.js';
import { buildGmpFromSource } from './gmp-build.js';
import { LIBRARIES, textsIn, type LicenceSource } from '../catalog/libraries.js';
import { nativeBuilds } from './native-builds.js';
import { appleArch as routeAppleArch } from '../routes/route.js';
import type { PlatformModule } from './types.js';
import { checkMachoFile, checkMacosWheel } from './macho-check.js';
import { macosZigInterpreters, NOT_RUN_HERE, provisionMacosZig } from './macos-zig.js';

export { checkMacosWheel };
import type { CellContext } from '../routes/context.js';

// macOS: wheels built for a deployment target (MACOSX_DEPLOYMENT_TARGET)
// that is usually older than the runner's macOS, repaired with delocate.
// Homebrew's GMP is built for the runner's own macOS, so it is used only when
// it is not newer than the target; otherwise GMP is built from source for it.

/** What `delocate-wheel --require-archs` and Apple call the arch. */
const appleArch = (platform: Platform) => routeAppleArch(platform.arch);

/** The GNU triple for a generic (not CPU-tuned) GMP build. */
const gnuTriple = (platform: Platform) => (appleArch(platform) === 'arm64' ? 'aarch64-apple-darwin' : 'x86_64-apple-darwin');

/** The deployment target: the workflow's MACOSX_DEPLOYMENT_TARGET, else the catalog's. */
export function deploymentTarget(platform: Platform, env: NodeJS.ProcessEnv): string {
  const target = env.MACOSX_DEPLOYMENT_TARGET || platform['deployment-target'];
  if (!target) throw new Error(`platform ${platform.id} has no deployment-target in the catalog`);
  return target;
}

/** Homebrew's GMP is fit when the macOS it was built for is not newer than the deployment target. */
export function homebrewGmpFits(homebrewMinos: string | undefined, target: string): boolean {
  return homebrewMinos !== undefined && compareVersions(homebrewMinos, target) <= 0;
}

/** The minimum macOS of a Mach-O file, from `otool -l` (LC_BUILD_VERSION's minos, or LC_VERSION_MIN_MACOSX's version). */
export function parseOtoolMinos(output: string): string | undefined {
  const build = /cmd LC_BUILD_VERSION[\s\S]*?\bminos (\d+(?:\.\d+)*)/.exec(output);
  if (build) return build[1];
  return /cmd LC_VERSION_MIN_MACOSX[\s\S]*?\bversion (\d+(?:\.\d+)*)/.exec(output)?.[1];
}

/** Install names of `otool -L` (the first line names the file itself). */
export function parseOtoolLibraries(output: string): string[] {
  return output
    .split('\n')
    .slice(1)
    .map((line) => /^\s+(\S.*?) \(compatibility version/.exec(line)?.[1])
    .filter((name): name is string => !!name);
}

const isSystemDylib = (name: string) => name.startsWith('/usr/lib/') || name.startsWith('/System/');

/** Variables that make every compiler and linker see a GMP prefix and build for the target. */
const targetEnv = (prefix: string, target: string) => ({ MACOSX_DEPLOYMENT_TARGET: target, ...prefixEnv(prefix) });

/** delocate's command line: bundle the dylibs, and insist on the cell's arch. */
export function delocateArgs(platform: Platform, wheel: string, outDir: string): string[] {
  return ['--require-archs', appleArch(platform), '-w', outDir, '-v', wheel];
}

async function homebrewGmp(context: CellContext): Promise<{ prefix: string; minos?: string } | undefined> {
  const { runner } = context;
  // `brew --prefix gmp` prints where gmp would be even when it is not
  // installed; `--installed` is the form that fails then.
  const prefixArgs = ['--prefix', '--installed', 'gmp'];
  let prefix = await runner.run('brew', prefixArgs, { quiet: true, allowFailure: true, purpose: 'brew --prefix --installed gmp' });
  if (prefix.exitCode !== 0) {
    await runner.run('brew', ['install', 'gmp'], { env: { HOMEBREW_NO_AUTO_UPDATE: '1' }, purpose: 'brew install gmp' });
    prefix = await runner.run('brew', prefixArgs, { quiet: true, purpose: 'brew --prefix --installed gmp' });
  }
  const dir = prefix.stdout.trim();
  const otool = await runner.run('otool', ['-l', `${dir}/lib/libgmp.dylib`], { quiet: true, allowFailure: true, purpose: 'otool -l' });
  return { prefix: dir, minos: otool.exitCode === 0 ? parseOtoolMinos(otool.stdout) : undefined };
}

/**
 * Homebrew's GMP keeps its licence files at the top of its keg
 * (`…/Cellar/gmp/6.3.0`, which the `opt` prefix links to): the version is the keg's name.
 */
function homebrewLicences(prefix: string): LicenceSource {
  let keg = prefix;
  try {
    keg = realpathSync(prefix);
  } catch {
    // Left as given: the texts are then looked for there.
  }
  const version = /^\d+(\.\d+)+/.exec(path.basename(keg))?.[0];
  // Homebrew's keg keeps COPYING (GPLv3, which LGPLv3 requires beside it) and
  // COPYING.LESSERv3, not COPYINGv2 and COPYINGv3.
  return { ...(version ? { version } : {}), texts: textsIn(keg, [...LIBRARIES.get('gmp')!.texts, 'COPYING']) };
}

const NATIVE = nativeBuilds();

/** Built on Linux with zig (route macos-zig, macos-zig.ts), not on a Mac. */
const onLinux = (context: Pick<CellContext, 'route'>) => context.route.id === 'macos-zig';

export const macos: PlatformModule = {
  // delocate on a Mac; on Linux its macholib reads the Mach-O files for the checks.
  repairTools: ['delocate'],
  toolchainTools: (context) => (onLinux(context) ? ['ziglang', 'cargo-zigbuild', 'delocate'] : []),

  findInterpreters: (context, versions, build) => (onLinux(context) ? macosZigInterpreters(context, versions) : NATIVE.findInterpreters(context, versions, build)),
  notRunHere: (context) => (onLinux(context) ? NOT_RUN_HERE : undefined),

  // setup-python's CPython is universal2: without these, setuptools compiles
  // for both archs and fails to link the single-arch libgmp, and tags the
  // wheel universal2.
  async wheelBuilder(context, interpreter) {
    const { python, env } = await NATIVE.wheelBuilder(context, interpreter);
    const arch = appleArch(context.platform);
    return { python, env: { ...env, ARCHFLAGS: `-arch ${arch}`, _PYTHON_HOST_PLATFORM: `macosx-${deploymentTarget(context.platform, context.env)}-${arch}` } };
  },

  async provisionGmp(context, tools) {
    const { config, platform, reporter, env } = context;
    const target = deploymentTarget(platform, env);
    if (onLinux(context)) {
      if (!tools) throw new Error('provisionGmp needs the toolchain tools on the macos-zig route');
      return provisionMacosZig(context, tools, target);
    }
    if (config.gmp.source === 'system' && config.gmp.libraries.every((l) => l === 'gmp')) {
      const brew = await homebrewGmp(context);
      if (brew && homebrewGmpFits(brew.minos, target)) {
        reporter.info(`GMP from Homebrew (built for macOS ${brew.minos}, deployment target ${target})`);
        return { source: 'system', libDirs: [`${brew.prefix}/lib`], env: targetEnv(brew.prefix, target), licences: { gmp: homebrewLicences(brew.prefix) } };
      }
      reporter.info(`Homebrew's GMP is built for macOS ${brew?.minos ?? '(unknown)'}, newer than the deployment target ${target}: building GMP from source for ${target}`);
    }
    const build = await buildGmpFromSource(context, {
      host: gnuTriple(platform),
      build: gnuTriple(platform),
      // GMP's fat build exists for x86_64 only; arm64 has one code path.
      configureFlags: ['--enable-shared', '--enable-static', '--with-pic', ...(appleArch(platform) === 'x86_64' ? ['--enable-fat'] : [])],
      cc: 'clang',
      env: { MACOSX_DEPLOYMENT_TARGET: target },
    });
    return { source: 'build', cacheHit: build.cacheHit, libDirs: [`${build.prefix}/lib`], env: targetEnv(build.prefix, target), licences: build.licences };
  },

  async repairWheel(context, wheel, outDir, gmp, tools) {
    // delocate needs macOS's own tools; GMP is linked statically on Linux, so
    // there is nothing to bundle: checkWheel proves it.
    if (onLinux(context)) {
      const target = path.join(outDir, path.basename(wheel));
      await copyFile(wheel, target);
      return target;
    }
    const repaired = await mkdtemp(path.join(context.workDir, 'repaired-'));
    await context.runner.run(tools.bin('delocate-wheel'), delocateArgs(context.platform, wheel, repaired), {
      env: { ...gmp.env, DYLD_FALLBACK_LIBRARY_PATH: gmp.libDirs.join(':') },
      purpose: 'delocate-wheel',
    });
    return takeRepairedWheel(repaired, outDir, 'delocate-wheel', wheel);
  },

  async checkWheel(context, wheel, tools) {
    return checkMacosWheel(context.runner, tools, wheel, context.platform, deploymentTarget(context.platform, context.env));
  },

  async checkProgramArchive(context, archive, tools) {
    if (!onLinux(context)) return;
    if (!tools) throw new Error('the Mach-O check of a program archive needs the tool environment');
    await checkMachoFile(context.runner, tools, archive, context.platform, deploymentTarget(context.platform, context.env));
  },

  cCompiler: (context, gmp) => (onLinux(context) && gmp?.env.CC ? gmp.env.CC : 'clang'),
  archiveFormat: 'tar.gz',
  programFile: (name) => name,
  programCommand: (_context, program, args) => ({ file: program, args, env: {} }),

  async bundleProgram(context, program, stageDir) {
    // GMP is static on Linux: the archive's check (checkProgramArchive) proves nothing else is needed.
    if (onLinux(context)) return [];
    const { runner } = context;
    const libDir = path.join(stageDir, 'lib');
    await mkdir(libDir, { recursive: true });
    const bundled: string[] = [];
    // Walk the install names; copy every non-system dylib next to the others
    // and point its users at it, relative to where they are.
    const queue: { file: string; reference: string }[] = [{ file: program, reference: '@executable_path/../lib' }];
    const modified = new Set<string>();
    while (queue.length > 0) {
      const { file, reference } = queue.shift()!;
      const { stdout } = await runner.run('otool', ['-L', file], { quiet: true, purpose: 'otool -L' });
      for (const dependency of parseOtoolLibraries(stdout)) {
        if (isSystemDylib(dependency) || dependency.startsWith('@')) continue;
        const name = path.basename(dependency);
        if (!bundled.includes(name)) {
          const copy = path.join(libDir, name);
          await copyFile(dependency, copy);
          await chmod(copy, 0o755);
          await runner.run('install_name_tool', ['-id', `@loader_path/${name}`, copy], { purpose: 'install_name_tool' });
          bundled.push(name);
          modified.add(copy);
          queue.push({ file: copy, reference: '@loader_path' });
        }
        await runner.run('install_name_tool', ['-change', dependency, `${reference}/${name}`, file], { purpose: 'install_name_tool' });
        modified.add(file);
      }
    }
    // Changing load commands invalidates the signature arm64 requires: sign again, ad hoc.
    for (const file of modified) await runner.run('codesign', ['--force', '--sign', '-', file], { purpose: 'codesign' });
    return bundled.sort();
  },
};
