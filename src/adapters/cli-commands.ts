import { UserError } from '../errors.js';
import type { Reporter } from '../reporter.js';

export interface CliContext {
  readonly workingDirectory: string;
  readonly configPath?: string;
  readonly reporter: Reporter;
}

/** build, publish and run on the terminal. */
export async function runCliCommand(
  command: 'build' | 'publish' | 'run',
  _values: Record<string, string | boolean | undefined>,
  _context: CliContext,
): Promise<number> {
  throw new UserError({ key: command, message: 'is not available in this version of native-matrix', fix: 'use plan' });
}
