import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, sha256File, smokeAndTestPassed, type Manifest, type ManifestFile } from '../stages/manifest.js';
import { UserError, type Problem } from '../errors.js';
import { ARTIFACT_PREFIX } from '../github/artifacts.js';
import type { Cell } from '../plan/types.js';

/** A verified file, ready to publish. */
export interface ReleaseFile extends ManifestFile {
  readonly path: string;
  readonly cellId: string;
}

export interface Gathered {
  readonly manifests: readonly Manifest[];
  readonly files: readonly ReleaseFile[];
  /** Experimental cells that are missing or failed: left out, with a warning. */
  readonly leftOut: readonly Problem[];
}

/**
 * Reads every cell's directory under `fromDir` (`<cell id>/` from the CLI,
 * `native-matrix-<cell id>/` from downloaded artifacts) and checks it against
 * the plan: every planned cell present, every smoke test passed, every file's
 * size and sha256 as its manifest says, and no two files with one name.
 * Every problem is reported at once; nothing is published when there is one.
 */
export async function gatherCells(fromDir: string, planned: readonly Cell[]): Promise<Gathered> {
  if (!existsSync(fromDir)) {
    throw new UserError({ key: '--from', message: `${fromDir} does not exist`, fix: 'give the directory that `native-matrix run --out` or the build artifacts filled' });
  }
  const problems: Problem[] = [];
  const leftOut: Problem[] = [];
  const found = new Map<string, { dir: string; manifest: Manifest }>();
  for (const entry of await readdir(fromDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(fromDir, entry.name);
    const manifestPath = path.join(dir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) continue;
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    } catch (error) {
      problems.push({ key: manifestPath, message: `is not valid JSON: ${(error as Error).message}`, fix: 'rebuild the cell' });
      continue;
    }
    const id = manifest.cell?.id;
    const dirName = entry.name.startsWith(ARTIFACT_PREFIX) ? entry.name.slice(ARTIFACT_PREFIX.length) : entry.name;
    if (id !== dirName) {
      problems.push({ key: manifestPath, message: `describes cell ${id}, but lies in ${entry.name}/`, fix: 'keep each cell in the directory its build wrote' });
      continue;
    }
    found.set(id, { dir, manifest });
  }

  const plannedIds = new Set(planned.map((c) => c.id));
  for (const cell of planned) {
    const present = found.get(cell.id);
    const missing = !present;
    const failed = present && !present.manifest.ok;
    if (!missing && !failed) continue;
    const failures = present?.manifest.files.flatMap((f) => f.smoke.filter((s) => !smokeAndTestPassed(s)).map((s) => `${f.name} on ${s.python ? `Python ${s.python}` : 'its platform'}${s.passed ? ' (test.command)' : ''}`)) ?? [];
    const problem: Problem = missing
      ? { key: `cell ${cell.id}`, message: `is missing: no ${MANIFEST_FILE} in ${fromDir}/${cell.id}/ or ${fromDir}/${ARTIFACT_PREFIX}${cell.id}/`, fix: 'let its build job finish (or re-run it) before publishing' }
      : present?.manifest.error && failures.length === 0
        ? { key: `cell ${cell.id}`, message: `failed to build: ${present.manifest.error.split('\n')[0]}`, fix: 'fix the build and re-run it; a failing cell is never published' }
        : { key: `cell ${cell.id}`, message: `failed its smoke test: ${failures.join(', ') || 'see its manifest'}`, fix: 'fix the build and re-run it; a failing cell is never published' };
    (cell.experimental ? leftOut : problems).push(problem);
    if (cell.experimental) found.delete(cell.id);
  }
  for (const id of found.keys()) {
    if (!plannedIds.has(id)) problems.push({ key: `cell ${id}`, message: 'is not in the plan', fix: 'remove its directory, or publish with the same config and narrowing as the plan' });
  }

  const files: ReleaseFile[] = [];
  const owners = new Map<string, string>();
  // In plan order, so that reports read the same on every machine.
  for (const { id } of planned) {
    const cell = found.get(id);
    if (!cell || !cell.manifest.ok) continue;
    const { dir, manifest } = cell;
    for (const file of manifest.files) {
      if (path.basename(file.name) !== file.name || file.name.startsWith('.')) {
        problems.push({ key: path.join(dir, MANIFEST_FILE), message: `lists "${file.name}", which is not a plain file name`, fix: 'a manifest names files in its own directory only' });
        continue;
      }
      const filePath = path.join(dir, file.name);
      const owner = owners.get(file.name);
      if (owner) {
        problems.push({ key: file.name, message: `is produced by both cell ${owner} and cell ${id}`, fix: 'give each cell distinct outputs (for binaries, the platform id is part of the name)' });
        continue;
      }
      owners.set(file.name, id);
      if (!existsSync(filePath)) {
        problems.push({ key: filePath, message: 'is listed in the manifest but missing', fix: 'rebuild the cell, or restore the file' });
        continue;
      }
      const [size, sha256] = [(await stat(filePath)).size, await sha256File(filePath)];
      if (size !== file.size || sha256 !== file.sha256) {
        problems.push({ key: filePath, message: `has sha256 ${sha256} (${size} bytes), but its manifest says ${file.sha256} (${file.size} bytes)`, fix: 'the file changed after it was tested: rebuild the cell' });
        continue;
      }
      files.push({ ...file, path: filePath, cellId: id });
    }
  }
  if (problems.length > 0) throw new UserError(problems);
  files.sort((a, b) => a.name.localeCompare(b.name));
  return { manifests: planned.flatMap((c) => (found.has(c.id) ? [found.get(c.id)!.manifest] : [])), files, leftOut };
}

export const CHECKSUMS_FILE = 'SHA256SUMS';

/** `sha256sum -c` format: digest, two spaces, file name; sorted by name. */
export function checksumsText(files: readonly { name: string; sha256: string }[]): string {
  return [...files].sort((a, b) => a.name.localeCompare(b.name)).map((f) => `${f.sha256}  ${f.name}\n`).join('');
}
