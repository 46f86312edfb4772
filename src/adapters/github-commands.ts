import * as core from '@actions/core';
import path from 'node:path';
import { parse } from 'yaml';
import sourcesText from '../../matrix/sources.yml';
import toolsText from '../../matrix/tools.yml';
import { cacheKey, cacheRoot } from '../build/cache.js';
import { buildMarkdown } from '../build/summary.js';
import { buildMany } from '../commands/build-many.js';
import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import { artifactName, uploadCellArtifact } from '../github/artifacts.js';
import { restoreBuildCache, saveBuildCache } from '../github/cache.js';
import type { ActionInputs } from '../options.js';
import { parseCell } from '../plan/cell.js';
import type { Reporter } from '../reporter.js';

/** build and publish as action steps. */
export async function runActionCommand(inputs: ActionInputs, workingDirectory: string, reporter: Reporter): Promise<void> {
  if (inputs.command === 'publish') {
    throw new UserError({ key: 'input command', message: 'publish is not available in this version of native-matrix', fix: 'download the native-matrix-* artifacts and publish them by hand for now' });
  }
  if (!inputs.cell) {
    throw new UserError({ key: 'input cell', message: 'is required for command: build', fix: 'pass cell: ${{ toJSON(matrix) }} in a job whose matrix comes from the plan' });
  }
  const cell = parseCell(inputs.cell, 'input cell');
  const outRoot = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), 'native-matrix-out');

  // One cache per platform and the inputs that shape what is cached: the
  // GMP settings, the pinned sources and tools, the cell's interpreters.
  const config = await loadConfig({ configPath: inputs.configPath, workingDirectory, catalog: loadCatalog() });
  const cachePaths = [cacheRoot()];
  const prefix = `native-matrix-${cell.platform}-`;
  const key = `${prefix}${cacheKey({ gmp: config.gmp, sources: parse(sourcesText), tools: parse(toolsText), python: cell.python })}`;
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
