import * as core from '@actions/core';
import path from 'node:path';
import { describeFailure, formatProblem, type Problem } from '../core/errors.js';
import { ending, timed, type Reporter } from '../core/reporter.js';

/**
 * The action's reporter: one collapsed log group per stage, with its time on
 * a line outside the group; a cell is a heading (GitHub does not nest
 * groups); warnings and errors are annotations that point at file and line.
 */
export class GitHubReporter implements Reporter {
  info(message: string): void {
    core.info(message);
  }

  status(message: string): void {
    core.info(message);
  }

  warning(problem: Problem): void {
    core.warning(formatProblem(problem), annotationFor(problem));
  }

  group<T>(title: string, work: () => Promise<T>): Promise<T> {
    return timed(
      () => core.group(title, work),
      (failed, took) => core.info(`${title} ${ending(failed, false)} ${took}`),
    );
  }

  section<T>(title: string, work: () => Promise<T>): Promise<T> {
    core.info(title);
    return timed(work, (failed, took) => core.info(`${title}: ${ending(failed, true)} ${took}`));
  }
}

/** Annotation properties: file paths relative to the workspace, as GitHub expects. */
function annotationFor(problem: Problem): core.AnnotationProperties {
  if (!problem.location) return { title: 'native-matrix' };
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const absolute = path.resolve(problem.location.file);
  const relative = path.relative(workspace, absolute);
  return {
    title: 'native-matrix',
    file: relative.startsWith('..') ? absolute : relative,
    startLine: problem.location.line,
    ...(problem.location.column ? { startColumn: problem.location.column } : {}),
  };
}

/** Turns any thrown value into annotations and a failed step (see describeFailure). */
export function failStep(error: unknown): void {
  const { problems, internal } = describeFailure(error);
  for (const problem of problems) core.error(formatProblem(problem), annotationFor(problem));
  // A defect's stack goes to the log, not into an annotation.
  if (internal) core.info(internal);
  core.setFailed(`native-matrix failed: see the ${problems.length === 1 ? 'error' : 'errors'} above`);
}
