import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../core/hashing.js';
import { checksumsText } from './checksums.js';
import type { ReleaseFile } from './gather.js';
import { CHECKSUMS_FILE } from '../core/names.js';

/** Inside it: the files under `dist/` (what the upload takes), their sums beside. */
export const PYPI_DIST_DIR = 'dist';

/** What PyPI takes of a release: the wheels and the sdist, not binaries' archives. */
export const pypiFiles = (files: readonly ReleaseFile[]): ReleaseFile[] => files.filter((f) => f.kind === 'wheel' || f.kind === 'sdist');

/**
 * Copies the verified distributions into `dir/dist/` and writes
 * `dir/SHA256SUMS` for them, each copy hashed again against the sum that
 * publish verified: the pypi job checks every file against this list before
 * it uploads anything.
 */
export async function stagePypiFiles(files: readonly ReleaseFile[], dir: string): Promise<string[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, PYPI_DIST_DIR), { recursive: true });
  for (const file of files) {
    const copy = path.join(dir, PYPI_DIST_DIR, file.name);
    await copyFile(file.path, copy);
    const sha256 = await sha256File(copy);
    if (sha256 !== file.sha256) throw new Error(`${file.name} changed while being staged for PyPI (sha256 ${sha256}, verified ${file.sha256})`);
  }
  await writeFile(path.join(dir, CHECKSUMS_FILE), checksumsText(files));
  return files.map((f) => f.name);
}
