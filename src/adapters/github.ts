import * as core from '@actions/core';
import path from 'node:path';
import { describeFailure, formatProblem, type Problem } from '../errors.js';
import type { Reporter } from '../reporter.js';

/** The action's reporter: log groups, and annotations that point at file and line. */
export class GitHubReporter implements Reporter {
  info(message: string): void {
    core.info(message);
  }

  warning(problem: Problem): void {
    core.warning(formatProblem(problem), annotationFor(problem));
  }

  async group<T>(title: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    return core.group(title, async () => {
      try {
        return await work();
      } finally {
        core.info(`${title}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    });
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
