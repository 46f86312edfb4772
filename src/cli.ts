#!/usr/bin/env node
// Entry point of `native-matrix` on a terminal (dist/cli.js): the same engine
// as the action, with results on stdout and progress on stderr.
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TerminalReporter } from './adapters/terminal.js';
import { loadCatalog } from './catalog/catalog.js';
import { matrixJson, planCommand } from './commands/plan.js';
import { splitList } from './config/selectors.js';
import { describeFailure, UsageError } from './core/errors.js';
import { readEventContext } from './plan/event.js';
import { planTable } from './plan/render.js';

const USAGE = `Usage:
  native-matrix plan    [--config F] [--platforms L] [--python L] [--json]
  native-matrix build   [--config F] [--cell JSON | --platform ID] [--python L] [--out DIR]
                        (--platform sdist: the sdist cell)
  native-matrix verify  [--config F] --cell JSON --from DIR
                        (a cell's built files, imported and run on a machine of their own platform)
  native-matrix publish [--config F] --from DIR [--tag T] [--repo OWNER/NAME] [--dry-run]
                        [--platforms L] [--python L]   (the plan's narrowing, if any)
  native-matrix run     [--config F] [--out DIR]

Common options:
  -v, --verbose           print every command's output as it runs (by default: one line per stage,
                          the full output in each cell's build.log)
  --config F              config file (default: native-matrix.yml, else [tool.native-matrix] in pyproject.toml)
  --working-directory D   project root (default: the current directory)
  -h, --help              this text
  -V, --version           the version of native-matrix`;

const COMMON = {
  config: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'working-directory': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const OPTIONS = {
  plan: { ...COMMON, platforms: { type: 'string' }, python: { type: 'string' }, json: { type: 'boolean' } },
  build: { ...COMMON, cell: { type: 'string' }, platform: { type: 'string' }, python: { type: 'string' }, out: { type: 'string' } },
  publish: {
    ...COMMON,
    from: { type: 'string' },
    platforms: { type: 'string' },
    python: { type: 'string' },
    tag: { type: 'string' },
    repo: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  verify: { ...COMMON, cell: { type: 'string' }, from: { type: 'string' } },
  run: { ...COMMON, out: { type: 'string' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;

type Command = keyof typeof OPTIONS;

function parseCommandLine(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') return { command: 'version' as const };
  if (!command || command === '--help' || command === '-h' || command === 'help') return { command: 'help' as const };
  if (!(command in OPTIONS)) throw new UsageError(`unknown command "${command}"`);
  try {
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS[command as Command], strict: true, allowPositionals: false });
    return { command: command as Command, values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (parsed.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.command === 'version') {
    process.stdout.write(`${__VERSION__}\n`);
    return 0;
  }
  const { command, values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const verbose = values.verbose === true;
  const reporter = new TerminalReporter(process.stderr, { verbose });
  const workingDirectory = path.resolve(String(values['working-directory'] ?? '.'));
  const configPath = values.config as string | undefined;
  const list = (name: string) => (typeof values[name] === 'string' ? splitList(values[name]) : undefined);

  if (command === 'plan') {
    const result = await planCommand(
      {
        workingDirectory,
        configPath,
        narrowing: { platforms: list('platforms'), python: list('python'), platformsLabel: '--platforms', pythonLabel: '--python' },
        event: readEventContext(),
      },
      reporter,
    );
    process.stdout.write(values.json ? `${matrixJson(result.cells)}\n` : `${planTable(result.cells, loadCatalog(), result.publish, result.config.linux)}\n`);
    return 0;
  }
  const { runCliCommand } = await import('./adapters/cli-commands.js');
  return runCliCommand(command, values, { workingDirectory, configPath, reporter, verbose });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const failure = describeFailure(error);
    if (failure.usage) process.stderr.write(`native-matrix: ${failure.problems[0]!.message}\n\n${USAGE}\n`);
    else new TerminalReporter().failure(failure);
    process.exitCode = failure.exitCode;
  },
);
