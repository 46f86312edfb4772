import { UserError } from '../errors.js';
import type { ActionInputs } from '../options.js';
import type { Reporter } from '../reporter.js';

/** build and publish as action steps. */
export async function runActionCommand(inputs: ActionInputs, _workingDirectory: string, _reporter: Reporter): Promise<void> {
  throw new UserError({ key: `input command`, message: `${inputs.command} is not available in this version of native-matrix`, fix: 'use plan' });
}
