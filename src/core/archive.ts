import { createWriteStream } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { UserError } from './errors.js';

/** The two modes an archived file may have: whether anyone may execute it decides, not the umask. */
const fileMode = (mode: number) => (mode & 0o111 ? 0o755 : 0o644);

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(entries.map((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : Promise.resolve([path.relative(base, path.join(dir, e.name))]))));
  return files.flat().sort();
}

/**
 * A zip entry's DOS time is read from a Date's local-time fields: shift the
 * instant so that they show UTC, and the archive is the same in every time zone.
 */
export function dosTime(epochSeconds: number): Date {
  const instant = new Date(epochSeconds * 1000);
  return new Date(instant.getTime() + instant.getTimezoneOffset() * 60_000);
}

/** A zip entry held in memory: its name, content, unix mode (0 when it has none) and whether it is compressed. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly mode: number;
  readonly compress: boolean;
}

/**
 * Writes `entries` as a zip in their order, reproducibly: every time
 * `epochSeconds` (SOURCE_DATE_EPOCH), no extra fields.
 */
export async function writeZip(entries: readonly ZipEntry[], zipPath: string, epochSeconds: number): Promise<void> {
  const zip = new yazl.ZipFile();
  const mtime = dosTime(epochSeconds);
  for (const entry of entries) {
    const options = { mtime, ...(entry.mode ? { mode: entry.mode } : {}), forceDosTimestamp: true };
    if (entry.name.endsWith('/')) zip.addEmptyDirectory(entry.name, options);
    else zip.addBuffer(entry.data, entry.name, { ...options, compress: entry.compress });
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.on('error', reject).pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject);
  });
}

/** A zip's entries in order, with the content of those `wanted` (the others' left empty). */
export async function readZip(zipPath: string, wanted: (name: string) => boolean = () => true): Promise<ZipEntry[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(zipPath, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const entries: ZipEntry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        const base = { name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o177777, compress: entry.compressionMethod !== 0 };
        if (!wanted(entry.fileName) || entry.fileName.endsWith('/')) {
          entries.push({ ...base, data: Buffer.alloc(0) });
          return zip.readEntry();
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ ...base, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

/**
 * Zips `dir/top` as `top/…` into `zipPath`, reproducibly: sorted entries,
 * every time `epochSeconds` (SOURCE_DATE_EPOCH), modes 644 or 755, no extra fields.
 */
export async function zipDirectory(dir: string, top: string, zipPath: string, epochSeconds: number): Promise<void> {
  const entries: ZipEntry[] = [];
  for (const file of await listFiles(path.join(dir, top))) {
    const full = path.join(dir, top, file);
    const mode = (await stat(full)).mode;
    entries.push({ name: `${top}/${file.split(path.sep).join('/')}`, data: await readFile(full), mode: 0o100000 | fileMode(mode), compress: true });
  }
  await writeZip(entries, zipPath, epochSeconds);
}

/** Unzips every entry of `zipPath` under `dir`, refusing paths that would leave it. */
export async function unzipTo(zipPath: string, dir: string): Promise<void> {
  for (const entry of await readZip(zipPath)) {
    const target = path.resolve(dir, entry.name);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`unsafe path in archive: ${entry.name}`);
    if (entry.name.endsWith('/')) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, entry.data, { mode: entry.mode & 0o777 || 0o644 });
  }
}

/**
 * Tars and gzips `dir/top` as `top/…` into `tarPath`, reproducibly: sorted
 * entries, every time `epochSeconds` (SOURCE_DATE_EPOCH), modes 644 or 755,
 * no owners (`portable`), the same with every host's tar. `dir` is a staging
 * directory: its files' modes are normalised in place.
 */
export async function tarDirectory(dir: string, top: string, tarPath: string, epochSeconds: number): Promise<void> {
  const relative = await listFiles(path.join(dir, top));
  for (const file of relative) {
    const full = path.join(dir, top, file);
    // A link is archived as a link: its mode is not its own.
    const info = await lstat(full);
    if (!info.isSymbolicLink()) await chmod(full, fileMode(info.mode));
  }
  const files = relative.map((file) => `${top}/${file.split(path.sep).join('/')}`);
  await tar.create({ gzip: true, file: tarPath, cwd: dir, portable: true, mtime: new Date(epochSeconds * 1000), noDirRecurse: true }, files);
}

/**
 * Re-packs a source distribution made by its backend as `tarDirectory` packs
 * binaries: setuptools' sdist keeps each file's time of checkout, the owner's
 * name and the time of packing in the gzip header, so two runs of one commit
 * (a re-run release, another runner) would upload other bytes under the same
 * name, which PyPI and a published release refuse. The content and the one
 * top directory (`NAME-VERSION/`, as the sdist format requires) stay as built.
 */
export async function repackSdist(sdist: string, target: string, epochSeconds: number, scratch: string): Promise<void> {
  const name = path.basename(sdist);
  const stem = name.replace(/\.tar\.gz$/, '');
  // strict: an entry node-tar would skip (a link out of the tree, a device)
  // fails the build instead of leaving the published sdist short of it.
  await tar.extract({ file: sdist, cwd: scratch, strict: true }).catch((error: Error) => {
    throw new UserError({
      key: 'publish.sdist',
      message: `${name}, as the build backend made it, cannot be published the same way twice: ${error.message}`,
      fix: 'keep links in the sdist relative and inside the project, and leave devices and absolute paths out of it',
    });
  });
  const top = await readdir(scratch, { withFileTypes: true });
  if (top.length !== 1 || !top[0]!.isDirectory() || top[0]!.name !== stem) {
    throw new UserError({
      key: 'publish.sdist',
      message: `${name} holds ${top.map((e) => e.name).join(', ') || 'nothing'} at its top, not the one directory ${stem}/ its name calls for`,
      fix: 'build the sdist with a backend that follows the source distribution format (maturin ≥ 1, setuptools ≥ 69.3)',
    });
  }
  await tarDirectory(scratch, stem, target, epochSeconds);
}

/** Unpacks a .tar.gz into `dir`. */
export async function untarTo(tarPath: string, dir: string): Promise<void> {
  await tar.extract({ file: tarPath, cwd: dir });
}

/** Moves a file, copying when it crosses file systems (a tmpfs /tmp, another drive on Windows). */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}

/** Moves the one wheel a repair tool wrote into `repairedDir` to `outDir`, and returns its new path. */
export async function takeRepairedWheel(repairedDir: string, outDir: string, tool: string, input: string): Promise<string> {
  const wheels = (await readdir(repairedDir)).filter((name) => name.endsWith('.whl'));
  if (wheels.length !== 1) throw new Error(`${tool} wrote ${wheels.length} wheels for ${path.basename(input)}, not one`);
  const target = path.join(outDir, wheels[0]!);
  await moveFile(path.join(repairedDir, wheels[0]!), target);
  return target;
}
