import path from 'node:path';
import { buildMany } from '../commands/build-many.js';
import { publishCommand } from '../commands/publish.js';
import { verifyCell } from '../commands/verify.js';
import { splitList } from '../config/selectors.js';
import { UsageError, UserError } from '../core/errors.js';
import { parseCell } from '../plan/cell.js';
import { discard, ExecaRunner } from '../core/process/runner.js';
import type { Reporter } from '../core/reporter.js';

export interface CliContext {
  readonly workingDirectory: string;
  readonly configPath?: string;
  readonly reporter: Reporter;
  /** Stream every command's output to the terminal as well as to the cells' logs. */
  readonly verbose: boolean;
}

type Values = Record<string, string | boolean | undefined>;

const list = (value: string | boolean | undefined) => (typeof value === 'string' ? splitList(value) : undefined);

/** build, verify, publish and run on the terminal. */
export async function runCliCommand(command: 'build' | 'verify' | 'publish' | 'run', values: Values, context: CliContext): Promise<number> {
  const { reporter, workingDirectory, configPath } = context;
  if (command === 'verify') {
    if (typeof values.cell !== 'string' || typeof values.from !== 'string') throw new UsageError('verify: --cell JSON and --from DIR are required');
    const runner = new ExecaRunner(context.verbose ? process.stderr : discard);
    const result = await verifyCell({ workingDirectory, configPath, cell: parseCell(values.cell, '--cell'), fromDir: path.resolve(values.from), fromLabel: '--from', runner }, reporter);
    result.lines.forEach((line) => process.stdout.write(`${line}\n`));
    return 0;
  }
  if (command === 'publish') {
    if (typeof values.from !== 'string') throw new UsageError('publish: --from DIR is required');
    const result = await publishCommand(
      {
        workingDirectory,
        configPath,
        fromDir: path.resolve(values.from),
        narrowing: { platforms: list(values.platforms), python: list(values.python), platformsLabel: '--platforms', pythonLabel: '--python' },
        tag: typeof values.tag === 'string' ? values.tag : undefined,
        repository: typeof values.repo === 'string' ? values.repo : undefined,
        dryRun: values['dry-run'] === true,
      },
      reporter,
    );
    if (result.release?.url) process.stdout.write(`${result.release.url}\n`);
    return 0;
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
      outLabel: '--out',
      skipForeign: command === 'run',
      runner: new ExecaRunner(context.verbose ? process.stderr : discard),
    },
    reporter,
  );
  for (const outcome of result.outcomes) {
    for (const file of outcome.manifest.files) {
      process.stdout.write(`${path.relative(process.cwd(), path.join(outcome.outDir, file.name))}  ${file.sha256}  smoke: ${file.smokePassed.join(' ') || 'none'}\n`);
    }
  }
  reporter.status(`Summary: ${path.relative(process.cwd(), result.summaryPath)}`);
  if (result.failed.length > 0) {
    throw new UserError(result.failed.flatMap(({ error }) => error.problems));
  }
  if (result.outcomes.length === 0) {
    throw new UserError({ key: command, message: 'built nothing: no cell of the plan can be built on this machine', fix: "run it on the cells' runners (see `native-matrix plan`)" });
  }
  return 0;
}
