import path from 'node:path';
import { buildMany } from '../commands/build-many.js';
import { splitList } from '../config/selectors.js';
import { UsageError, UserError } from '../errors.js';
import { parseCell } from '../plan/cell.js';
import type { Reporter } from '../reporter.js';

export interface CliContext {
  readonly workingDirectory: string;
  readonly configPath?: string;
  readonly reporter: Reporter;
}

type Values = Record<string, string | boolean | undefined>;

/** build, publish and run on the terminal. */
export async function runCliCommand(command: 'build' | 'publish' | 'run', values: Values, context: CliContext): Promise<number> {
  const { reporter, workingDirectory, configPath } = context;
  if (command === 'publish') {
    throw new UserError({ key: 'publish', message: 'is not available in this version of native-matrix', fix: 'upload the files of each cell directory by hand for now' });
  }
  if (command === 'build' && values.cell && values.platform) throw new UsageError('build: give --cell or --platform, not both');
  const outRoot = path.resolve(String(values.out ?? 'wheelhouse'));
  const result = await buildMany(
    {
      workingDirectory,
      configPath,
      cells: typeof values.cell === 'string' ? [parseCell(values.cell, '--cell')] : undefined,
      platform: typeof values.platform === 'string' ? values.platform : undefined,
      python: typeof values.python === 'string' ? splitList(values.python) : undefined,
      outRoot,
      skipForeign: command === 'run',
    },
    reporter,
  );
  for (const outcome of result.outcomes) {
    for (const file of outcome.manifest.files) {
      process.stdout.write(`${path.relative(process.cwd(), path.join(outcome.outDir, file.name))}  ${file.sha256}  smoke: ${file.smokePassed.join(' ') || 'none'}\n`);
    }
  }
  reporter.info(`Summary: ${path.relative(process.cwd(), result.summaryPath)}`);
  if (result.failed.length > 0) {
    throw new UserError(result.failed.flatMap(({ error }) => error.problems));
  }
  if (result.outcomes.length === 0) {
    throw new UserError({ key: command, message: 'built nothing: no cell of the plan can be built on this machine', fix: 'run it on the cells\' runners (see `native-matrix plan`)' });
  }
  return 0;
}
