import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { GmpProvision } from '../platforms/types.js';
import type { CellContext } from '../routes/context.js';
import { builtFeatures, cargoTargetMetadata, staticGmpMpfrSys } from '../project/cargo-features.js';
import { LIBRARIES, resolveLibraries, textsIn, type LicenceSource, type ResolvedLibrary } from '../catalog/libraries.js';
import type { Backend } from '../backends/types.js';

export interface StaticLibrary {
  readonly id: string;
  readonly source: LicenceSource;
}

/**
 * What a gmp-mpfr-sys crate directory links statically: GMP always, MPFR
 * and MPC when its features ask; each from the source tree it carries
 * (`gmp-6.2.1-c/`, `mpfr-4.2.0-p9-c/`), which holds the licence texts too.
 */
export function crateSources(dir: string, features: readonly string[]): StaticLibrary[] {
  const trees = existsSync(dir) ? readdirSync(dir) : [];
  const linked = ['gmp', ...(features.includes('mpfr') ? ['mpfr'] : []), ...(features.includes('mpc') ? ['mpc'] : [])];
  return linked.map((id) => {
    const tree = trees.find((name) => new RegExp(`^${id}-\\d[^/]*-c$`).test(name));
    const version = tree?.slice(id.length + 1, -'-c'.length);
    return { id, source: { ...(version ? { version } : {}), texts: tree ? textsIn(path.join(dir, tree), LIBRARIES.get(id)!.texts) : [] } };
  });
}

/**
 * The GMP family a Rust build links statically: gmp-mpfr-sys without
 * `use-system-libs` builds the GMP it bundles into the extension or program,
 * which then carries GMP without any shared library to show for it.
 */
export async function staticLibraries(context: CellContext, backend: Backend, pkg?: string): Promise<StaticLibrary[]> {
  // Only a cargo build has a resolved graph to read.
  const features = backend.graphFeatureArgs?.(context.config);
  if (!features) return [];
  const args = [context.runner, context.config.project.dir, context.env, context.platform.target, features] as const;
  const built = await builtFeatures(...args, 'gmp-mpfr-sys', pkg);
  if (built.size === 0) return [];
  return staticGmpMpfrSys(await cargoTargetMetadata(...args), built).flatMap((crate) => crateSources(crate.dir, crate.features));
}

/** The libraries behind the files a wheel or archive carries, with their licences; what cannot be told is said as a warning. */
export function carriedLibraries(context: CellContext, gmp: GmpProvision, bundledFiles: readonly string[], statics: readonly StaticLibrary[], what: string): ResolvedLibrary[] {
  // A provision of static libraries only is linked into the file, where a crate's own does not take its place.
  const provided = gmp.linksStatically ? Object.entries(gmp.licences ?? {}).filter(([id]) => !statics.some((s) => s.id === id)) : [];
  const linked = [...statics, ...provided.map(([id, source]) => ({ id, source }))];
  const { libraries, warnings } = resolveLibraries(bundledFiles, gmp.licences ?? {}, linked);
  for (const message of warnings) context.reporter.warning({ key: 'licences', message: `${what}: ${message}` });
  return libraries;
}
