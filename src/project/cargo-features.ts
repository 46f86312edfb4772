import path from 'node:path';
import type { CommandRunner } from '../process/runner.js';

/** The part of `cargo metadata --format-version 1` read here. */
export interface CargoMetadata {
  readonly packages?: readonly { readonly id: string; readonly name: string; readonly version: string; readonly manifest_path?: string }[];
  readonly resolve?: { readonly nodes?: readonly { readonly id: string; readonly features?: readonly string[] }[] } | null;
}

/**
 * Why cargo cannot cross-compile this project, read from its resolved
 * dependency graph: gmp-mpfr-sys refuses any build whose host and target
 * differ unless its `force-cross` feature is on. Undefined when nothing
 * in the graph refuses.
 */
export function crossRefusal(metadata: CargoMetadata): string | undefined {
  const features = new Map((metadata.resolve?.nodes ?? []).map((node) => [node.id, node.features ?? []]));
  const refusing = (metadata.packages ?? []).filter((pkg) => pkg.name === 'gmp-mpfr-sys' && !features.get(pkg.id)?.includes('force-cross'));
  if (refusing.length === 0) return undefined;
  const versions = refusing.map((pkg) => `gmp-mpfr-sys ${pkg.version}`).join(', ');
  return `the project depends on ${versions} without its force-cross feature, so it refuses to cross-compile; enable it (gmp-mpfr-sys = { version = "…", features = ["force-cross"] }) to cross-build here`;
}

/**
 * The gmp-mpfr-sys packages of the graph that build GMP from the sources
 * they carry and link it statically (no `use-system-libs`): what they
 * link, GMP and MPFR and MPC as their features ask, ends up inside the
 * extension or program. Each with its directory and features.
 */
export function staticGmpMpfrSys(metadata: CargoMetadata): { version: string; dir: string; features: readonly string[] }[] {
  const features = new Map((metadata.resolve?.nodes ?? []).map((node) => [node.id, node.features ?? []]));
  return (metadata.packages ?? [])
    .filter((pkg) => pkg.name === 'gmp-mpfr-sys' && pkg.manifest_path && features.has(pkg.id) && !features.get(pkg.id)!.includes('use-system-libs'))
    .map((pkg) => ({ version: pkg.version, dir: path.dirname(pkg.manifest_path!), features: features.get(pkg.id)! }));
}

/** `cargo metadata` of the project for the cell's target only, with the features the build asks for. */
export async function cargoTargetMetadata(
  runner: CommandRunner,
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
  target: string,
  featureArgs: readonly string[],
): Promise<CargoMetadata> {
  const result = await runner.run('cargo', ['metadata', '--format-version', '1', '--filter-platform', target, ...featureArgs], { cwd: projectDir, env, quiet: true, purpose: 'cargo metadata (the resolved features)' });
  return JSON.parse(result.stdout) as CargoMetadata;
}

/**
 * Runs `cargo metadata` in the project and applies crossRefusal: the graph
 * for the cell's target only (a `cfg(windows)` dependency turning on
 * force-cross says nothing of an aarch64 build), with the features the build
 * itself asks for.
 */
export async function cargoCrossRefusal(
  runner: CommandRunner,
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
  target: string,
  featureArgs: readonly string[],
): Promise<string | undefined> {
  return crossRefusal(await cargoTargetMetadata(runner, projectDir, env, target, featureArgs));
}

