import path from 'node:path';
import { UserError } from '../errors.js';
import type { CellContext } from '../platforms/types.js';
import type { ToolEnv } from './tools.js';

/**
 * `twine check --strict` on wheels and sdists: the metadata PyPI will show
 * (and refuse when broken, such as a README it cannot render) is checked in
 * the build cell, before anything reaches a release or an index.
 */
export async function checkMetadata(context: CellContext, tools: ToolEnv, files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  const result = await context.runner.run(tools.python, ['-m', 'twine', '--no-color', 'check', '--strict', ...files], {
    allowFailure: true,
    // Plain, unwrapped text for the log and the error message.
    env: { NO_COLOR: '1', FORCE_COLOR: undefined, COLUMNS: '200' },
    purpose: 'twine check --strict',
  });
  if (result.exitCode === 0) return;
  throw new UserError({
    key: 'metadata',
    message: `twine check --strict fails for ${files.map((f) => path.basename(f)).join(', ')}:\n${result.all.trim()}`,
    fix: 'complete the project metadata in pyproject.toml (a readme whose content type PyPI renders, a description); warnings count too',
  });
}
