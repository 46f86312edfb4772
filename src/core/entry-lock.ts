import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

// The cross-process lock of a cache entry: builds on one machine (two jobs
// of a self-hosted runner, two terminals) share native-matrix's cache.

/** How long a build waits for another process to fill an entry (a GMP build, a toolchain download) before it gives up. */
const ENTRY_WAIT_SECONDS = 60 * 60;

/** A held lock: `lost` turns true when another process took it over (this one was too slow to refresh it, or its directory went). */
export interface EntryLock {
  release(): Promise<void>;
  readonly lost: boolean;
}

/**
 * Takes the cross-process lock of an entry (`<dir>.lock`, made with mkdir,
 * which is atomic everywhere), waiting while another process holds it. The
 * holder refreshes it; one not refreshed for five minutes (its holder died)
 * is taken over.
 */
export async function lockEntry(dir: string): Promise<EntryLock> {
  await mkdir(path.dirname(dir), { recursive: true });
  const state = { lost: false };
  const release = await lockfile.lock(dir, {
    lockfilePath: `${dir}.lock`,
    realpath: false,
    stale: 5 * 60_000,
    // Not fatal: the holder finishes its work, and the caller leaves unrecorded what it cannot vouch for.
    onCompromised: () => {
      state.lost = true;
    },
    retries: { retries: ENTRY_WAIT_SECONDS, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
  });
  return {
    release: () => (state.lost ? Promise.resolve() : release()),
    get lost() {
      return state.lost;
    },
  };
}
