import { formatProblem, type Problem } from './errors.js';

/**
 * How the engine speaks to its user. The GitHub adapter turns this into log
 * groups and annotations; the terminal adapter into stderr lines, quiet by
 * default: a line per stage, the status lines and the warnings, the rest in
 * each cell's log file.
 */
export interface Reporter {
  /** A detail: in the log; on a quiet terminal, not shown. */
  info(message: string): void;
  /** A line that matters (a smoke result, a skipped cell): shown even when quiet. */
  status(message: string): void;
  warning(problem: Problem): void;
  /** Runs `work` as one titled, timed stage of the log (a collapsed group on GitHub). */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` as a top-level part of the run (a cell): a heading and a closing line, its stages within. */
  section<T>(title: string, work: () => Promise<T>): Promise<T>;
}

/** Runs `work` and then `end` with how it went and how long it took (`1.2 s`), whether it returned or threw. */
export async function timed<T>(work: () => Promise<T>, end: (failed: boolean, took: string) => void): Promise<T> {
  const started = performance.now();
  let failed = true;
  try {
    const result = await work();
    failed = false;
    return result;
  } finally {
    end(failed, `${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** How a stage or a section ended, for its closing line. */
export const ending = (failed: boolean, section: boolean) => (failed ? 'failed after' : section ? 'done in' : 'in');

/**
 * A reporter that also writes everything into a cell's log file (`write`),
 * so that the file holds what a verbose run would have shown.
 */
export function teeReporter(reporter: Reporter, write: (text: string) => void): Reporter {
  const logged = <T>(title: string, work: () => Promise<T>): Promise<T> => {
    write(`==> ${title}\n`);
    return timed(work, (_failed, took) => write(`<== ${title} (${took})\n`));
  };
  return {
    info(message) {
      write(`${message}\n`);
      reporter.info(message);
    },
    status(message) {
      write(`${message}\n`);
      reporter.status(message);
    },
    warning(problem) {
      write(`warning: ${formatProblem(problem)}\n`);
      reporter.warning(problem);
    },
    group: (title, work) => logged(title, () => reporter.group(title, work)),
    section: (title, work) => logged(title, () => reporter.section(title, work)),
  };
}
