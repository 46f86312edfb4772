import type { CommandRunner } from '../process/runner.js';

/** The part of `cargo metadata --format-version 1` read here. */
export interface CargoMetadata {
  readonly packages?: readonly { readonly id: string; readonly name: string; readonly version: string }[];
  readonly resolve?: { readonly nodes?: readonly { readonly id: string; readonly features?: readonly string[] }[] } | null;
}

/** What a cross build needs to know of a Rust project's resolved dependency graph for one target. */
export interface CargoGraph {
  /** Versions of gmp-mpfr-sys in the graph without their `force-cross` feature (which refuse any cross build). */
  readonly gmpMpfrSysWithoutForceCross: readonly string[];
  /** PyO3's FFI crate, when PyO3 is in the graph: its version and whether it generates the Python import library itself. */
  readonly pyo3?: { readonly version: string; readonly generatesImportLib: boolean };
}

/** Reads the graph facts from `cargo metadata` output. */
export function cargoGraph(metadata: CargoMetadata): CargoGraph {
  const features = new Map((metadata.resolve?.nodes ?? []).map((node) => [node.id, node.features ?? []]));
  const packages = metadata.packages ?? [];
  const featuresOf = (name: string) => packages.filter((pkg) => pkg.name === name).flatMap((pkg) => features.get(pkg.id) ?? []);
  const gmpMpfrSysWithoutForceCross = packages.filter((pkg) => pkg.name === 'gmp-mpfr-sys' && !features.get(pkg.id)?.includes('force-cross')).map((pkg) => pkg.version);
  // pyo3-ffi since PyO3 0.16, pyo3 itself before.
  const ffi = packages.find((pkg) => pkg.name === 'pyo3-ffi') ?? packages.find((pkg) => pkg.name === 'pyo3');
  if (!ffi) return { gmpMpfrSysWithoutForceCross };
  // `generate-import-lib` (pyo3, pyo3-ffi) turns on pyo3-build-config's python3-dll-a.
  const generatesImportLib = [...featuresOf('pyo3-ffi'), ...featuresOf('pyo3')].some((f) => f === 'generate-import-lib' || f === 'generate-abi3-import-lib') || featuresOf('pyo3-build-config').includes('python3-dll-a');
  return { gmpMpfrSysWithoutForceCross, pyo3: { version: ffi.version, generatesImportLib } };
}

/**
 * The variables cargo's build scripts get on a cross route, and the line
 * that says why: gmp-mpfr-sys refuses any build whose host and target differ
 * unless its `force-cross` feature is on, which its build script reads as
 * CARGO_FEATURE_FORCE_CROSS, a variable cargo passes through from the
 * environment. Setting it is what conda-forge's and nixpkgs' cross builds
 * do; its only effect is to skip that check (see the README, "force-cross").
 */
export function forceCrossEnv(graph: CargoGraph): { env: Record<string, string>; note?: string } {
  if (graph.gmpMpfrSysWithoutForceCross.length === 0) return { env: {} };
  const versions = [...new Set(graph.gmpMpfrSysWithoutForceCross)].map((v) => `gmp-mpfr-sys ${v}`).join(', ');
  return {
    env: { CARGO_FEATURE_FORCE_CROSS: '1' },
    note: `${versions} refuses to cross-compile without its force-cross feature: this cross build sets CARGO_FEATURE_FORCE_CROSS=1 for cargo, as the feature would (nothing to change in the crate)`,
  };
}

/**
 * Runs `cargo metadata` in the project for the cell's target only (a
 * `cfg(windows)` dependency turning on force-cross says nothing of an
 * aarch64 build), with the features the build itself asks for.
 */
export async function readCargoGraph(
  runner: CommandRunner,
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
  target: string,
  featureArgs: readonly string[],
): Promise<CargoGraph> {
  const result = await runner.run('cargo', ['metadata', '--format-version', '1', '--filter-platform', target, ...featureArgs], { cwd: projectDir, env, quiet: true, purpose: 'cargo metadata (the resolved features)' });
  return cargoGraph(JSON.parse(result.stdout) as CargoMetadata);
}
