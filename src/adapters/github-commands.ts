import * as core from '@actions/core';
import path from 'node:path';
import sourcesData from '../../matrix/sources.yml';
import toolsData from '../../matrix/tools.yml';
import { cacheKey, cacheRoot } from '../core/cache.js';
import { buildMarkdown } from '../stages/summary.js';
import { buildMany } from '../commands/build-many.js';
import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import { UserError } from '../core/errors.js';
import { downloadCellArtifact, downloadCellArtifacts, replaceArtifact, uploadCellArtifact } from '../github/artifacts.js';
import { verifyCell } from '../commands/verify.js';
import { artifactName, PLAN_ARTIFACT, PLAN_FILE, PYPI_ARTIFACT } from '../core/names.js';
import type { ReleaseFile } from '../publish/gather.js';
import { stagePypiFiles } from '../publish/pypi.js';
import { publishCommand } from '../commands/publish.js';
import { attestFiles } from '../github/attest.js';
import { cacheRootPatterns, compiledBuildsKey, isReleaseRun, restoreBuildCache, restoreInto, restoreKeysFor, saveBuildCache, saveOnly } from '../github/cache.js';
import { cellPythons } from '../plan/render.js';
import { currentHost, hostFacts, thisHost, type HostFacts } from '../core/host.js';
import { cargoHome } from '../project/cargo-rustflags.js';
import { ExecaRunner, type CommandRunner } from '../core/process/runner.js';
import type { Cell } from '../plan/types.js';
import { interpreterVersions } from '../core/interpreters.js';
import { cargoTargetsRoot, rustWorkspaceFacts, targetDirsUsedSince } from '../backends/cargo-targets.js';
import { settingsFor } from '../config/settings.js';
import type { Config } from '../config/types.js';
import { detectProject } from '../backends/detect.js';
import { backendFor } from '../backends/index.js';
import type { ActionInputs } from '../options.js';
import { parseCell } from '../plan/cell.js';
import { plannedCell, readPlanFile } from '../plan/plan-file.js';
import { downloadPlanArtifact } from '../github/plan-artifact.js';
import type { Reporter } from '../core/reporter.js';

export { uploadPlanArtifact } from '../github/plan-artifact.js';

/** build, verify and publish as action steps. */
export async function runActionCommand(inputs: ActionInputs, workingDirectory: string, reporter: Reporter): Promise<void> {
  if (inputs.command === 'publish') return publishStep(inputs, workingDirectory, reporter);
  if (!inputs.cell) {
    throw new UserError({ key: 'input cell', message: `is required for command: ${inputs.command}`, fix: 'pass cell: ${{ toJSON(matrix) }} in a job whose matrix comes from the plan' });
  }
  if (inputs.command === 'verify') return verifyStep(inputs, inputs.cell, workingDirectory, reporter);
  const tempRoot = process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix');
  // What can be checked here is checked before anything is downloaded: the
  // cell's JSON and the config (a config problem is annotated at its line).
  const given = parseCell(inputs.cell, 'input cell');
  const config = await loadConfig({ configPath: inputs.configPath, workingDirectory, catalog: loadCatalog() });
  // The cell must be one of this run's plan, unchanged; its manifest records the plan.
  const plan = await readPlanFile(await downloadPlanArtifact(path.join(tempRoot, PLAN_ARTIFACT)));
  const cell = plannedCell(plan, given, 'input cell');
  const outRoot = path.join(tempRoot, 'native-matrix-out');

  // One cache per platform and the inputs that shape what is cached: the
  // GMP settings, the pinned sources and tools, the cell's interpreters.
  // native-matrix's own cache (GMP built from source, gmp-mpfr-sys's build,
  // the tool environments) and cargo's downloaded crates.
  const host = hostFacts(currentHost());
  const cargo = cargoHome(process.env, host);
  const cargoPaths = [path.join(cargo, 'registry', 'index'), path.join(cargo, 'registry', 'cache'), path.join(cargo, 'git', 'db')];
  const prefix = `native-matrix-${cell.platform}-`;
  const interpreters = await hostInterpreterVersions(cell, host, new ExecaRunner());
  const key = `${prefix}${cacheKey({ gmp: config.gmp, sources: sourcesData, tools: toolsData, python: cell.python, interpreters })}`;
  const releaseRun = isReleaseRun(process.env, plan.plan.publish);
  if (releaseRun) reporter.info(`A release run: the cache is restored by its exact key ${key} only, and no compiled build: the wheels are compiled from the commit alone`);
  const targets = cargoTargetsRoot(cacheRoot());
  const cachePaths = [...cacheRootPatterns(cacheRoot(), [`${path.basename(targets)}*`]), ...cargoPaths];
  const restored = await restoreBuildCache(cachePaths, key, restoreKeysFor(prefix, releaseRun));
  // The compiled builds (a Rust project's cargo target directories, one per
  // interpreter) in a cache of their own, for any run but a release: keyed
  // by the lockfile, the toolchain, cargo's and native-matrix's config, the
  // tools and the interpreters, so that a change to any never brings back a
  // stale build. The main cache above never holds them.
  const buildsPrefix = releaseRun ? undefined : await compiledBuildsPrefix(config, cell.platform, { python: cell.python, interpreters });
  const restoredBuilds = buildsPrefix ? await restoreInto(targets, buildsPrefix, [buildsPrefix]) : undefined;
  const buildStarted = Date.now();

  // Every command's output streams into its stage's collapsed group of the
  // job's log as well as into the cell's build.log: the runner masks secrets
  // there, and it is kept when the job is cancelled or times out.
  const runner = new ExecaRunner(process.stdout);
  const result = await buildMany(
    { workingDirectory, configPath: inputs.configPath, cells: [cell], planDigest: plan.digest, python: inputs.python, outRoot, skipForeign: false, runner, freshBuilds: releaseRun },
    reporter,
  );

  // Upload what was built even when the cell failed: nothing built is lost,
  // and publish refuses a cell whose manifest records a failure.
  const outDir = path.join(outRoot, cell.id);
  const name = artifactName(cell.id);
  const built = result.outcomes[0];
  if (built || result.failed.length > 0) {
    try {
      await uploadCellArtifact(name, outDir);
      core.setOutput('artifact', name);
      core.setOutput('manifest', path.join(outDir, 'manifest.json'));
    } catch (error) {
      if (built) throw error;
    }
  }
  if (process.env.GITHUB_STEP_SUMMARY && built) await core.summary.addRaw(buildMarkdown([built.manifest])).write();
  if (restored !== key) await saveBuildCache(cachePaths, key);
  if (buildsPrefix) {
    // Only the directories this cell built in: older ones restored with them are left out.
    const used = await targetDirsUsedSince(targets, buildStarted);
    const buildsKey = compiledBuildsKey(buildsPrefix, used);
    if (used.length > 0 && restoredBuilds !== buildsKey) await saveOnly(targets, (name) => used.includes(name), buildsKey);
  }
  if (result.failed.length > 0) throw new UserError(result.failed.flatMap(({ error }) => error.problems));
}

/**
 * The prefix of the compiled builds' cache keys for a cell of a Rust
 * (maturin) project, or undefined for other projects: it holds a digest of
 * what may make a compiled build stale.
 */
async function compiledBuildsPrefix(config: Config, platformId: string, cell: Record<string, unknown>): Promise<string | undefined> {
  try {
    if (!backendFor(detectProject(config).backend).cachesCompiledBuilds) return undefined;
    const facts = await rustWorkspaceFacts(new ExecaRunner(), config.project.dir, process.env, thisHost());
    const { dir, backend, features, defaultFeatures } = config.project;
    const settings = { project: { dir, backend, features, defaultFeatures }, build: settingsFor(config, platformId).build, linux: config.linux, gmp: config.gmp };
    return `native-matrix-builds-${platformId}-${cacheKey({ facts, settings, tools: toolsData, cell })}-`;
  } catch {
    return undefined;
  }
}

/** Downloads one cross-built cell's artifact and checks its files on a runner of their own OS. */
async function verifyStep(inputs: ActionInputs, cellJson: string, workingDirectory: string, reporter: Reporter): Promise<void> {
  const cell = parseCell(cellJson, 'input cell');
  const fromDir = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), 'native-matrix-verify', cell.id);
  const name = artifactName(cell.id);
  await reporter.group(`Download ${name}`, () => downloadCellArtifact(name, fromDir));
  await verifyCell({ workingDirectory, configPath: inputs.configPath, cell, fromDir, runner: new ExecaRunner(process.stdout) }, reporter);
}

/** Downloads every cell's artifact, verifies them all, and publishes the release. */
async function publishStep(inputs: ActionInputs, workingDirectory: string, reporter: Reporter): Promise<void> {
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const fromDir = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), 'native-matrix-publish');
  const names = await reporter.group('Download the build artifacts', () => downloadCellArtifacts(fromDir));
  reporter.info(`${names.length} artifacts: ${names.join(', ')}`);
  // The plan job's artifact came with them: publish the cells of that plan, under its tag.
  const plan = await readPlanFile(path.join(fromDir, PLAN_ARTIFACT, PLAN_FILE));
  const result = await publishCommand(
    {
      workingDirectory,
      configPath: inputs.configPath,
      fromDir,
      plan,
      narrowing: { platforms: inputs.platforms, python: inputs.python },
      tag: inputs.tag,
      token: inputs.githubToken,
      dryRun: inputs.dryRun,
    },
    reporter,
  );
  core.setOutput('assets', String(result.files));
  if (result.release && !inputs.dryRun && result.published.length > 0) {
    const outcome = await attestFiles(result.published, inputs.githubToken ?? process.env.GITHUB_TOKEN ?? '');
    reporter.info(outcome.attested ? `Provenance attested for ${result.published.length} files${outcome.url ? `: ${outcome.url}` : ''}` : `Provenance not attested: ${outcome.reason}`);
  }
  if (result.release?.url) core.setOutput('release-url', result.release.url);
  if (result.pypi && result.release && !inputs.dryRun) await handOverToPypi(result.distributions, fromDir, reporter);
  if (process.env.GITHUB_STEP_SUMMARY && result.release) {
    const { uploaded, skipped, replaced, removed, retained, planned } = result.release;
    const lines = inputs.dryRun
      ? ['## native-matrix publish (dry run)', '', ...planned.map((line) => `- would ${line}`)]
      : [
          '## native-matrix publish',
          '',
          `Release: ${result.release.url}`,
          '',
          `${uploaded.length - replaced.length} added, ${replaced.length} replaced, ${skipped.length} already there, ${removed.length} removed${retained.length ? `, ${retained.length} kept though not built this time (${retained.join(', ')})` : ''}.`,
        ];
    await core.summary.addRaw(`${lines.join('\n')}\n`).write();
  }
}

/**
 * Hands the verified wheels and sdist to the workflows' pypi job as one
 * artifact (the files and their SHA256SUMS), uploaded only after the release
 * passed verification: that job uploads nothing else and checks every sum again.
 */
async function handOverToPypi(distributions: readonly ReleaseFile[], fromDir: string, reporter: Reporter): Promise<void> {
  if (distributions.length === 0) {
    reporter.warning({ key: 'publish.pypi', message: 'is on, but the release holds no wheel or sdist', fix: 'set publish.pypi: false for a project of binaries' });
    return;
  }
  const dir = path.join(path.dirname(fromDir), PYPI_ARTIFACT);
  const names = await stagePypiFiles(distributions, dir);
  await reporter.group(`Hand ${names.length} files to the pypi job`, async () => {
    await replaceArtifact(PYPI_ARTIFACT, dir);
    names.forEach((name) => reporter.info(`  ${name}`));
  });
}

/**
 * The full versions of the cell's Pythons as this runner has them, for the
 * cache key: looked up the way the host lays out its own interpreters, also
 * for a cell that builds for another OS (Windows on ubuntu finds python3.X).
 */
export async function hostInterpreterVersions(cell: Cell, host: HostFacts, runner: CommandRunner): Promise<Record<string, string>> {
  return interpreterVersions(cellPythons(cell), { runner, host });
}
