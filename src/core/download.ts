import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from './errors.js';
import { sha256File } from './hashing.js';

const ATTEMPTS = 4;

/**
 * Downloads `url` into the content-addressed store `dir/<sha256>` (or reuses
 * it), verifying the digest; network errors and 5xx are retried with backoff.
 */
export async function downloadVerified(url: string, sha256: string, dir: string, label: string): Promise<string> {
  const target = path.join(dir, `${sha256}${path.extname(new URL(url).pathname) || ''}`);
  if (existsSync(target) && (await sha256File(target)) === sha256) return target;
  await mkdir(dir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, { redirect: 'follow' });
      if (!response.ok) {
        const error = new Error(`HTTP ${response.status} ${response.statusText}`);
        if (response.status < 500 && response.status !== 429) throw Object.assign(error, { permanent: true });
        throw error;
      }
      const body = Buffer.from(await response.arrayBuffer());
      const actual = createHash('sha256').update(body).digest('hex');
      if (actual !== sha256) {
        throw new UserError({
          key: label,
          message: `${url} has sha256 ${actual}, not the expected ${sha256}`,
          fix: 'check the URL and the sha256 in the config (gmp.tarballs)',
        });
      }
      const partial = `${target}.partial-${process.pid}`;
      await writeFile(partial, body);
      await rename(partial, target);
      return target;
    } catch (error) {
      if (error instanceof UserError || (error as { permanent?: boolean }).permanent) {
        if (error instanceof UserError) throw error;
        lastError = error;
        break;
      }
      lastError = error;
      if (attempt < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
  await rm(`${target}.partial-${process.pid}`, { force: true });
  throw new UserError({
    key: label,
    message: `could not download ${url}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    fix: 'check the network, or point gmp.tarballs at a reachable copy (with its sha256)',
  });
}
