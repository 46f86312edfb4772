import type { CommandRunner } from './process/runner.js';

/**
 * The fallback when the project is not a git checkout (an unpacked sdist, a
 * copied tree): 1980-01-01T00:00:00Z, the earliest time a zip entry can
 * hold. The newest file time would look friendlier but changes whenever the
 * tree is copied or unpacked, and then two builds of the same sources differ.
 */
export const FALLBACK_SOURCE_DATE_EPOCH = 315532800;

export interface SourceDate {
  /** Seconds since the epoch, for SOURCE_DATE_EPOCH. */
  readonly epoch: number;
  /** Where it came from, for the log. */
  readonly from: 'environment' | 'git' | 'fallback';
}

/**
 * SOURCE_DATE_EPOCH for a build (https://reproducible-builds.org/specs/source-date-epoch/):
 * the caller's own value when set, else the commit time of the checkout that
 * holds `projectDir`, else the fixed fallback. maturin, setuptools/wheel,
 * auditwheel and delvewheel date the files they write with it, and the
 * binary archives use it, so two builds of one commit give the same bytes.
 */
export async function sourceDateEpoch(runner: CommandRunner, projectDir: string, env: NodeJS.ProcessEnv): Promise<SourceDate> {
  const given = env.SOURCE_DATE_EPOCH?.trim();
  if (given && /^\d+$/.test(given)) return { epoch: Number(given), from: 'environment' };
  const result = await runner.run('git', ['log', '-1', '--format=%ct'], { cwd: projectDir, quiet: true, allowFailure: true, purpose: 'git log (the commit time)' });
  const seconds = result.stdout.trim();
  if (result.exitCode === 0 && /^\d+$/.test(seconds)) return { epoch: Number(seconds), from: 'git' };
  return { epoch: FALLBACK_SOURCE_DATE_EPOCH, from: 'fallback' };
}
