import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { lockEntry } from './entry-lock.js';
import type { Problem } from './errors.js';

/**
 * native-matrix's own cache: tool environments and from-source GMP builds,
 * each in a directory named by a hash of everything that shaped it. The
 * GitHub adapter saves and restores the root with @actions/cache.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NATIVE_MATRIX_CACHE) return path.resolve(env.NATIVE_MATRIX_CACHE);
  // LOCALAPPDATA is Windows's per-user cache location; elsewhere it is unset.
  const base = env.XDG_CACHE_HOME || env.LOCALAPPDATA || path.join(homedir(), '.cache');
  return path.join(base, 'native-matrix');
}

/** JSON with object keys sorted at every depth, so equal inputs always serialise alike. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short, stable key for a set of inputs: everything in them counts, however deep. */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(parts)).digest('hex').slice(0, 16);
}

/**
 * Returns `dir`, filling it with `fill` when it is absent, incomplete or not
 * what was recorded. The entry is filled in place (virtual environments and
 * `make install` prefixes record their own path) and its record (the sha256
 * of every file) written only at the end, so an interrupted run leaves
 * nothing that a later run trusts. A restored entry is checked against its
 * record before use: one that changed is discarded and rebuilt, and
 * `discarded` says why (for a warning).
 */
export async function cachedDirectory(dir: string, fill: (dir: string) => Promise<void>, { recordLater = false } = {}): Promise<{ dir: string; hit: boolean; discarded?: string }> {
  // A record still being written (recordLater) is finished first.
  await recording.get(dir);
  // Another build on this machine (a second job of a self-hosted runner) may
  // be filling the same entry: it is filled by one process at a time, and
  // the others wait and then find it complete.
  const lock = await lockEntry(dir);
  let releaseLater = false;
  try {
    const problem = existsSync(dir) ? await checkTree(dir) : 'absent';
    if (problem === undefined) return { dir, hit: true };
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await fill(dir);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    // Another process took the entry over while this one filled it: the fill is used, but not recorded, so the next run fills it again.
    if (lock.lost) return { dir, hit: false };
    if (recordLater) {
      // Hashing a large entry (zig's tens of thousands of files) takes seconds
      // that the entry's first user need not wait for: the record is written
      // beside the build, and `recordsWritten` waits for it before the cache
      // is kept. Without a record (the process ended first), the next run fills it again.
      const done = recordTree(dir)
        .catch(() => undefined)
        .finally(() => {
          recording.delete(dir);
          return lock.release().catch(() => undefined);
        });
      recording.set(dir, done);
      releaseLater = true;
    } else {
      await recordTree(dir);
    }
    return { dir, hit: false, ...(problem === 'absent' ? {} : { discarded: `${dir}: ${problem}` }) };
  } finally {
    if (!releaseLater) await lock.release().catch(() => undefined);
  }
}

/** Records being written in the background, by directory. */
const recording = new Map<string, Promise<void>>();

/** Resolves when every record that cachedDirectory writes in the background is written. */
export async function recordsWritten(): Promise<void> {
  while (recording.size > 0) await Promise.all(recording.values());
}

/** The record of a cached directory: the sha256 of every file (and the target of every link) in it. */
export const TREE_RECORD = '.native-matrix-complete';

/**
 * What this machine last proved the directory to be: the record's own sha256
 * and every file's size, times and inode. Writing a file, or restoring the
 * directory from a cache archive, changes its change time (which no program
 * can set back), so while none of them changed the sha256 of every file
 * (half a gigabyte of tools with zig) need not be computed again.
 */
export const TREE_VERIFIED = '.native-matrix-verified';

interface TreeRecord {
  readonly schema: 1;
  readonly files: Readonly<Record<string, string>>;
}

interface TreeVerified {
  readonly record: string;
  readonly files: Readonly<Record<string, string>>;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hashes the files it is given, a megabyte at a time: a worker thread's share of sha256Files. */
const DIGEST_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const buffer = Buffer.allocUnsafe(1 << 20);
const digest = (file) => {
  const fd = openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
};
parentPort.postMessage(workerData.map(digest));
`;

/**
 * The sha256 of each file, in order. Many small files are read and hashed in
 * worker threads, a share each: several times faster than one stream per
 * file on the event loop, which stays free meanwhile.
 */
async function sha256Files(files: readonly string[]): Promise<string[]> {
  const count = Math.min(4, availableParallelism(), Math.ceil(files.length / 256));
  if (count <= 1) {
    const digests: string[] = [];
    for (const file of files) digests.push(await sha256Of(file));
    return digests;
  }
  // Dealt round-robin: the large files of one directory are shared out.
  const shares = Array.from({ length: count }, (_, i) => files.filter((_, j) => j % count === i));
  const hashed = await Promise.all(
    shares.map(
      (share) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(DIGEST_WORKER, { eval: true, workerData: share });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`hashing worker exited with ${code}`))));
        }),
    ),
  );
  return files.map((_, j) => hashed[j % count]![Math.floor(j / count)]!);
}

/**
 * `relative path → describe(file)` for every file under `dir` (links by their
 * target, never followed), the records themselves left out, and
 * `__pycache__`: Python writes byte code there as it runs the tools and the
 * sysroot's interpreter, and checks it against its source itself.
 */
async function walkTree(dir: string, describe: (file: string) => Promise<string>, describeAll?: (files: readonly string[]) => Promise<string[]>): Promise<Record<string, string>> {
  const pending: { name: string; full: string; kind: 'link' | 'file' | 'special' }[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (name === TREE_RECORD || name === TREE_VERIFIED || entry.name === '__pycache__') continue;
      if (entry.isDirectory()) await walk(name);
      else pending.push({ name, full: path.join(dir, name), kind: entry.isSymbolicLink() ? 'link' : entry.isFile() ? 'file' : 'special' });
    }
  };
  await walk('');
  const found: Record<string, string> = {};
  if (describeAll) {
    const files = pending.filter((entry) => entry.kind === 'file');
    const described = await describeAll(files.map((entry) => entry.full));
    files.forEach((entry, i) => (found[entry.name] = described[i]!));
    pending.splice(0, pending.length, ...pending.filter((entry) => entry.kind !== 'file'));
  }
  // Tens of thousands of files (zig's library): described a bounded number at a time, not one by one.
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const { name, full, kind } = pending[next++]!;
      found[name] = kind === 'link' ? `link:${await readlink(full)}` : kind === 'file' ? await describe(full) : `special:${(await lstat(full)).mode}`;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `relative path → sha256` of every file under `dir`. */
export const treeDigests = (dir: string): Promise<Record<string, string>> => walkTree(dir, sha256Of, sha256Files);

/** `relative path → size, modification and change times, inode` of every file under `dir`. */
async function treeStats(dir: string): Promise<Record<string, string>> {
  return walkTree(dir, async (file) => {
    const stat = await lstat(file, { bigint: true });
    return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  });
}

const sha256Text = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes what was proved; `stats` are taken before the files were hashed, so a file written meanwhile is hashed again next time. */
async function writeVerified(dir: string, recordText: string, stats: Record<string, string>): Promise<void> {
  const verified: TreeVerified = { record: sha256Text(recordText), files: stats };
  // Only a shortcut: a directory it cannot be written to is hashed each time.
  await writeFile(path.join(dir, TREE_VERIFIED), `${JSON.stringify(verified)}\n`).catch(() => undefined);
}

/** Whether nothing under `dir` was written or restored since this machine last proved it against `recordText`. */
async function unchangedSinceVerified(dir: string, recordText: string): Promise<boolean> {
  let verified: TreeVerified;
  try {
    verified = JSON.parse(await readFile(path.join(dir, TREE_VERIFIED), 'utf8')) as TreeVerified;
  } catch {
    return false;
  }
  if (verified?.record !== sha256Text(recordText) || typeof verified.files !== 'object' || verified.files === null) return false;
  return stableStringify(await treeStats(dir)) === stableStringify(verified.files);
}

/** Records the sha256 of every file under `dir`, marking it complete and trusted. */
export async function recordTree(dir: string): Promise<void> {
  const stats = await treeStats(dir);
  const record: TreeRecord = { schema: 1, files: await treeDigests(dir) };
  const text = `${JSON.stringify(record)}\n`;
  await writeFile(path.join(dir, TREE_RECORD), text);
  await writeVerified(dir, text, stats);
}

/** Why `dir` is not what its record says (no record, a file changed, added or removed), or undefined when it is. */
export async function checkTree(dir: string): Promise<string | undefined> {
  let text: string;
  let record: TreeRecord;
  try {
    text = await readFile(path.join(dir, TREE_RECORD), 'utf8');
    record = JSON.parse(text) as TreeRecord;
  } catch {
    return 'no record of its files (incomplete, or written by an older native-matrix)';
  }
  if (record?.schema !== 1 || typeof record.files !== 'object' || record.files === null) return 'its record is not readable';
  if (await unchangedSinceVerified(dir, text)) return undefined;
  const stats = await treeStats(dir);
  const actual = await treeDigests(dir);
  const changed = Object.keys(actual).filter((name) => name in record.files && record.files[name] !== actual[name]);
  const added = Object.keys(actual).filter((name) => !(name in record.files));
  const removed = Object.keys(record.files).filter((name) => !(name in actual));
  const describe = (label: string, names: string[]) => (names.length > 0 ? [`${label} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`] : []);
  const problems = [...describe('changed:', changed), ...describe('added:', added), ...describe('removed:', removed)];
  if (problems.length > 0) return `not what was recorded when it was built (${problems.join('; ')})`;
  await writeVerified(dir, text, stats);
  return undefined;
}

/**
 * For a cache directory that another program fills (gmp-mpfr-sys's GMP
 * build): discards it unless it is what was recorded, and returns why.
 * Call `recordTree` after the program ran.
 */
export async function discardUnrecorded(dir: string): Promise<string | undefined> {
  if (!existsSync(dir)) return undefined;
  const problem = await checkTree(dir);
  if (problem === undefined) return undefined;
  await rm(dir, { recursive: true, force: true });
  return `${dir}: ${problem}`;
}

/** The warning for a cache entry that was discarded. */
export function discardedWarning(discarded: string): Problem {
  return { key: 'cache', message: `discarded and rebuilt ${discarded}`, fix: 'nothing, if a run was interrupted; otherwise find out what changed the cache, which a build never should' };
}
