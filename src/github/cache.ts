import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { cacheKey } from '../core/cache.js';
import { lockEntry, type EntryLock } from '../core/entry-lock.js';

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
 * The paths of native-matrix's directory in the action's cache: every entry
 * but the ones `left out` (the compiled builds, which have a cache of their
 * own) and the entry locks. @actions/cache keys an entry by its path
 * patterns, which are the same on every run, and reads nothing it saves
 * through anything but the file system, so nothing is moved or linked.
 */
export const cacheRootPatterns = (root: string, leftOut: readonly string[]): string[] => [path.join(root, '*'), ...leftOut.map((name) => `!${path.join(root, name)}`), `!${path.join(root, '*.lock')}`];

/**
 * Where some entries of a directory are staged for a save of their own, and
 * land on a restore: the compiled builds saved are a changing set of
 * directories, which no fixed path pattern names, so they are staged as a
 * sibling directory of hard links. Nothing is moved out of the directory
 * itself, which other builds on a self-hosted runner may be reading.
 */
export const stagingDir = (dir: string) => `${dir}.saved`;

/** Hard links of the tree at `from` at `to` (copies where the file system refuses a link). */
async function linkTree(from: string, to: string): Promise<void> {
  const stats = await lstat(from);
  if (stats.isDirectory()) {
    await mkdir(to, { recursive: true });
    for (const name of await readdir(from)) await linkTree(path.join(from, name), path.join(to, name));
  } else if (stats.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else {
    await link(from, to).catch(() => copyFile(from, to));
  }
}

/**
 * Restores a cache saved by `saveOnly` into `dir`: an entry already in
 * `dir` is kept (a self-hosted runner's own), a restored one is moved in.
 */
export async function restoreInto(dir: string, key: string, restoreKeys: string[]): Promise<string | undefined> {
  const staged = stagingDir(dir);
  // The staging path is fixed (the cache service keys entries by their paths): one job of a machine at a time uses it.
  const lock = await lockEntry(staged);
  try {
    await rm(staged, { recursive: true, force: true });
    const restored = await restoreBuildCache([staged], key, restoreKeys);
    if (existsSync(staged)) {
      await mkdir(dir, { recursive: true });
      for (const name of await readdir(staged)) {
        if (!existsSync(path.join(dir, name))) await rename(path.join(staged, name), path.join(dir, name));
      }
    }
    return restored;
  } catch (error) {
    core.warning(`native-matrix: cache restore failed, building without it: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  } finally {
    await rm(staged, { recursive: true, force: true }).catch(() => undefined);
    await lock.release().catch(() => undefined);
  }
}

/**
 * Saves the entries `keep` of `dir` (and `otherPaths` whole) under `key`,
 * for `restoreInto`. Like every cache step it only costs time when it
 * fails: the build it follows stands.
 */
export async function saveOnly(dir: string, keep: (name: string) => boolean, key: string): Promise<void> {
  const staged = stagingDir(dir);
  let lock: EntryLock | undefined;
  try {
    lock = await lockEntry(staged);
    await rm(staged, { recursive: true, force: true });
    await mkdir(staged, { recursive: true });
    const names = existsSync(dir) ? (await readdir(dir)).filter(keep) : [];
    for (const name of names) await linkTree(path.join(dir, name), path.join(staged, name));
    await saveBuildCache([staged], key);
  } catch (error) {
    core.info(`native-matrix: cache not saved: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await rm(staged, { recursive: true, force: true }).catch(() => undefined);
    await lock?.release().catch(() => undefined);
  }
}

/**
 * The key of the compiled builds' cache (the cargo target directories of
 * a cell): `prefix` names what they may be reused for, and the suffix the
 * directories saved, so that a run whose builds are the ones restored saves
 * nothing, and one that made others saves them under a key of their own.
 */
export const compiledBuildsKey = (prefix: string, directories: readonly string[]) => `${prefix}${cacheKey({ directories: [...directories].sort() })}`;
