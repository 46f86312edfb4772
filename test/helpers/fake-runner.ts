import type { CommandRecord, CommandRunner, RunOptions, RunResult } from '../../src/process/runner.js';

type Script = (record: CommandRecord & { options: RunOptions }) => Partial<RunResult> | undefined | Promise<Partial<RunResult> | undefined>;

/** Records every command and answers from a script (default: success, no output). */
export class FakeRunner implements CommandRunner {
  readonly commands: (CommandRecord & { options: RunOptions })[] = [];
  constructor(private readonly script: Script = () => undefined) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const record = { file, args: [...args], cwd: options.cwd, env: options.env, options };
    this.commands.push(record);
    const answer = (await this.script(record)) ?? {};
    return { exitCode: 0, stdout: '', stderr: '', all: '', seconds: 0, ...answer };
  }

  /** The commands as `file arg arg …` lines, for readable assertions. */
  lines(): string[] {
    return this.commands.map((c) => [c.file, ...c.args].join(' '));
  }
}
