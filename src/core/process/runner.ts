import { execa } from 'execa';
import { UserError } from '../errors.js';
import { failureLines } from './failure-lines.js';

/** Where a build cell's full output goes: every command line and all it printed. */
export interface CommandLog {
  write(text: string | Uint8Array): void;
  /** The file, named in a failure's message. */
  readonly path: string;
}

export interface RunOptions {
  readonly cwd?: string;
  /** Variables to set (undefined removes one); the rest of the environment is inherited unless `cleanEnv`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from an empty environment (plus `env`), e.g. for a smoke test that must not see the build's variables. */
  readonly cleanEnv?: boolean;
  readonly input?: string;
  /** Capture only; do not echo the output to the log (for commands whose output we parse). */
  readonly quiet?: boolean;
  /** Return the result of a failed command instead of throwing. */
  readonly allowFailure?: boolean;
  /** What the command is for, named in the error when it fails: "auditwheel repair". */
  readonly purpose?: string;
  /**
   * Run `file` as a command line the user wrote in the config (test.command,
   * build.before-build), through the system shell, on purpose: `args` must be
   * empty. Never for a command line built from anything else.
   */
  readonly userShellCommand?: boolean;
  /** The cell's log: the command line and its output are written there too (the output unless `quiet`). */
  readonly log?: CommandLog;
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved. */
  readonly all: string;
  readonly seconds: number;
}

export interface CommandRecord {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The one way the engine runs processes: argument arrays, never a shell
 * string, so no input can become a command. Tests substitute a fake to see
 * and script every command.
 */
export interface CommandRunner {
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** A word in single quotes for a POSIX shell, whatever it holds. */
export const posixQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** Quotes an argument for display in logs (never executed). */
export function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : posixQuote(arg);
}

export function displayCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(displayArg).join(' ');
}

/** A failed command: names what it was for, the command line, the lines of its output that say why, and where the rest is. */
export class CommandFailed extends UserError {
  constructor(
    readonly record: CommandRecord,
    readonly result: RunResult,
    purpose: string | undefined,
    logPath?: string,
  ) {
    const why = result.all.trim() ? failureLines(result.all).join('\n') : '';
    super({
      key: purpose ?? record.file,
      message: `\`${displayCommand(record.file, record.args)}\` exited with code ${result.exitCode}${why ? `:\n${why}\n` : ''}`,
      fix: logPath ? `its full output is in ${logPath}` : 'see the output above for the cause',
    });
  }
}

/**
 * The runner's secrets and command files stay in this process: build scripts
 * fetched from crates.io or PyPI (build.rs, PEP 517 backends) never see the
 * action's inputs (the GitHub token), the Actions runtime token or the OIDC
 * request, nor the files through which a step sets variables, PATH, outputs,
 * state or the summary of the job (GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY). Not a security boundary: a child
 * running as the same user can still read this process's environment from
 * /proc/<pid>/environ; it keeps them from being used by accident.
 */
const RUNNER_SECRET = /^(INPUT_|ACTIONS_RUNTIME_|ACTIONS_ID_TOKEN_|ACTIONS_RESULTS_URL$|ACTIONS_CACHE_URL$|GITHUB_TOKEN$|GITHUB_(ENV|PATH|OUTPUT|STATE|STEP_SUMMARY)$)/;
export function withoutRunnerSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !RUNNER_SECRET.test(name)));
}

/** Runs commands with execa, echoing each command line and its output to `log` (nothing, in quiet mode) and to the command's own log. */
export class ExecaRunner implements CommandRunner {
  constructor(
    private readonly log: NodeJS.WritableStream = process.stderr,
    private readonly onCommand?: (record: CommandRecord) => void,
  ) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (options.userShellCommand && args.length > 0) throw new Error('a user shell command is one command line, without separate arguments');
    const record: CommandRecord = { file, args, cwd: options.cwd, env: options.env };
    this.onCommand?.(record);
    const line = `$ ${options.userShellCommand ? file : displayCommand(file, args)}\n`;
    options.log?.write(line);
    if (!options.quiet) this.log.write(line);
    const started = performance.now();
    const env = options.cleanEnv ? { ...options.env } : { ...withoutRunnerSecrets(process.env), ...options.env };
    for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
    const subprocess = execa(file, args, {
      cwd: options.cwd,
      env: env as Record<string, string>,
      extendEnv: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      all: true,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
      shell: options.userShellCommand === true,
    });
    if (!options.quiet) {
      subprocess.all?.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        options.log?.write(chunk);
      });
    }
    const outcome = await subprocess;
    const result: RunResult = {
      exitCode: outcome.exitCode ?? (outcome.failed ? 127 : 0),
      stdout: String(outcome.stdout ?? ''),
      stderr: String(outcome.stderr ?? ''),
      all: String(outcome.all ?? '') || (outcome.failed && outcome.exitCode === undefined ? String(outcome.message ?? '') : ''),
      seconds: (performance.now() - started) / 1000,
    };
    if (result.exitCode !== 0 && !options.allowFailure) throw new CommandFailed(record, result, options.purpose, options.log?.path);
    return result;
  }
}

/**
 * A runner that gives every command of a build `variables` (SOURCE_DATE_EPOCH),
 * below the command's own; a clean environment (a smoke test) stays clean.
 */
export function withVariables(runner: CommandRunner, variables: Readonly<Record<string, string>>): CommandRunner {
  return {
    run: (file, args, options = {}) => runner.run(file, args, options.cleanEnv ? options : { ...options, env: { ...variables, ...options.env } }),
  };
}

/** A runner that writes every command and its output to `log` (a cell's log file) as well. */
export function withLog(runner: CommandRunner, log: CommandLog): CommandRunner {
  return { run: (file, args, options = {}) => runner.run(file, args, { log, ...options }) };
}

/** A stream that drops what it is given: the console of a quiet run. */
export const discard = { write: () => true } as unknown as NodeJS.WritableStream;
