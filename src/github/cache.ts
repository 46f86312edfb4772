import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { cacheKey } from '../core/cache.js';

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

/**
 * Runs `work` (a cache save) with only the entries `keep` of `dir` in it:
 * the others are moved beside it for the while and put back afterwards
 * (a rename each, however large), also when a move fails half-way.
 * @actions/cache cannot leave a directory out of a path it saves (its `!`
 * patterns exclude nothing inside one).
 */
export async function withOnly<T>(dir: string, keep: (name: string) => boolean, work: () => Promise<T>): Promise<T> {
  const aside = `${dir}.aside`;
  const moved: string[] = [];
  try {
    await rm(aside, { recursive: true, force: true });
    const names = existsSync(dir) ? (await readdir(dir)).filter((name) => !keep(name)) : [];
    if (names.length > 0) await mkdir(aside, { recursive: true });
    for (const name of names) {
      await rename(path.join(dir, name), path.join(aside, name));
      moved.push(name);
    }
    return await work();
  } finally {
    for (const name of moved) await rename(path.join(aside, name), path.join(dir, name)).catch(() => undefined);
    await rm(aside, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Saves `paths` under `key` with only the entries `keep` of `dir` in them.
 * Like every cache step it only costs time when it fails (a file held open,
 * a rename refused): the build it follows stands.
 */
export async function saveOnly(dir: string, keep: (name: string) => boolean, paths: string[], key: string): Promise<void> {
  try {
    await withOnly(dir, keep, () => saveBuildCache(paths, key));
  } catch (error) {
    core.info(`native-matrix: cache not saved: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The key of the compiled builds' cache (the cargo target directories of
 * a cell): `prefix` names what they may be reused for, and the suffix the
 * directories saved, so that a run whose builds are the ones restored saves
 * nothing, and one that made others saves them under a key of their own.
 */
export const compiledBuildsKey = (prefix: string, directories: readonly string[]) => `${prefix}${cacheKey({ directories: [...directories].sort() })}`;
