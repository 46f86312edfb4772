import { CommandFailed, type CommandRecord, type CommandRunner, type RunOptions, type RunResult } from '../../src/core/process/runner.js';

type Script = (record: CommandRecord & { options: RunOptions }) => Partial<RunResult> | undefined | Promise<Partial<RunResult> | undefined>;

/**
 * Records every command and answers from a script (default: success, no
 * output). A failed answer throws unless the command allows failure, as the
 * real runner does.
 */
export class FakeRunner implements CommandRunner {
  readonly commands: (CommandRecord & { options: RunOptions })[] = [];
  constructor(private readonly script: Script = () => undefined) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const record = { file, args: [...args], cwd: options.cwd, env: options.env, options };
    this.commands.push(record);
    const answer = (await this.script(record)) ?? {};
    const result = { exitCode: 0, stdout: '', stderr: '', all: '', seconds: 0, ...answer };
    if (result.exitCode !== 0 && !options.allowFailure) throw new CommandFailed(record, result, options.purpose);
    return result;
  }

  /** The commands as `file arg arg …` lines, for readable assertions. */
  lines(): string[] {
    return this.commands.map((c) => [c.file, ...c.args].join(' '));
  }
}
