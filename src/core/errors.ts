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

/** At most this many problems are shown; the rest are counted ("… and N more"). */
export const MAX_SHOWN_PROBLEMS = 20;

const moreProblems = (more: number): Problem => ({ message: `… and ${more} more ${more === 1 ? 'problem' : 'problems'}`, fix: 'fix the ones above and run again' });

/** The first `max` problems, and one that counts the others and the `more` not listed. */
export function capProblems(problems: readonly Problem[], more = 0, max = MAX_SHOWN_PROBLEMS): readonly Problem[] {
  const hidden = more + Math.max(0, problems.length - max);
  return hidden > 0 ? [...problems.slice(0, max), moreProblems(hidden)] : problems;
}

/**
 * Collects problems, but builds (and locates in the file) only the first
 * `max`: a config with 100,000 bad entries is reported as fast as one with 20.
 */
export class ProblemList {
  private readonly shown: Problem[] = [];
  private more = 0;

  constructor(private readonly max = MAX_SHOWN_PROBLEMS) {}

  add(problem: () => Problem): void {
    if (this.shown.length < this.max) this.shown.push(problem());
    else this.more++;
  }

  get length(): number {
    return this.shown.length + this.more;
  }

  /** Throws a UserError with every problem shown and the others counted, if there are any. */
  throwIfAny(): void {
    if (this.length === 0) return;
    throw new UserError(this.shown, this.more);
  }
}

/**
 * A piece of a user's file or input as a message may quote it: its first
 * token, clipped, so that an error never echoes a file's content.
 */
export function clip(text: string, max = 40): string {
  const trimmed = text.trim();
  const token = trimmed.split(/\s/, 1)[0]!.slice(0, max);
  return token.length < trimmed.length ? `${token}…` : token;
}

// Errors are recognised by a brand rather than by class identity: the action's
// build and publish steps run in a bundle of their own, with their own copy
// of these classes.
const USER_ERROR = Symbol.for('native-matrix.user-error');
const USAGE_ERROR = Symbol.for('native-matrix.usage-error');

/**
 * A failure of the user's project or inputs (exit code 1). Carries every
 * problem found, so that one run reports them all.
 */
export class UserError extends Error {
  readonly problems: readonly Problem[];
  readonly [USER_ERROR] = true;

  /** `more`: problems found but not built (see ProblemList), only counted. */
  constructor(
    problems: Problem | readonly Problem[],
    readonly more = 0,
  ) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(capProblems(list, more).map(formatProblem).join('\n'));
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
  readonly [USAGE_ERROR] = true;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Whatever an entry point caught, as its user should see it. */
export interface Failure {
  /** 1: the project or its inputs; 2: the command line. */
  readonly exitCode: 1 | 2;
  /** What to show, capped (see capProblems). */
  readonly problems: readonly Problem[];
  /** A usage error: show the usage text too. */
  readonly usage: boolean;
  /** Not the user's fault: a defect of native-matrix, to be reported with its stack. */
  readonly internal?: string;
}

const branded = (error: unknown, brand: symbol): boolean => typeof error === 'object' && error !== null && brand in error;

// What a file-system error means to the user whose path it names.
const FS_ERRORS: Record<string, { message: string; fix: string }> = {
  EISDIR: { message: 'is a directory, not a file', fix: 'give the path of a file' },
  ENOTDIR: { message: 'is not a directory (or a part of it is a file)', fix: 'give the path of a directory' },
  EEXIST: { message: 'already exists and is not a directory', fix: 'give the path of a directory, or remove the file' },
  ENOENT: { message: 'does not exist', fix: 'check the path' },
  EACCES: { message: 'cannot be accessed: permission denied', fix: 'check its permissions' },
  EPERM: { message: 'cannot be accessed: operation not permitted', fix: 'check its permissions' },
  ENOSPC: { message: 'cannot be written: no space left on the device', fix: 'free some disk space' },
  EROFS: { message: 'cannot be written: the file system is read-only', fix: 'give a writable location' },
};

/**
 * Turns any thrown value into one clear failure: every entry point (the CLI,
 * the action's steps) reports through this, so that none shows a user a
 * stack trace for a problem of theirs.
 */
export function describeFailure(error: unknown): Failure {
  if (branded(error, USER_ERROR)) return { exitCode: 1, problems: capProblems((error as UserError).problems, (error as UserError).more), usage: false };
  if (branded(error, USAGE_ERROR)) return { exitCode: 2, problems: [{ message: (error as Error).message }], usage: true };
  const system = error as NodeJS.ErrnoException;
  const known = typeof system?.code === 'string' && typeof system.path === 'string' ? FS_ERRORS[system.code] : undefined;
  if (known) return { exitCode: 1, problems: [{ key: system.path, message: known.message, fix: known.fix }], usage: false };
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: 1,
    problems: [{ message: `internal error: ${message}`, fix: 'this is a defect of native-matrix: please report it with this log' }],
    usage: false,
    internal: error instanceof Error ? error.stack : undefined,
  };
}
