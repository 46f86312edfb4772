import { createLogUpdate } from 'log-update';
import { formatProblem, type Failure, type Problem } from '../core/errors.js';
import { ending, timed, type Reporter } from '../core/reporter.js';

export interface TerminalOptions {
  /** Stream every command's output, as well as the engine's details. */
  readonly verbose?: boolean;
  /** Keep a live progress line at the bottom (default: when the stream is a terminal). */
  readonly live?: boolean;
}

const DEFAULT_COLUMNS = 100;

/**
 * The terminal as the live line sees it: a pseudo-terminal whose size was
 * never set (a CI runner's, `script`'s) reports 0 columns, and a frame
 * wrapped at 0 columns is one character per line.
 */
function sizedTerminal(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  return {
    isTTY: true,
    get columns() {
      return stream.columns || DEFAULT_COLUMNS;
    },
    get rows() {
      return stream.rows || 24;
    },
    write: (chunk: string) => stream.write(chunk),
  } as unknown as NodeJS.WriteStream;
}

const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/**
 * The CLI's reporter, on stderr so that stdout stays the result. Quiet by
 * default: a heading per cell, one line per stage with its time, the status
 * lines and the warnings; the details and every command's output are in the
 * cell's log file. On a terminal, a live line shows the elapsed time and the
 * stage that runs now. `verbose` prints everything as it comes.
 */
export class TerminalReporter implements Reporter {
  private readonly open: string[] = [];
  private readonly started = performance.now();
  private readonly live?: ReturnType<typeof createLogUpdate>;
  private timer?: NodeJS.Timeout;
  private heading?: string;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly options: TerminalOptions = {},
  ) {
    const tty = (stream as NodeJS.WriteStream).isTTY === true;
    if ((options.live ?? tty) && !options.verbose) this.live = createLogUpdate(sizedTerminal(stream as NodeJS.WriteStream), { showCursor: true });
  }

  /** A permanent line, written above the live one. */
  private print(line: string): void {
    // A section's heading comes with its first line: a cell refused before any work shows none.
    if (this.heading !== undefined) {
      const heading = this.heading;
      this.heading = undefined;
      this.print(heading);
    }
    if (this.live) {
      this.live.persist(line);
      this.render();
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  private render(): void {
    if (!this.live) return;
    if (this.open.length === 0) {
      this.live.clear();
      return;
    }
    // One line, never wrapped: the live line is rewritten in place.
    const width = (this.stream as NodeJS.WriteStream).columns || DEFAULT_COLUMNS;
    this.live(`${clock(performance.now() - this.started)} ${this.open.join(' › ')}`.slice(0, width - 1));
  }

  private get indent(): string {
    return '  '.repeat(this.open.length);
  }

  info(message: string): void {
    if (this.options.verbose) this.print(message);
  }

  status(message: string): void {
    // Beside the stage lines of its cell.
    this.print(this.options.verbose || this.open.length === 0 ? message : `  ${message}`);
  }

  warning(problem: Problem): void {
    this.print(`warning: ${formatProblem(problem)}`);
  }

  section<T>(title: string, work: () => Promise<T>): Promise<T> {
    return this.run(title, work, true);
  }

  group<T>(title: string, work: () => Promise<T>): Promise<T> {
    return this.run(title, work, false);
  }

  /** A section is a heading and a closing line; a stage is one line when it ends. */
  private run<T>(title: string, work: () => Promise<T>, section: boolean): Promise<T> {
    if (this.options.verbose) this.print(`==> ${title}`);
    else if (section) this.heading = `${this.indent}${title}`;
    this.open.push(title);
    if (this.live && !this.timer) this.timer = setInterval(() => this.render(), 1000).unref();
    this.render();
    return timed(work, (failed, took) => {
      this.open.pop();
      if (this.options.verbose) this.print(`<== ${title} (${took})`);
      else if (section && this.heading !== undefined) this.heading = undefined;
      else this.print(`${this.indent}${section ? `${title}:` : title} ${ending(failed, section)} ${took}`);
      if (this.open.length === 0) this.stop();
    });
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.live?.clear();
  }

  error(problem: Problem): void {
    this.print(`error: ${formatProblem(problem)}`);
  }

  /** What a failed command prints last (see describeFailure). */
  failure(failure: Failure): void {
    this.stop();
    failure.problems.forEach((problem) => this.error(problem));
    if (failure.internal) this.print(failure.internal);
  }
}
