import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { glibcTarget } from '../platforms/glibc.js';
import { crossPythonImportLibraries } from '../platforms/python-import-libs.js';
import type { MaturinBuild } from '../platforms/types.js';
import { MINGW_TRIPLE } from '../platforms/windows.js';
import { rustcHost } from '../project/cargo-features.js';
import { readToml, strings, table } from '../project/files.js';
import { BACKEND_ROUTES } from '../routes/backend-routes.js';
import type { CellContext } from '../routes/context.js';
import type { RouteId } from '../routes/route.js';
import { TOOL_PINS } from '../core/tools.js';
import { addRustTarget, buildEnv, cargoFeatureArgs, cargoStepEnv } from './cargo-env.js';
import { wheelOutput } from './wheel-output.js';
import { cargoTargetsRoot, interpreterIdentity, keyedVariables, openTargetDir, pruneTargetDirs, rustWorkspaceFacts, type RustBuild } from './cargo-targets.js';
import { cargo } from './cargo.js';
import type { Backend, WheelBuildInputs } from './types.js';
import { buildSettings, runBeforeBuild } from './user-build.js';
import { normalizeSbomPaths } from './wheel-sbom.js';

// maturin: PyO3 (and other Rust) extensions, built by cargo for the cell's
// target, for every interpreter or once for abi3; its sdist takes in the
// workspace crates the package needs.

type LinkNeeds = { env: Record<string, string>; rustLinkDirs: string[] };
const NOTHING: LinkNeeds = { env: {}, rustLinkDirs: [] };

/** auditwheel bundles GMP and checks the tag after maturin (whose own check would refuse a wheel linking the system's libgmp); with a glibc target, maturin links with zig for it. */
const linuxArgs = (context: CellContext): string[] => {
  const target = glibcTarget(context);
  return [...(target ? ['--zig', '--compatibility', target.policy] : ['--compatibility', 'linux']), '--auditwheel', 'skip'];
};

/** What maturin is told of each route's toolchain and repair, which the platform's own step does after it. */
const ROUTE_ARGS: Readonly<Record<RouteId, (context: CellContext) => string[]>> = {
  'linux-native': linuxArgs,
  'linux-zig': linuxArgs,
  'linux-qemu': linuxArgs,
  'windows-wine': () => [],
  'windows-msys2': () => [],
  'macos-native': () => [],
  // maturin links with zig for the deployment target (MACOSX_DEPLOYMENT_TARGET), which also tags the wheel.
  'macos-zig': () => ['--zig'],
};

/**
 * What each route's build needs beyond GMP: cross-built for Windows, the
 * Python import library that PyO3 older than 0.29 makes only with its
 * generate-import-lib feature. On Windows maturin links the runner's CPython.
 */
const ROUTE_NEEDS: Readonly<Record<RouteId, (context: CellContext, build: MaturinBuild) => Promise<LinkNeeds>>> = {
  'linux-native': () => Promise.resolve(NOTHING),
  'linux-zig': () => Promise.resolve(NOTHING),
  'linux-qemu': () => Promise.resolve(NOTHING),
  'windows-wine': (context, build) => crossPythonImportLibraries(context, build, MINGW_TRIPLE[context.platform.arch]!),
  'windows-msys2': () => Promise.resolve(NOTHING),
  'macos-native': () => Promise.resolve(NOTHING),
  'macos-zig': () => Promise.resolve(NOTHING),
};

/** What a maturin build of the cell needs on its route beyond GMP: variables, and directories for rustc's native search path. */
export const maturinBuildNeeds = (context: CellContext, build: MaturinBuild): Promise<LinkNeeds> => ROUTE_NEEDS[context.route.id](context, build);

/** The maturin command line for a cell: one wheel per interpreter, or one abi3 wheel. */
export function maturinArgs(inputs: Pick<WheelBuildInputs, 'context' | 'interpreters' | 'abi3'>, outDir: string): string[] {
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
    ...ROUTE_ARGS[context.route.id](context),
    // The user's build.args, last.
    ...buildSettings(context).args,
  ];
}

/**
 * The features a read of the resolved graph must ask for to see what the
 * build compiles: the config's, with `[tool.maturin]`'s features and
 * default-features setting, which maturin applies (as abi3 detection reads them too).
 */
function graphFeatureArgs(config: Config): string[] {
  const maturin = table(table(table(readToml(path.join(config.project.dir, 'pyproject.toml'))).tool).maturin);
  const features = [...new Set([...config.project.features, ...strings(maturin.features)])];
  const noDefault = !config.project.defaultFeatures || maturin['no-default-features'] === true || maturin['default-features'] === false;
  return [...(noDefault ? ['--no-default-features'] : []), ...(features.length > 0 ? ['--features', features.join(',')] : [])];
}

/**
 * Where a build's cargo target directories live: the cache's, or for a
 * release run (compiled from the commit alone) the cell's scratch space.
 * Both are written as /target in what is compiled, so the bytes are the same.
 */
const targetsRoot = (context: CellContext) => (context.freshBuilds ? path.join(context.workDir, 'cargo-target') : cargoTargetsRoot(context.cacheDir));

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
async function buildsInTargetDirs(inputs: WheelBuildInputs, env: Readonly<Record<string, string>>, outDir: string, finished: () => Promise<unknown>): Promise<void> {
  const { context, tools, interpreters, abi3 } = inputs;
  const stepEnv = { ...context.env, ...env };
  const facts = await rustWorkspaceFacts(context.runner, context.config.project.dir, stepEnv, context.route.host);
  // A variable naming this build's scratch directory would give every build a directory of its own.
  const scrub = (value: string) => value.split(context.workDir).join('<work>');
  const keyed = Object.fromEntries(Object.entries(keyedVariables(context.env, env)).map(([name, value]) => [name, scrub(value)]));
  const build: RustBuild = {
    root: targetsRoot(context),
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

async function buildWheels(inputs: WheelBuildInputs): Promise<string[]> {
  const { context, tools, interpreters, abi3 } = inputs;
  const outDir = await mkdtemp(path.join(context.workDir, 'wheels-'));
  const built = abi3 ? interpreters.slice(0, 1) : interpreters;
  const needs = await maturinBuildNeeds(context, { versions: built.map((i) => i.version), abi3, graph: inputs.cargoGraph });
  const gmp = { ...inputs.gmp, rustLinkDirs: [...(inputs.gmp.rustLinkDirs ?? []), ...needs.rustLinkDirs] };
  // Our target directories, unless the user's build.environment names one.
  const keyedTargets = !('CARGO_TARGET_DIR' in buildSettings(context).environment);
  const root = targetsRoot(context);
  // Whatever a compiled file says of where it was built inside them is the same on every machine.
  const remaps = keyedTargets && !/\s/.test(root) ? [`--remap-path-prefix=${root}=/target`] : [];
  // The user's build.environment on top of ours, for every step of the build.
  const env = await cargoStepEnv(context, gmp, { ...buildEnv(context, gmp), ...needs.env }, remaps);
  // Every toolchain has the standard library of its host.
  if ((await rustcHost(context.runner, context.config.project.dir, { ...context.env, ...env })) !== context.platform.target) await addRustTarget(context, env);
  await runBeforeBuild(context, env, interpreters[0]!);
  // maturin's SBOM names the checkout's crates by absolute path.
  const output = wheelOutput(outDir, 'maturin', { finish: (wheel) => normalizeSbomPaths(wheel, context.config.baseDir, context.sourceDateEpoch, context.route.host), onWheel: inputs.onWheel });
  if (keyedTargets) await buildsInTargetDirs(inputs, env, outDir, output.collect);
  else await context.runner.run(tools.python, maturinArgs(inputs, outDir), { cwd: context.config.project.dir, env, purpose: 'maturin build' });
  return output.all();
}

async function buildSdist(context: CellContext, tools: { python: string }, scratch: string): Promise<void> {
  const { config, runner } = context;
  await runner.run(tools.python, ['-m', 'maturin', 'sdist', '--manifest-path', path.join(config.project.dir, 'Cargo.toml'), '--out', scratch], { cwd: config.project.dir, purpose: 'maturin sdist' });
}

export const maturin: Backend = {
  name: 'maturin',
  routes: BACKEND_ROUTES.maturin,
  wheelTools: ['maturin'],
  sdistTools: ['maturin'],
  compilesAgainstInterpreters: false,
  cachesCompiledBuilds: true,
  graphFeatureArgs,
  buildWheels,
  buildSdist,
  // A project of kind both builds its program with cargo.
  buildProgram: cargo.buildProgram,
};
