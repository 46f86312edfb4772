import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/types.js';
import type { BuildBackend, ProjectFacts } from '../project/detect.js';
import { readToml, strings, table } from '../project/files.js';
import type { CellContext, GmpProvision, PlatformModule } from '../platforms/types.js';
import type { Interpreter } from './interpreters.js';
import type { ToolEnv } from './tools.js';
import { buildSettings, runBeforeBuild, withUserEnvironment } from './user-build.js';
import { extraRustflagsEnv, rustLinkDirArgs } from '../project/cargo-rustflags.js';
import { cPathMapFlags, cPathMaps, rustPathRemapArgs } from './build-paths.js';
import { normalizeSbomPaths } from './wheel-sbom.js';
import { rustcHost, type CargoGraph } from '../project/cargo-features.js';
import { cargoTargetsRoot, interpreterIdentity, keyedVariables, openTargetDir, pruneTargetDirs, rustWorkspaceFacts, type RustBuild, type RustWorkspaceFacts } from './cargo-targets.js';
import { TOOL_PINS } from './tools.js';

export interface WheelBuildInputs {
  readonly context: CellContext;
  readonly module: PlatformModule;
  readonly project: ProjectFacts;
  readonly gmp: GmpProvision;
  readonly tools: ToolEnv;
  /** The interpreters to build for: one for abi3, else every version of the cell. */
  readonly interpreters: readonly Interpreter[];
  readonly abi3: boolean;
  /** The project's resolved dependency graph for the target, read for a cross build. */
  readonly cargoGraph?: CargoGraph;
  /**
   * Told of each wheel as soon as it is finished, while the next
   * interpreter's is built: the caller may start repairing it.
   */
  readonly onWheel?: (wheel: string) => void;
}

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
export function buildEnv({ context, gmp }: Pick<WheelBuildInputs, 'context' | 'gmp'>): Record<string, string> {
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
  const windows = context.host.os === 'windows';
  const args = [...rustPathRemapArgs(stepEnv, windows), ...remaps, ...rustLinkDirArgs(gmp.rustLinkDirs ?? [])];
  const rustflags = await extraRustflagsEnv({ runner: context.runner, projectDir: context.config.project.dir, target: context.platform.target, env: stepEnv, args, windows });
  return { ...env, ...rustflags };
}

/**
 * The environment of a PEP 517 wheel build for one interpreter: `env` (ours
 * with the user's build.environment on top) with the paths of this machine
 * kept out of what it compiles.
 */
export function pep517StepEnv(context: CellContext, env: Readonly<Record<string, string | undefined>>, interpreter: Interpreter): Record<string, string | undefined> {
  const maps = cPathMaps({ projectDir: context.config.project.dir, cacheDir: context.cacheDir, interpreter });
  return { ...env, ...cPathMapFlags({ CPPFLAGS: context.env.CPPFLAGS, ...env }, maps) };
}

/** cargo's per-target linker variable: `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER`. */
export const cargoLinkerVariable = (target: string) => `CARGO_TARGET_${target.toUpperCase().replace(/-/g, '_')}_LINKER`;

export function cargoFeatureArgs(config: Config): string[] {
  return [
    ...(config.project.defaultFeatures ? [] : ['--no-default-features']),
    ...(config.project.features.length > 0 ? ['--features', config.project.features.join(',')] : []),
  ];
}

/**
 * The features a read of the resolved graph (`cargo metadata`, `cargo tree`)
 * must ask for to see what the build compiles: the config's, and for a
 * maturin project also its `[tool.maturin]` features and default-features
 * setting, which maturin applies (as abi3 detection reads them too).
 */
export function graphFeatureArgs(config: Config, backend: BuildBackend): string[] {
  const maturin = backend === 'maturin' ? table(table(table(readToml(path.join(config.project.dir, 'pyproject.toml'))).tool).maturin) : {};
  const features = [...new Set([...config.project.features, ...strings(maturin.features)])];
  const noDefault = !config.project.defaultFeatures || maturin['no-default-features'] === true || maturin['default-features'] === false;
  return [...(noDefault ? ['--no-default-features'] : []), ...(features.length > 0 ? ['--features', features.join(',')] : [])];
}

/** The maturin command line for a cell: one wheel per interpreter, or one abi3 wheel. */
export function maturinArgs(inputs: WheelBuildInputs, outDir: string): string[] {
  const { context, interpreters, abi3 } = inputs;
  return [
    '-m',
    'maturin',
    'build',
    '--release',
    '--manifest-path',
    path.join(context.config.project.dir, 'Cargo.toml'),
    '--target',
    context.platform.target,
    '--out',
    outDir,
    '--interpreter',
    // A foreign interpreter cannot run here: maturin takes its version (or
    // the name the platform gives it) and uses its own sysconfig data for the target.
    ...(abi3 ? interpreters.slice(0, 1) : interpreters).map((i) => (i.foreign ? (i.foreign.buildAs ?? `python${i.version}`) : i.executable)),
    ...cargoFeatureArgs(context.config),
    ...inputs.module.maturinRepairArgs(context),
    // The user's build.args, last.
    ...buildSettings(context).args,
  ];
}

async function wheelsIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.whl')).sort().map((name) => path.join(dir, name));
}

/**
 * Makes sure rustup has the standard library of the cell's target (a no-op
 * when it has; harmless where rustup is absent: cargo then says what is missing).
 */
export async function addRustTarget(context: CellContext, env: Readonly<Record<string, string>>): Promise<void> {
  // In the project's directory: its rust-toolchain.toml names the toolchain that gets the target.
  await context.runner.run('rustup', ['target', 'add', context.platform.target], { cwd: context.config.project.dir, env, allowFailure: true, quiet: true, purpose: 'rustup target add' });
}

/** A command line without the arguments that name the interpreters and the output directory. */
function withoutPerBuildArgs(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') i++;
    else if (args[i] === '--interpreter') while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) i++;
    else kept.push(args[i]!);
  }
  return kept;
}

/**
 * maturin once per interpreter, each in the cargo target directory of its
 * PyO3 configuration (see cargo-targets.ts): a build that changed nothing
 * compiles nothing. Directories no longer of use are pruned afterwards.
 */
async function maturinBuildsInTargetDirs(inputs: WheelBuildInputs, env: Readonly<Record<string, string>>, outDir: string, finished: () => Promise<void>, facts: RustWorkspaceFacts): Promise<void> {
  const { context, tools, interpreters, abi3 } = inputs;
  // A variable naming this build's scratch directory would give every build a directory of its own.
  const scrub = (value: string) => value.split(context.workDir).join('<work>');
  const keyed = Object.fromEntries(Object.entries(keyedVariables(context.env, env)).map(([name, value]) => [name, scrub(value)]));
  const build: RustBuild = {
    root: cargoTargetsRoot(context.cacheDir),
    facts,
    target: context.platform.target,
    profile: 'release',
    args: withoutPerBuildArgs(maturinArgs(inputs, outDir)),
    env: keyed,
    tools: { maturin: TOOL_PINS.maturin, ziglang: TOOL_PINS.ziglang },
  };
  const used = new Set<string>();
  for (const interpreter of abi3 ? interpreters.slice(0, 1) : interpreters) {
    const label = `Python ${interpreter.version}${abi3 ? ' (abi3)' : ''} for ${context.platform.target}`;
    const opened = await openTargetDir(build, interpreterIdentity(interpreter, abi3), label);
    used.add(opened.key);
    const state = opened.state === 'warm' ? 'warm' : opened.state === 'seeded' ? `new, a copy of ${opened.from}'s` : 'new';
    context.reporter.status(`${label}: cargo target directory ${opened.dir} (${state})`);
    await context.runner.run(tools.python, maturinArgs({ ...inputs, interpreters: [interpreter] }, outDir), {
      cwd: context.config.project.dir,
      env: { ...env, CARGO_TARGET_DIR: opened.dir },
      purpose: `maturin build for Python ${interpreter.version}`,
    });
    await finished();
  }
  const removed = await pruneTargetDirs(build.root, used);
  if (removed.length > 0) context.reporter.info(`Removed ${removed.length} cargo target director${removed.length === 1 ? 'y' : 'ies'} no longer of use`);
}

/** Builds unrepaired wheels into a scratch directory and returns their paths. */
export async function buildWheels(inputs: WheelBuildInputs): Promise<string[]> {
  const { context, module, tools, interpreters, abi3, project } = inputs;
  const outDir = await mkdtemp(path.join(context.workDir, 'wheels-'));
  // The user's build.environment on top of ours, for every step of the build.
  const built = abi3 ? interpreters.slice(0, 1) : interpreters;
  const needs = project.backend === 'maturin' ? await module.maturinBuildNeeds?.(context, { versions: built.map((i) => i.version), abi3, graph: inputs.cargoGraph }) : undefined;
  const gmp = needs ? { ...inputs.gmp, rustLinkDirs: [...(inputs.gmp.rustLinkDirs ?? []), ...needs.rustLinkDirs] } : inputs.gmp;
  // Our target directories, unless the user's build.environment names one.
  const keyedTargets = project.backend === 'maturin' && !('CARGO_TARGET_DIR' in buildSettings(context).environment);
  const root = cargoTargetsRoot(context.cacheDir);
  // Whatever a compiled file says of where it was built inside them is the same on every machine.
  const remaps = keyedTargets && !/\s/.test(root) ? [`--remap-path-prefix=${root}=/target`] : [];
  const env = project.backend === 'maturin' ? await cargoStepEnv(context, gmp, { ...buildEnv(inputs), ...needs?.env }, remaps) : withUserEnvironment(context, buildEnv(inputs));
  // Each new wheel of the output directory, finished and handed on.
  const seen = new Set<string>();
  const finished = async () => {
    for (const wheel of await wheelsIn(outDir)) {
      if (seen.has(wheel)) continue;
      seen.add(wheel);
      // maturin's SBOM names the checkout's crates by absolute path.
      if (project.backend === 'maturin') await normalizeSbomPaths(wheel, context.config.baseDir, context.sourceDateEpoch, context.host.os === 'windows');
      inputs.onWheel?.(wheel);
    }
  };
  if (project.backend === 'maturin') {
    const windows = context.host.os === 'windows';
    // Every toolchain has the standard library of its host.
    if ((await rustcHost(context.runner, context.config.project.dir, { ...context.env, ...env })) !== context.platform.target) await addRustTarget(context, env);
    await runBeforeBuild(context, env, interpreters[0]!, windows);
    if (keyedTargets) await maturinBuildsInTargetDirs(inputs, env, outDir, finished, await rustWorkspaceFacts(context.runner, context.config.project.dir, { ...context.env, ...env }, windows));
    else await context.runner.run(tools.python, maturinArgs(inputs, outDir), { cwd: context.config.project.dir, env, purpose: 'maturin build' });
  } else {
    // Any PEP 517 backend, through the pinned pip: each interpreter builds the
    // wheel for itself (a foreign one through the platform's cross-building
    // stand-in); an abi3 wheel is built once.
    for (const interpreter of built) {
      const builder = await module.wheelBuilder(context, interpreter);
      await runBeforeBuild(context, { ...env, ...builder.env }, interpreter, context.host.os === 'windows');
      // setuptools builds in the project's build/ and reuses what it finds
      // there: objects of another compiler or glibc target, or another
      // arch's. Each build gets a scratch build directory instead.
      const setuptoolsConfig = path.join(await mkdtemp(path.join(context.workDir, 'setuptools-')), 'setup.cfg');
      // setuptools reads it with ConfigParser's interpolation: a % in the path (TMPDIR) is written %%.
      await writeFile(setuptoolsConfig, `[build]\nbuild_base = ${path.join(path.dirname(setuptoolsConfig), 'build').replace(/%/g, '%%')}\n`);
      await context.runner.run(
        builder.python,
        [tools.pipRunner, 'wheel', '--no-deps', '--disable-pip-version-check', '--wheel-dir', outDir, ...buildSettings(context).args, context.config.project.dir],
        { cwd: context.config.project.dir, env: { ...pep517StepEnv(context, { ...env, ...builder.env }, interpreter), DIST_EXTRA_CONFIG: setuptoolsConfig }, purpose: `building the wheel for Python ${interpreter.version}` },
      );
      await finished();
    }
  }
  await finished();
  const wheels = await wheelsIn(outDir);
  if (wheels.length === 0) throw new Error(`the ${project.backend} build produced no wheel`);
  return wheels;
}
