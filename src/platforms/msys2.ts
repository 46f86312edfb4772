import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import type { GmpLibrary } from '../config/types.js';
import type { CommandRunner } from '../core/process/runner.js';
import type { Route } from '../routes/route.js';

// MSYS2 on a Windows runner (C:\msys64): its environments' layout, the
// variables of a step that uses them, and pacman.

const win = path.win32;

/**
 * MSYS2's layout for what a cell builds: the catalog's environment (MINGW64,
 * CLANGARM64) for the GNU toolchain and Rust, or its `msvc` one (UCRT64) when
 * the cell's C extensions are compiled by MSVC (`route.msvc`), whose DLLs
 * link CPython's C runtime. GMP, its headers, the import libraries and the
 * DLLs delvewheel bundles all come from the one environment.
 */
export function msys2Layout(platform: Platform, builds: Pick<Route, 'msvc'>) {
  if (!platform.msys2) throw new Error(`platform ${platform.id} has no msys2 entry in the catalog`);
  const { root } = platform.msys2;
  const { environment, prefix } = (builds.msvc && platform.msys2.msvc) || platform.msys2;
  const envDir = win.join(root, environment.toLowerCase());
  return {
    root,
    environment,
    packagePrefix: prefix,
    bin: win.join(envDir, 'bin'),
    usrBin: win.join(root, 'usr', 'bin'),
    pacman: win.join(root, 'usr', 'bin', 'pacman.exe'),
    objdump: win.join(envDir, 'bin', environment.startsWith('CLANG') ? 'llvm-objdump.exe' : 'objdump.exe'),
  };
}

export type Msys2Layout = ReturnType<typeof msys2Layout>;

/**
 * The environment of a build step on a Windows runner: MinGW's bin first
 * (gcc, and the GMP DLLs), then MSYS2's usr\bin (sh, make, m4, diff, which
 * gmp-mpfr-sys's source build needs), then the runner's own PATH (its
 * CPython, rustup's cargo). MSYS2's Python is never used: interpreters are
 * always called by their full path.
 */
export function msys2Env(layout: Msys2Layout, env: NodeJS.ProcessEnv): Record<string, string> {
  return {
    MSYSTEM: layout.environment,
    CHERE_INVOKING: '1',
    PATH: [layout.bin, layout.usrBin, env.PATH ?? env.Path].filter(Boolean).join(';'),
  };
}

/** The MSYS2 packages a cell needs: the toolchain, make/m4/diffutils for GMP's build, and the GMP family. */
export function msys2Packages({ packagePrefix, environment }: Msys2Layout, libraries: readonly GmpLibrary[], source: 'system' | 'build'): string[] {
  // CLANG* environments (windows-arm64) have LLVM's toolchain, not GCC.
  const toolchain = environment.startsWith('CLANG') ? [`${packagePrefix}-clang`, `${packagePrefix}-llvm-tools`] : [`${packagePrefix}-gcc`, `${packagePrefix}-binutils`];
  const packages = [...toolchain, 'make', 'm4', 'diffutils'];
  if (source === 'system') packages.push(...libraries.map((library) => `${packagePrefix}-${library}`));
  return packages;
}

const PACMAN_ATTEMPTS = 3;

/** Installs MSYS2 packages non-interactively, retrying: its mirrors fail now and then. */
export async function pacmanInstall(runner: CommandRunner, layout: Msys2Layout, env: NodeJS.ProcessEnv, packages: readonly string[]): Promise<void> {
  // --refresh: the runner image's package database is weeks old, and the
  // versions it names vanish from the mirrors.
  const args = ['-S', '--refresh', '--noconfirm', '--needed', '--disable-download-timeout', ...packages];
  for (let attempt = 1; ; attempt++) {
    const result = await runner.run(layout.pacman, args, { env: msys2Env(layout, env), allowFailure: attempt < PACMAN_ATTEMPTS, purpose: 'pacman' });
    if (result.exitCode === 0) return;
    await new Promise((resolve) => setTimeout(resolve, Number(env.NATIVE_MATRIX_RETRY_BASE_MS ?? 5000) * attempt));
  }
}
