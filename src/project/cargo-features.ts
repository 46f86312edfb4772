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
 * The versions of `name` in `cargo tree -f '{p}|{f}'` output
 * (`gmp-mpfr-sys v1.5.3|mpfr,use-system-libs`), each with its features.
 */
export function treeFeatures(output: string, name: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const match = /^(\S+) v([^\s|]+)[^|]*\|(\S*)/.exec(line.trim());
    if (match?.[1] === name) found.set(match[2]!, match[3] ? match[3].split(',') : []);
  }
  return found;
}

/**
 * The gmp-mpfr-sys packages that the build compiles (`built`: version →
 * features, as `cargo tree` resolves them for the package built) that
 * build GMP from the sources they carry and link it statically (no
 * `use-system-libs`): what they link, GMP and MPFR and MPC as their
 * features ask, ends up inside the extension or program. Each with its
 * directory (from `cargo metadata`) and features.
 */
export function staticGmpMpfrSys(metadata: CargoMetadata, built: ReadonlyMap<string, readonly string[]>): { version: string; dir: string; features: readonly string[] }[] {
  return (metadata.packages ?? [])
    .filter((pkg) => pkg.name === 'gmp-mpfr-sys' && pkg.manifest_path && built.has(pkg.version) && !built.get(pkg.version)!.includes('use-system-libs'))
    .map((pkg) => ({ version: pkg.version, dir: path.dirname(pkg.manifest_path!), features: built.get(pkg.version)! }));
}

/**
 * The features of `name`'s versions as the build of the project's package
 * (or `pkg` of its workspace) resolves them for the target: `cargo
 * metadata` unifies the features of the whole workspace (another member's
 * `use-system-libs` would show), `cargo tree` those of what is built.
 */
export async function builtFeatures(
  runner: CommandRunner,
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
  target: string,
  featureArgs: readonly string[],
  name: string,
  pkg?: string,
): Promise<Map<string, string[]>> {
  const result = await runner.run('cargo', ['tree', '--target', target, '--edges', 'normal,build', '--prefix', 'none', '--format', '{p}|{f}', ...(pkg ? ['--package', pkg] : []), ...featureArgs], { cwd: projectDir, env, quiet: true, purpose: 'cargo tree (the features built)' });
  return treeFeatures(result.stdout, name);
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

