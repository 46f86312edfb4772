import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config/types.js';
import { gmpMpfrSysCache } from '../backends/cargo-env.js';
import { backendFor } from '../backends/index.js';
import { cacheRoot, discardedWarning, discardUnrecorded, recordsWritten, recordTree } from '../core/cache.js';
import type { Interpreter } from '../core/interpreters.js';
import { MANIFEST_SCHEMA, smokeAndTestPassed, writeManifest, type Manifest, type ManifestFile, type SmokeResult } from '../stages/manifest.js';
import { sourceDateEpoch, type SourceDate } from '../core/source-date.js';
import { chooseToolHost, ensureToolEnv, ensureUv, type ToolEnv, type ToolName } from '../core/tools.js';
import { buildBinary } from '../stages/binary.js';
import { parseDistributionName } from '../core/dist-name.js';
import { buildSdistCell } from './build-sdist.js';
import { buildWheelCell, GENERATOR } from './build-wheel-cell.js';
import { CannotBuildHereError, UserError } from '../core/errors.js';
import { cellPythons } from '../plan/render.js';
import type { Cell } from '../plan/types.js';
import { platformModule } from '../platforms/index.js';
import type { GmpProvision } from '../platforms/types.js';
import type { CellContext } from '../routes/context.js';
import { currentHost } from '../core/host.js';
import { resolveRoute } from '../routes/resolve.js';
import { withLog, withVariables, type CommandRunner } from '../core/process/runner.js';
import { openCellLog } from '../stages/cell-log.js';
import { CELL_LOG_FILE } from '../core/names.js';
import { teeReporter } from '../core/reporter.js';
import { cargoCrossCompiles, forceCrossEnv, readCargoGraph, rustcHost, type CargoGraph } from '../project/cargo-features.js';
import type { ProjectFacts } from '../project/detect.js';
import type { Reporter } from '../core/reporter.js';

export interface BuildCellOptions {
  readonly cell: Cell;
  readonly config: Config;
  readonly project: ProjectFacts;
  readonly catalog: Catalog;
  readonly runner: CommandRunner;
  readonly reporter: Reporter;
  /** The cell's files and manifest.json go to `outRoot/<cell id>/`. */
  readonly outRoot: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cacheDir?: string;
  /** The digest of the plan the cell belongs to, recorded in the manifest. */
  readonly planDigest?: string;
  /** Compile from the commit alone, reusing no compiled build of an earlier run (a release run). */
  readonly freshBuilds?: boolean;
}

export interface CellOutcome {
  readonly cell: Cell;
  readonly outDir: string;
  readonly manifestPath: string;
  readonly manifest: Manifest;
}

/**
 * Builds one cell: provision GMP → build → repair and check → smoke in every
 * Python of the cell → manifest.json. The manifest is written even when a
 * smoke test fails (nothing built is lost); the failure is then thrown.
 */
export async function buildCell(options: BuildCellOptions): Promise<CellOutcome> {
  const { cell, config, project, catalog } = options;
  const env = options.env ?? process.env;
  const platform = catalog.platforms.get(cell.platform);
  if (!platform) throw new UserError({ key: 'cell', message: `names platform ${cell.platform}, which is not in the catalog`, fix: 'pass a cell from the plan of this version of native-matrix' });
  const module = platformModule(platform);
  const backend = backendFor(project.backend);
  const { route, refusal } = resolveRoute(currentHost(), platform, { ...cell, backend: project.backend, manylinux: cell.sdist ? 'host' : config.linux.manylinux });
  if (refusal) throw new CannotBuildHereError(platform, refusal.reason);
  const started = performance.now();
  // uv (the tool environment's installer) needs nothing of the cell: it is
  // fetched while the cell starts and its interpreters are found.
  const uv = ensureUv({ runner: options.runner, cacheDir: options.cacheDir ?? cacheRoot(env), machine: route.host, env });
  const workDir = await mkdtemp(path.join(tmpdir(), `native-matrix-${cell.id}-`));
  const outDir = path.join(options.outRoot, cell.id);
  // Everything the cell runs and says goes to its log file, which ends up beside its manifest.
  const log = await openCellLog(workDir, path.join(outDir, CELL_LOG_FILE), env);
  const runner = withLog(options.runner, log);
  const reporter = teeReporter(options.reporter, (text) => log.write(text));
  // Every file the cell writes is dated by the commit, so that two builds of one commit are identical.
  const sourceDate = await sourceDateEpoch(runner, config.project.dir, env);
  reporter.info(`SOURCE_DATE_EPOCH=${sourceDate.epoch} (${SOURCE_DATE_ORIGINS[sourceDate.from]})`);
  const context: CellContext = {
    platform,
    route,
    config,
    runner: withVariables(runner, { SOURCE_DATE_EPOCH: String(sourceDate.epoch) }),
    reporter,
    cacheDir: options.cacheDir ?? cacheRoot(env),
    workDir,
    env,
    sourceDateEpoch: sourceDate.epoch,
    ...(options.freshBuilds ? { freshBuilds: true } : {}),
  };
  const timings: Record<string, number> = {};
  const stage = async <T>(name: string, title: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await reporter.group(title, work);
    } finally {
      timings[name] = Number(((performance.now() - started) / 1000).toFixed(3));
    }
  };

  // The interpreters before anything else. A cell this host has no way to
  // provide them for is no cell here (`run` skips it) and leaves an earlier
  // run's output alone; one merely missing an interpreter fails with a manifest.
  const files: ManifestFile[] = [];
  let interpreters: Interpreter[] = [];
  let provisioned: GmpProvision | undefined;
  let gmpMpfrSysChecked = false;
  // Boxed: whatever was thrown, even undefined, is a failure.
  let failure: { readonly error: unknown } | undefined;
  try {
    interpreters = cell.wheel ? await stage('interpreters', 'Find the interpreters', () => module.findInterpreters(context, cellPythons(cell), backend)) : [];
  } catch (error) {
    if (error instanceof CannotBuildHereError) {
      await log.close();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    failure = { error };
  }
  try {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    if (failure) throw failure.error;
    const discarded = await discardUnrecorded(gmpMpfrSysCache(context.cacheDir));
    if (discarded) reporter.warning(discardedWarning(discarded));
    gmpMpfrSysChecked = true;
    // The sdist's proof wheel is built the way a user's pip builds it from
    // the sdist: with this machine's own toolchain, tagged for its glibc.
    const cellContext: CellContext = cell.sdist ? { ...context, config: Object.freeze({ ...config, linux: Object.freeze({ manylinux: 'host' as const }) }) } : context;
    // The compilers' tools (zig) serve binaries too; the wheel tools only wheels.
    const toolNames: ToolName[] = cell.sdist
      ? []
      : [...(cell.wheel ? [...backend.wheelTools, ...module.repairTools, 'twine' as const, ...(cell.abi3 ? (['abi3audit'] as const) : [])] : []), ...(module.toolchainTools?.(context) ?? [])];
    let tools: ToolEnv | undefined;
    if (toolNames.length > 0) {
      // The tools run natively: a foreign interpreter lends its native twin.
      const fallbacks = [...catalog.pythons.values()].filter((p) => !p.freeThreaded).map((p) => p.version);
      const host = await chooseToolHost(
        interpreters.flatMap((i) => (i.foreign ? (i.foreign.native ? [i.foreign.native] : []) : [i])),
        fallbacks,
        // The tools run on this machine, whatever the cell builds for.
        { runner, env, host: route.host },
      );
      const toolEnv = await stage('tools', 'Prepare build tools', () => ensureToolEnv({ runner, host, tools: toolNames, cacheDir: context.cacheDir, machine: route.host, uv, recordLater: true }));
      if (toolEnv.discarded) reporter.warning(discardedWarning(toolEnv.discarded));
      tools = toolEnv;
    }
    // A Rust project's resolved graph for the target: what its dependencies
    // need when cargo cross-compiles (gmp-mpfr-sys's force-cross, PyO3's
    // import library on Windows). cargo cross-compiles whenever its host
    // triple is not the target, also on a Windows runner whose rustc is MSVC's.
    const graphFeatures = backend.graphFeatureArgs?.(config);
    const cargoCross = graphFeatures !== undefined && cargoCrossCompiles(route.cross, await rustcHost(runner, config.project.dir, env), platform.target);
    const cargoGraph: CargoGraph | undefined = cargoCross ? await readCargoGraph(runner, config.project.dir, env, platform.target, graphFeatures) : undefined;
    const forceCross = cargoGraph ? forceCrossEnv(cargoGraph) : { env: {} };
    const provision = await stage('provision', 'Provision GMP', () => module.provisionGmp(cellContext, tools));
    if (forceCross.note) reporter.status(forceCross.note);
    const gmp: GmpProvision = { ...provision, cargoEnv: { ...provision.cargoEnv, ...forceCross.env } };

    provisioned = gmp;
    if (cell.sdist) {
      files.push(await buildSdistCell({ context: cellContext, module, project, catalog, gmp, interpreters, outDir, stage, uv }));
    } else if (cell.wheel && tools) {
      files.push(...(await buildWheelCell({ context, module, backend, project, catalog, cell, gmp, tools, interpreters, cargoGraph, outDir, stage })));
    }

    if (cell.binary) {
      // A program is cargo's, never MSVC's: beside MSVC-built wheels it gets GMP for its own toolchain (MSYS2's MINGW64, not UCRT64).
      const programContext: CellContext = route.msvc ? { ...context, route: { ...route, msvc: false } } : context;
      const programGmp = route.msvc ? await stage('provision-binary', 'Provision GMP for the binary', () => module.provisionGmp(programContext, tools)) : gmp;
      const archive = await stage('binary', 'Build and package the binary', () => buildBinary({ context: programContext, module, backend, gmp: programGmp, outDir, tools }));
      files.push(archive);
    }
  } catch (error) {
    // Keep what was built, and say in the manifest why the cell failed.
    failure = { error };
  } finally {
    // What gmp-mpfr-sys cached in this build (after the check) is what the next one may trust.
    if (gmpMpfrSysChecked && existsSync(gmpMpfrSysCache(context.cacheDir))) await recordTree(gmpMpfrSysCache(context.cacheDir));
    // And the records of what this cell added to the cache, written beside its build.
    await recordsWritten();
    await log.keep();
    await rm(workDir, { recursive: true, force: true });
  }

  timings.total = Number(((performance.now() - started) / 1000).toFixed(3));

  // Pythons this host could not run, and a program it cannot run (a macOS one built on Linux).
  const notRun = cell.binary ? module.notRunHere?.(context) : undefined;
  const notSmokeTested = [...interpreters.filter((i) => i.untested).map((i) => ({ python: i.version, reason: i.untested! })), ...(notRun ? [{ python: 'binary', reason: notRun }] : [])];
  const first = files.find((f) => f.kind === 'wheel' || f.kind === 'sdist');
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA,
    generator: GENERATOR,
    cell: { id: cell.id, platform: cell.platform, target: cell.target, python: cellPythons(cell), abi3: cell.abi3 },
    project: { name: project.name, version: first ? parseDistributionName(first.name)?.version : undefined },
    // What was actually provisioned: a cross build, for one, always builds GMP from source.
    gmp: {
      source: provisioned?.source ?? config.gmp.source,
      ...(provisioned?.source === 'build' ? { version: config.gmp.version, cached: provisioned.cacheHit } : {}),
      libraries: config.gmp.libraries,
    },
    ...(provisioned?.compatibility ? { compatibility: provisioned.compatibility } : {}),
    files,
    log: CELL_LOG_FILE,
    ...(notSmokeTested.length > 0 ? { notSmokeTested } : {}),
    ok: failure === undefined && files.every((f) => f.smoke.every(smokeAndTestPassed)),
    ...(failure ? { error: failure.error instanceof Error ? failure.error.message : String(failure.error) } : {}),
    sourceDateEpoch: sourceDate.epoch,
    ...(options.planDigest ? { plan: options.planDigest } : {}),
    timings,
    createdAt: new Date().toISOString(),
  };
  const manifestPath = await writeManifest(outDir, manifest);
  if (failure) throw new CellFailedError(manifest, failure.error);
  if (!manifest.ok) {
    const on = (f: ManifestFile, s: SmokeResult) => `${f.name} on ${s.python ? `Python ${s.python}` : 'this machine'}`;
    const failedSmoke = files.flatMap((f) => f.smoke.filter((s) => !s.passed).map((s) => `${on(f, s)}:\n${s.output ?? ''}`));
    const failedTests = files.flatMap((f) => f.smoke.filter((s) => s.test?.passed === false).map((s) => `${on(f, s)}:\n${s.test!.output ?? ''}`));
    throw new CellFailedError(
      manifest,
      new UserError({
        key: `cell ${cell.id}`,
        message: [failedSmoke.length > 0 ? `the smoke test failed for ${failedSmoke.join('\n')}` : '', failedTests.length > 0 ? `test.command failed for ${failedTests.join('\n')}` : '']
          .filter(Boolean)
          .join('\n'),
        fix: `the built files and ${path.relative(process.cwd(), manifestPath)} are kept in ${outDir} for inspection`,
      }),
    );
  }
  return { cell, outDir, manifestPath, manifest };
}

const SOURCE_DATE_ORIGINS: Record<SourceDate['from'], string> = {
  environment: 'as set in the environment',
  git: 'the time of the commit being built',
  fallback: 'not a git checkout: the fixed 1980-01-01, so that builds of the same files agree',
};

/** A cell that ran and failed: `manifest`, written and kept, records it; `cause` is why. */
export class CellFailedError extends Error {
  constructor(
    readonly manifest: Manifest,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'CellFailedError';
  }
}
