import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { smokeAndTestPassed, type Manifest, type ManifestFile } from '../stages/manifest.js';
import { ARTIFACT_PREFIX, CHECKSUMS_FILE, MANIFEST_FILE, RELEASE_MANIFEST_FILE } from '../core/names.js';
import { sha256File } from '../core/hashing.js';
import { UserError, type Problem } from '../core/errors.js';
import type { Cell } from '../plan/types.js';
import { checkManifest } from './manifest-schema.js';
import { byName } from './order.js';

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
 * the plan: every manifest valid, every planned cell present, every smoke
 * test passed, every file a regular file inside `fromDir` (never a link)
 * with the size and sha256 its manifest says, and no two files with one name.
 * Every problem is reported at once; nothing is published when there is one.
 */
export async function gatherCells(fromDir: string, planned: readonly Cell[], planDigest?: string): Promise<Gathered> {
  await checkFromDir(fromDir);
  const problems: Problem[] = [];
  const leftOut: Problem[] = [];
  const found = new Map<string, { dir: string; manifest: Manifest }>();
  // Cells whose manifest was refused: already reported, not missing as well.
  const refused = new Set<string>();
  const plannedIds = new Set(planned.map((c) => c.id));
  const duplicated = new Set<string>();
  for (const entry of await readdir(fromDir, { withFileTypes: true })) {
    const dir = path.join(fromDir, entry.name);
    const dirName = entry.name.startsWith(ARTIFACT_PREFIX) ? entry.name.slice(ARTIFACT_PREFIX.length) : entry.name;
    // Only what lies inside --from is read: a link could point anywhere. A link
    // that is no cell's directory (a convenience link of the user's) is left alone.
    if (entry.isSymbolicLink() && plannedIds.has(dirName)) {
      refused.add(dirName);
      problems.push({ key: dir, message: 'is a symbolic link', fix: `--from holds the cells' directories themselves; replace the link by the directory it points to` });
      continue;
    }
    if (!entry.isDirectory()) continue;
    const manifestPath = path.join(dir, MANIFEST_FILE);
    const manifestStat = await lstatOrUndefined(manifestPath);
    if (!manifestStat) continue;
    if (!manifestStat.isFile()) {
      refused.add(dirName);
      problems.push({ key: manifestPath, message: manifestStat.isSymbolicLink() ? 'is a symbolic link, not a regular file' : 'is not a regular file', fix: 'rebuild the cell' });
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(await readFile(manifestPath, 'utf8'));
    } catch (error) {
      refused.add(dirName);
      problems.push({ key: manifestPath, message: `is not valid JSON: ${(error as Error).message}`, fix: 'rebuild the cell' });
      continue;
    }
    const checked = checkManifest(data, manifestPath);
    if (!checked.manifest) {
      refused.add(dirName);
      problems.push(...checked.problems);
      continue;
    }
    // Checked for every field publish reads; the rest travels as written.
    const manifest = data as Manifest;
    const id = manifest.cell.id;
    if (id !== dirName) {
      refused.add(dirName);
      problems.push({ key: manifestPath, message: `describes cell ${id}, but lies in ${entry.name}/`, fix: 'keep each cell in the directory its build wrote' });
      continue;
    }
    // A cell of another plan (another run, other inputs) is never mixed into this release.
    if (planDigest && manifest.plan !== planDigest) {
      problems.push({
        key: manifestPath,
        message: `was built for plan ${manifest.plan ?? '(none recorded)'}, not this run's plan ${planDigest}`,
        fix: 'rebuild the cell in this workflow run (or with this plan.json)',
      });
      continue;
    }
    if (found.has(id) || duplicated.has(id)) {
      // Both `<id>/` and `native-matrix-<id>/`: which one was tested cannot be told.
      if (!duplicated.has(id))
        problems.push({ key: `cell ${id}`, message: `is in both ${fromDir}/${id}/ and ${fromDir}/${ARTIFACT_PREFIX}${id}/`, fix: 'keep only the directory of the build to publish' });
      duplicated.add(id);
      refused.add(id);
      found.delete(id);
      continue;
    }
    found.set(id, { dir, manifest });
  }

  for (const cell of planned) {
    const present = found.get(cell.id);
    const missing = !present;
    const failed = present && !present.manifest.ok;
    if ((!missing && !failed) || (missing && refused.has(cell.id))) continue;
    const failures =
      present?.manifest.files.flatMap((f) =>
        f.smoke.filter((s) => !smokeAndTestPassed(s)).map((s) => `${f.name} on ${s.python ? `Python ${s.python}` : 'its platform'}${s.passed ? ' (test.command)' : ''}`),
      ) ?? [];
    const problem: Problem = missing
      ? {
          key: `cell ${cell.id}`,
          message: `is missing: no ${MANIFEST_FILE} in ${fromDir}/${cell.id}/ or ${fromDir}/${ARTIFACT_PREFIX}${cell.id}/`,
          fix: 'let its build job finish (or re-run it) before publishing',
        }
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
      if (RESERVED_NAMES.has(file.name)) {
        problems.push({ key: path.join(dir, MANIFEST_FILE), message: `lists "${file.name}", a name publish writes itself`, fix: 'rename the file in the build' });
        continue;
      }
      const filePath = path.join(dir, file.name);
      const owner = owners.get(file.name);
      if (owner) {
        problems.push({ key: file.name, message: `is produced by both cell ${owner} and cell ${id}`, fix: 'give each cell distinct outputs (for binaries, the platform id is part of the name)' });
        continue;
      }
      owners.set(file.name, id);
      const fileStat = await lstatOrUndefined(filePath);
      if (!fileStat) {
        problems.push({ key: filePath, message: 'is listed in the manifest but missing', fix: 'rebuild the cell, or restore the file' });
        continue;
      }
      // A link to a file elsewhere is refused even when its bytes match: only regular files inside --from are published.
      if (!fileStat.isFile()) {
        problems.push({
          key: filePath,
          message: fileStat.isSymbolicLink() ? 'is a symbolic link, not a regular file' : 'is not a regular file',
          fix: 'put the file itself in the cell directory (rebuild the cell)',
        });
        continue;
      }
      const [size, sha256] = [fileStat.size, await sha256File(filePath)];
      if (size !== file.size || sha256 !== file.sha256) {
        problems.push({
          key: filePath,
          message: `has sha256 ${sha256} (${size} bytes), but its manifest says ${file.sha256} (${file.size} bytes)`,
          fix: 'the file changed after it was tested: rebuild the cell',
        });
        continue;
      }
      files.push({ ...file, path: filePath, cellId: id });
    }
  }
  if (problems.length > 0) throw new UserError(problems);
  files.sort(byName);
  return { manifests: planned.flatMap((c) => (found.has(c.id) ? [found.get(c.id)!.manifest] : [])), files, leftOut };
}

/** Files publish writes next to the cells: no cell may ship one of these names. */
const RESERVED_NAMES = new Set([CHECKSUMS_FILE, RELEASE_MANIFEST_FILE, MANIFEST_FILE]);

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** --from must be an existing directory (a link to one is followed: the user named it). */
async function checkFromDir(fromDir: string): Promise<void> {
  const fix = 'give the directory that `native-matrix run --out` or the build artifacts filled';
  let kind: string | undefined;
  try {
    const resolved = await realpath(fromDir);
    kind = (await lstat(resolved)).isDirectory() ? undefined : 'is a file, not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    kind =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a directory (a part of its path is a file)'
          : code === 'EACCES'
            ? 'cannot be read (permission denied)'
            : `cannot be read (${code ?? String(error)})`;
  }
  if (kind) throw new UserError({ key: '--from', message: `${fromDir} ${kind}`, fix });
}
