import path from 'node:path';
import type { Config } from '../config/types.js';
import type { GmpProvision } from '../platforms/types.js';
import { extraRustflagsEnv, rustLinkDirArgs } from '../project/cargo-rustflags.js';
import type { CellContext } from '../routes/context.js';
import { rustPathRemapArgs } from './build-paths.js';
import { withUserEnvironment } from './user-build.js';

// What every build that runs cargo shares (maturin's wheels, cargo's
// programs): GMP's variables, gmp-mpfr-sys's cache, the rustflags cargo will
// use, the target's standard library.

/** Where gmp-mpfr-sys caches the GMP it builds from source. */
export const gmpMpfrSysCache = (cacheDir: string) => path.join(cacheDir, 'gmp-mpfr-sys');

/** Variables every cargo build gets: GMP's, and gmp-mpfr-sys's own build cache. */
export function cargoEnv(context: CellContext, gmp: GmpProvision): Record<string, string> {
  return {
    ...gmp.env,
    ...gmp.cargoEnv,
    // gmp-mpfr-sys caches the GMP it builds from source here (keyed by its
    // version, target, compiler and flags), so rebuilding a cell reuses it.
    GMP_MPFR_SYS_CACHE: gmpMpfrSysCache(context.cacheDir),
  };
}

/** Variables every wheel build gets: cargo's, and PyO3's forward compatibility. */
export function buildEnv(context: CellContext, gmp: GmpProvision): Record<string, string> {
  // Lets an older PyO3 build for a Python newer than it knows.
  return { ...cargoEnv(context, gmp), PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1' };
}

/**
 * The environment of a cargo or maturin step: ours with the user's
 * build.environment on top, and GMP's link directories and the remapping of
 * cargo's home added to whichever rustflags cargo will use (so neither the
 * project's nor the user's are lost).
 */
export async function cargoStepEnv(context: CellContext, gmp: GmpProvision, ours: Readonly<Record<string, string>>, remaps: readonly string[] = []): Promise<Record<string, string>> {
  const env = withUserEnvironment(context, ours);
  const stepEnv = { ...context.env, ...env };
  const args = [...rustPathRemapArgs(stepEnv, context.route.host), ...remaps, ...rustLinkDirArgs(gmp.rustLinkDirs ?? []), ...rustLinkDirArgs(gmp.linkerLibDirs ?? [], true)];
  const rustflags = await extraRustflagsEnv({ runner: context.runner, projectDir: context.config.project.dir, target: context.platform.target, env: stepEnv, args, host: context.route.host });
  return { ...env, ...rustflags };
}

export function cargoFeatureArgs(config: Config): string[] {
  return [...(config.project.defaultFeatures ? [] : ['--no-default-features']), ...(config.project.features.length > 0 ? ['--features', config.project.features.join(',')] : [])];
}

/**
 * Makes sure rustup has the standard library of the cell's target (a no-op
 * when it has; harmless where rustup is absent: cargo then says what is missing).
 */
export async function addRustTarget(context: CellContext, env: Readonly<Record<string, string>>): Promise<void> {
  // In the project's directory: its rust-toolchain.toml names the toolchain that gets the target.
  await context.runner.run('rustup', ['target', 'add', context.platform.target], { cwd: context.config.project.dir, env, allowFailure: true, quiet: true, purpose: 'rustup target add' });
}
