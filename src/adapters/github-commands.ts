import * as core from '@actions/core';
import { homedir } from 'node:os';
import path from 'node:path';
import sourcesData from '../../matrix/sources.yml';
import toolsData from '../../matrix/tools.yml';
import { cacheKey, cacheRoot } from '../stages/cache.js';
import { buildMarkdown } from '../stages/summary.js';
import { buildMany } from '../commands/build-many.js';
import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { artifactName, downloadCellArtifacts, uploadCellArtifact } from '../github/artifacts.js';
import { publishCommand } from '../commands/publish.js';
import { attestFiles } from '../github/attest.js';
import { restoreBuildCache, saveBuildCache } from '../github/cache.js';
import type { ActionInputs } from '../options.js';
import { parseCell } from '../plan/cell.js';
import type { Reporter } from '../reporter.js';

/** build and publish as action steps. */
export async function runActionCommand(inputs: ActionInputs, workingDirectory: string, reporter: Reporter): Promise<void> {
  if (inputs.command === 'publish') return publishStep(inputs, workingDirectory, reporter);
  if (!inputs.cell) {
    throw new UserError({ key: 'input cell', message: 'is required for command: build', fix: 'pass cell: ${{ toJSON(matrix) }} in a job whose matrix comes from the plan' });
  }
  const cell = parseCell(inputs.cell, 'input cell');
  const outRoot = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), 'native-matrix-out');

  // One cache per platform and the inputs that shape what is cached: the
  // GMP settings, the pinned sources and tools, the cell's interpreters.
  const config = await loadConfig({ configPath: inputs.configPath, workingDirectory, catalog: loadCatalog() });
  // native-matrix's own cache (GMP built from source, gmp-mpfr-sys's build,
  // the tool environments) and cargo's downloaded crates.
  const cargoHome = process.env.CARGO_HOME ?? path.join(homedir(), '.cargo');
  const cachePaths = [cacheRoot(), path.join(cargoHome, 'registry', 'index'), path.join(cargoHome, 'registry', 'cache'), path.join(cargoHome, 'git', 'db')];
  const prefix = `native-matrix-${cell.platform}-`;
  const key = `${prefix}${cacheKey({ gmp: config.gmp, sources: sourcesData, tools: toolsData, python: cell.python })}`;
  const restored = await restoreBuildCache(cachePaths, key, [prefix]);

  const result = await buildMany({ workingDirectory, configPath: inputs.configPath, cells: [cell], python: inputs.python, outRoot, skipForeign: false }, reporter);

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
  if (result.failed.length > 0) throw new UserError(result.failed.flatMap(({ error }) => error.problems));
}

/** Downloads every cell's artifact, verifies them all, and publishes the release. */
async function publishStep(inputs: ActionInputs, workingDirectory: string, reporter: Reporter): Promise<void> {
  if (inputs.githubToken) core.setSecret(inputs.githubToken);
  const fromDir = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), 'native-matrix-publish');
  const names = await reporter.group('Download the build artifacts', () => downloadCellArtifacts(fromDir));
  reporter.info(`${names.length} artifacts: ${names.join(', ')}`);
  const result = await publishCommand(
    {
      workingDirectory,
      configPath: inputs.configPath,
      fromDir,
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
  if (process.env.GITHUB_STEP_SUMMARY && result.release) {
    const { uploaded, skipped, replaced, planned } = result.release;
    const lines = inputs.dryRun
      ? ['## native-matrix publish (dry run)', '', ...planned.map((line) => `- would ${line}`)]
      : ['## native-matrix publish', '', `Release: ${result.release.url}`, '', `${uploaded.length} uploaded, ${skipped.length} already there, ${replaced.length} replaced.`];
    await core.summary.addRaw(`${lines.join('\n')}\n`).write();
  }
}
