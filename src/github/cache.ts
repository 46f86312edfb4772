import * as cache from '@actions/cache';
import * as core from '@actions/core';

/**
 * Whether this run's files may be released: a tag push, a release event, or a
 * plan that publishes (a manual dispatch that asks to). What such a run
 * bundles must not come from another branch's cache.
 */
export function isReleaseRun(env: NodeJS.ProcessEnv, planPublishes: boolean): boolean {
  return planPublishes || env.GITHUB_EVENT_NAME === 'release' || (env.GITHUB_REF ?? '').startsWith('refs/tags/');
}

/**
 * The restore keys after the exact key: a release run takes its exact key
 * only; any other run may start from the newest entry of the platform.
 */
export function restoreKeysFor(prefix: string, releaseRun: boolean): string[] {
  return releaseRun ? [] : [prefix];
}

/**
 * Restores native-matrix's cache (GMP built from source, gmp-mpfr-sys's
 * build, the tool environments) before a build and saves it afterwards.
 * A cache service that fails only costs time, never the build.
 */
export async function restoreBuildCache(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined> {
  try {
    return await cache.restoreCache(paths, key, restoreKeys);
  } catch (error) {
    core.warning(`native-matrix: cache restore failed, building without it: ${(error as Error).message}`);
    return undefined;
  }
}

export async function saveBuildCache(paths: string[], key: string): Promise<void> {
  try {
    await cache.saveCache(paths, key);
  } catch (error) {
    core.info(`native-matrix: cache not saved: ${(error as Error).message}`);
  }
}
