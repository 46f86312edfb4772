import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

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
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A short, stable key for a set of inputs: everything in them counts, however deep. */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(parts)).digest('hex').slice(0, 16);
}

/**
 * Returns `dir`, filling it with `fill` when it is absent or incomplete. The
 * entry is filled in place (virtual environments and `make install` prefixes
 * record their own path) and marked complete only at the end, so an
 * interrupted run leaves nothing that a later run trusts.
 */
export async function cachedDirectory(dir: string, fill: (dir: string) => Promise<void>): Promise<{ dir: string; hit: boolean }> {
  const marker = path.join(dir, COMPLETE_MARKER);
  if (existsSync(marker)) return { dir, hit: true };
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await fill(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await writeFile(marker, new Date().toISOString());
  return { dir, hit: false };
}

const COMPLETE_MARKER = '.native-matrix-complete';
