import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

// The cross-process lock of a cache entry: builds on one machine (two jobs
// of a self-hosted runner, two terminals) share native-matrix's cache.

/** How long a build waits for another process to fill an entry (a GMP build, a toolchain download) before it gives up. */
const ENTRY_WAIT_SECONDS = 60 * 60;

/**
 * Takes the cross-process lock of an entry (`<dir>.lock`, made with mkdir,
 * which is atomic everywhere), waiting while another process holds it. A
 * lock whose holder died goes stale and is taken over.
 */
export async function lockEntry(dir: string): Promise<() => Promise<void>> {
  await mkdir(path.dirname(dir), { recursive: true });
  return lockfile.lock(dir, {
    lockfilePath: `${dir}.lock`,
    realpath: false,
    stale: 30_000,
    // A lock taken over (its directory removed, its holder too slow to refresh it) costs at worst a second fill; it never ends the build.
    onCompromised: () => undefined,
    retries: { retries: ENTRY_WAIT_SECONDS, factor: 1, minTimeout: 1000, maxTimeout: 1000 },
  });
}
