// Entry point of the GitHub Action (dist/index.js): read inputs once, run the
// command, publish outputs. Everything else lives in the engine.
import * as core from '@actions/core';
import path from 'node:path';
import { failStep, GitHubReporter } from './adapters/github.js';
import { loadCatalog } from './catalog/catalog.js';
import { matrixJson, planCommand } from './commands/plan.js';
import { parseActionInputs } from './options.js';
import { readEventContext } from './plan/event.js';
import { planMarkdown } from './plan/render.js';

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
        },
        reporter,
      );
      core.setOutput('matrix', matrixJson(result.cells));
      core.setOutput('cells', String(result.cells.length));
      core.setOutput('publish', String(result.publish));
      if (process.env.GITHUB_STEP_SUMMARY) {
        await core.summary.addRaw(planMarkdown(result.cells, loadCatalog(), result.publish, result.config.linux)).write();
      }
      return;
    }
    case 'build':
    case 'publish': {
      // A separate bundle (see scripts/build.mjs), so that `plan` never loads
      // the network stack; the path is resolved at run time on purpose.
      const bundle = './github-commands.js';
      const { runActionCommand } = (await import(bundle)) as typeof import('./adapters/github-commands.js');
      await runActionCommand(inputs, workingDirectory, reporter);
      return;
    }
  }
}

main().catch(failStep);
