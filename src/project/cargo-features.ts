import path from 'node:path';
import type { CommandRunner } from '../core/process/runner.js';

/** The part of `cargo metadata --format-version 1` read here. */
export interface CargoMetadata {
  readonly packages?: readonly { readonly id: string; readonly name: string; readonly version: string; readonly manifest_path?: string }[];
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
  const generatesImportLib =
    [...featuresOf('pyo3-ffi'), ...featuresOf('pyo3')].some((f) => f === 'generate-import-lib' || f === 'generate-abi3-import-lib') || featuresOf('pyo3-build-config').includes('python3-dll-a');
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
  const result = await runner.run('cargo', ['tree', '--target', target, '--edges', 'normal,build', '--prefix', 'none', '--format', '{p}|{f}', ...(pkg ? ['--package', pkg] : []), ...featureArgs], {
    cwd: projectDir,
    env,
    quiet: true,
    purpose: 'cargo tree (the features built)',
  });
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
  const result = await runner.run('cargo', ['metadata', '--format-version', '1', '--filter-platform', target, ...featureArgs], {
    cwd: projectDir,
    env,
    quiet: true,
    purpose: 'cargo metadata (the resolved features)',
  });
  return JSON.parse(result.stdout) as CargoMetadata;
}

/**
 * Whether cargo cross-compiles for `target`: on every cross route, and
 * wherever rustc's host triple is another (a Windows runner's rustc is
 * MSVC's, the target MinGW's), which gmp-mpfr-sys's build script refuses
 * as any cross build.
 */
export const cargoCrossCompiles = (crossRoute: boolean, hostTriple: string | undefined, target: string): boolean => crossRoute || hostTriple !== target;

/** rustc's own triple (`x86_64-pc-windows-msvc` on a Windows runner), in the project, where its rust-toolchain.toml applies. */
export async function rustcHost(runner: CommandRunner, projectDir: string, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const result = await runner.run('rustc', ['-vV'], { cwd: projectDir, env, quiet: true, allowFailure: true, purpose: 'rustc -vV (the host triple)' });
  return /^host: (\S+)$/m.exec(result.stdout)?.[1];
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
  const graph = cargoGraph(await cargoTargetMetadata(runner, projectDir, env, target, featureArgs));
  if (graph.gmpMpfrSysWithoutForceCross.length > 0) return graph;
  // cargo metadata unifies features over every platform (a cfg(windows)
  // dependency's force-cross shows for macOS too); cargo tree says what the
  // target's build gets.
  const built = await builtFeatures(runner, projectDir, env, target, featureArgs, 'gmp-mpfr-sys');
  return { ...graph, gmpMpfrSysWithoutForceCross: [...built].filter(([, features]) => !features.includes('force-cross')).map(([version]) => version) };
}
