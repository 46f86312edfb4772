import { formatProblem, type Failure, type Problem } from '../errors.js';
import type { Reporter } from '../reporter.js';

/** The CLI's reporter: progress and warnings on stderr, so stdout stays the result. */
export class TerminalReporter implements Reporter {
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}

  info(message: string): void {
    this.stream.write(`${message}\n`);
  }

  warning(problem: Problem): void {
    this.stream.write(`warning: ${formatProblem(problem)}\n`);
  }

  async group<T>(title: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.stream.write(`==> ${title}\n`);
    try {
      return await work();
    } finally {
      this.stream.write(`<== ${title} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  }

  error(problem: Problem): void {
    this.stream.write(`error: ${formatProblem(problem)}\n`);
  }

  /** What a failed command prints last (see describeFailure). */
  failure(failure: Failure): void {
    failure.problems.forEach((problem) => this.error(problem));
    if (failure.internal) this.stream.write(`${failure.internal}\n`);
  }
}
