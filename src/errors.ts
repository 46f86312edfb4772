/** Where in a user's file a problem was found. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/** One problem in the user's project or inputs: what, where, and the fix. */
export interface Problem {
  readonly location?: SourceLocation;
  /** Dotted key path (`matrix.python`) or input name (`input platforms`). */
  readonly key?: string;
  readonly message: string;
  readonly fix?: string;
}

/** Renders a problem as `file:line: key: message; fix`. */
export function formatProblem(problem: Problem): string {
  const where = problem.location ? `${problem.location.file}:${problem.location.line}: ` : '';
  const key = problem.key ? `${problem.key}: ` : '';
  const fix = problem.fix ? `; ${problem.fix}` : '';
  return `${where}${key}${problem.message}${fix}`;
}

/**
 * A failure of the user's project or inputs (exit code 1). Carries every
 * problem found, so that one run reports them all.
 */
export class UserError extends Error {
  readonly problems: readonly Problem[];

  constructor(problems: Problem | readonly Problem[]) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
  }
}

/**
 * A cell this host cannot build (another OS or arch without a cross path, or
 * a cross build whose target Pythons the system cannot provide): `run` skips
 * it with the reason, `build` fails with it.
 */
export class CannotBuildHereError extends UserError {
  constructor(
    platform: { readonly id: string; readonly runner: string },
    readonly reason: string,
  ) {
    super({ key: `platform ${platform.id}`, message: `cannot be built on this machine: ${reason}`, fix: `build it on its runner (${platform.runner})` });
    this.name = 'CannotBuildHereError';
  }
}

/** A command line that cannot be understood (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}
