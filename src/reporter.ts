import type { Problem } from './errors.js';

/**
 * How the engine speaks to its user. The GitHub adapter turns this into log
 * groups and annotations; the terminal adapter into stderr lines.
 */
export interface Reporter {
  info(message: string): void;
  warning(problem: Problem): void;
  /** Runs `work` as one titled, timed section of the log. */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
}
