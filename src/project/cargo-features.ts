import type { CommandRunner } from '../process/runner.js';

/** The part of `cargo metadata --format-version 1` read here. */
interface CargoMetadata {
  readonly packages?: readonly { readonly id: string; readonly name: string; readonly version: string }[];
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
  const result = await runner.run('cargo', ['metadata', '--format-version', '1', '--filter-platform', target, ...featureArgs], { cwd: projectDir, env, quiet: true, purpose: 'cargo metadata (the resolved features)' });
  return crossRefusal(JSON.parse(result.stdout) as CargoMetadata);
}

