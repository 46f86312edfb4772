import * as cache from '@actions/cache';
import * as core from '@actions/core';

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
