// Entry point of the GitHub Action (dist/index.js): read inputs once, run the
// command, publish outputs. Everything else lives in the engine.
import * as core from '@actions/core';
import path from 'node:path';
import { failStep, GitHubReporter } from './adapters/github.js';
import { loadCatalog } from './catalog/catalog.js';
import { matrixJson, planCommand } from './commands/plan.js';
import { parseActionInputs } from './options.js';
import { readEventContext } from './plan/event.js';
import { planFile, writePlanFile } from './plan/plan-file.js';
import { PLAN_ARTIFACT } from './core/names.js';
import { planMarkdown } from './plan/render.js';

/**
 * A separate bundle (see scripts/build.mjs), so that `plan` loads the network
 * stack only to upload its artifact; the path is resolved at run time on purpose.
 */
const GITHUB_COMMANDS = './github-commands.js';

async function main(): Promise<void> {
  const inputs = parseActionInputs((name) => core.getInput(name));
  const reporter = new GitHubReporter();
  const workingDirectory = path.resolve(inputs.workingDirectory);
  switch (inputs.command) {
    case 'plan': {
      const result = await planCommand(
        {
          workingDirectory,
          configPath: inputs.configPath,
          narrowing: { platforms: inputs.platforms, python: inputs.python },
          event: readEventContext(),
          tag: inputs.tag,
        },
        reporter,
      );
      // The plan as an artifact: build and publish read it instead of planning again.
      const plan = planFile(result.cells, result.publish, result.tag);
      const planDir = path.join(process.env.RUNNER_TEMP ?? path.join(workingDirectory, '.native-matrix'), PLAN_ARTIFACT);
      await writePlanFile(planDir, plan);
      reporter.info(`Plan ${plan.digest}: ${result.cells.length} cells${result.publish ? `, publishing ${result.tag}` : ''}`);
      if (process.env.ACTIONS_RUNTIME_TOKEN) {
        const { uploadPlanArtifact } = (await import(GITHUB_COMMANDS)) as typeof import('./adapters/github-commands.js');
        await uploadPlanArtifact(planDir);
      } else {
        reporter.info(`Not on a GitHub runner (no ACTIONS_RUNTIME_TOKEN): the plan is in ${planDir} only`);
      }
      core.setOutput('matrix', matrixJson(result.cells));
      core.setOutput('cells', String(result.cells.length));
      core.setOutput('publish', String(result.publish));
      core.setOutput('pypi', String(result.pypi));
      if (process.env.GITHUB_STEP_SUMMARY) {
        await core.summary.addRaw(planMarkdown(result.cells, loadCatalog(), result.publish, result.config.linux)).write();
      }
      return;
    }
    case 'build':
    case 'verify':
    case 'publish': {
      const { runActionCommand } = (await import(GITHUB_COMMANDS)) as typeof import('./adapters/github-commands.js');
      await runActionCommand(inputs, workingDirectory, reporter);
      return;
    }
  }
}

main().catch(failStep);
