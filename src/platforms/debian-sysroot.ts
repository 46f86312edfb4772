import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import { sha256File } from '../core/hashing.js';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';

/**
 * A directory tree of Debian/Ubuntu packages of a foreign arch, unpacked from
 * the system's apt sources (`dpkg-deb -x`: nothing is installed or
 * configured), for an emulator to run and a cross compiler to build against.
 */

/** `Candidate: 3.11.2-6+deb12u9` of `apt-cache policy PACKAGE`, or undefined when apt has none. */
export function parseAptCandidate(output: string): string | undefined {
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(output)?.[1];
  return candidate && candidate !== '(none)' ? candidate : undefined;
}

/**
 * `apt-cache depends` output as a graph: each package block's (pre-)dependencies
 * among packages of `arch`. Virtual packages (`<…>`) and other arches (the
 * arch-independent perl, tzdata, … that the stdlib merely suggests using) are
 * left out: the interpreter never loads them.
 */
export function parseAptDepends(output: string, arch: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (/^\S/.test(line)) {
      const name = line.trim();
      current = graph.get(name) ?? [];
      graph.set(name, current);
      continue;
    }
    const dependency = /^\s*\|?(?:Pre)?Depends:\s+([^\s<>]+)$/.exec(line)?.[1];
    if (current && dependency?.endsWith(`:${arch}`) && !current.includes(dependency)) current.push(dependency);
  }
  return graph;
}

/** Every package reachable from `roots` in `graph`, sorted. */
export function dependencyClosure(graph: ReadonlyMap<string, readonly string[]>, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(graph.get(name) ?? []));
  }
  return [...seen].sort();
}

export interface PackageFile {
  readonly url: string;
  readonly file: string;
  readonly sha256: string;
}

/** `'URL' FILE SIZE SHA256:…` lines of `apt-get download --print-uris`. */
export function parsePrintUris(output: string): PackageFile[] {
  return [...output.matchAll(/^'([^']+)'\s+(\S+)\s+\d+\s+SHA256:([0-9a-f]{64})$/gm)].map((m) => ({ url: m[1]!, file: m[2]!, sha256: m[3]! }));
}

/**
 * Gives the tree the merged /usr layout (`lib -> usr/lib`, …) that a real
 * system has: packages built before the /usr merge ship the dynamic loader
 * in /lib, newer ones only in /usr/lib, and a program's interpreter path
 * (`/lib/ld-linux-aarch64.so.1`) must resolve either way.
 */
export async function mergeUsr(root: string): Promise<void> {
  for (const dir of ['bin', 'sbin', 'lib']) {
    const top = path.join(root, dir);
    const underUsr = path.join(root, 'usr', dir);
    const link = path.join('usr', dir);
    const found = lstatOrUndefined(top);
    if (found?.isSymbolicLink()) {
      if ((await readlink(top)) === link) continue;
      await rm(top); // a link anywhere else (the host's /usr/lib, say) gives way to the merged one
    } else if (found?.isDirectory()) {
      await mkdir(underUsr, { recursive: true });
      await moveInto(top, underUsr);
      await rm(top, { recursive: true, force: true });
    }
    if (existsSync(underUsr)) await symlink(link, top);
  }
}

/**
 * Moves the entries of `from` into `to` one by one (so every link is seen),
 * merging directories, through links to them too; `to`'s copy wins a clash.
 */
async function moveInto(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    const existing = lstatOrUndefined(target);
    if (entry.isDirectory()) {
      if (!existing) await mkdir(target);
      if (statOrUndefined(target)?.isDirectory()) await moveInto(source, target);
    } else if (!existing) {
      await (entry.isSymbolicLink() ? moveSymlink(source, target) : rename(source, target));
    }
  }
}

/** Moves a link; a relative one that climbs out of its directory is rewritten to point where it did. */
async function moveSymlink(source: string, target: string): Promise<void> {
  const value = await readlink(source);
  if (path.isAbsolute(value) || !value.split('/').includes('..')) return rename(source, target);
  await symlink(path.relative(path.dirname(target), path.resolve(path.dirname(source), value)), target);
  await rm(source);
}

const lstatOrUndefined = (file: string) => lstatSync(file, { throwIfNoEntry: false });
const statOrUndefined = (file: string) => statSync(file, { throwIfNoEntry: false });

export interface SysrootRequest {
  readonly runner: CommandRunner;
  readonly cacheDir: string;
  /** Debian's arch name: `arm64`. */
  readonly arch: string;
  /** Packages whose runtime dependencies of `arch` come too: `python3.11-minimal:arm64`. */
  readonly runtime: readonly string[];
  /** Packages wanted for their files only (headers): their dependencies are not followed. */
  readonly filesOnly: readonly string[];
  /** A name for the cache entry and messages: `python3.11`. */
  readonly label: string;
}

/** Bumped when the way a tree is laid out changes, so older cache entries are not reused. */
const LAYOUT = 3;

/** apt's SHA256 of every file, whatever stronger hash a repository's index also has. */
const FORCE_SHA256 = ['-o', 'Acquire::ForceHash=SHA256'];

/**
 * Unpacks the packages and their runtime closure into a cached tree and
 * returns its root. The cache key holds every package file's name and
 * sha256, so a new version in the apt sources makes a new tree. apt itself
 * downloads (its mirrors, proxies and credentials), and each file is checked
 * against the sha256 the key was made of.
 */
export async function debianSysroot({ runner, cacheDir, arch, runtime, filesOnly, label }: SysrootRequest): Promise<{ root: string; hit: boolean; packages: number; discarded?: string }> {
  // One recursive listing (apt loads its cache once), walked along `arch` edges only.
  const { stdout: depends } = await runner.run(
    'apt-cache',
    ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...runtime],
    { quiet: true, purpose: 'apt-cache depends' },
  );
  const packages = [...dependencyClosure(parseAptDepends(depends, arch), runtime), ...filesOnly];
  // An empty directory: apt leaves out of its listing any file already where it runs.
  const scratch = await mkdtemp(path.join(tmpdir(), 'native-matrix-apt-'));
  try {
    const { stdout: uris } = await runner.run('apt-get', [...FORCE_SHA256, 'download', '--print-uris', ...packages], { cwd: scratch, quiet: true, purpose: 'apt-get download --print-uris' });
    const files = parsePrintUris(uris);
    if (files.length !== packages.length) {
      throw new UserError({
        key: `${arch} ${label}`,
        message: `apt listed ${files.length} package files with a SHA256 for the ${packages.length} packages ${packages.join(', ')}`,
        fix: 'run `apt-get update`, and check `apt-get download --print-uris` for those packages',
      });
    }
    const key = cacheKey({ layout: LAYOUT, arch, files: files.map(({ file, sha256 }) => ({ file, sha256 })) });
    const { dir, hit, discarded } = await cachedDirectory(path.join(cacheDir, 'sysroots', `${arch}-${label}-${key}`), async (target) => {
      await runner.run('apt-get', [...FORCE_SHA256, 'download', '-q', ...packages], { cwd: scratch, purpose: `downloading the ${arch} ${label} packages` });
      const root = path.join(target, 'root');
      for (const file of files) {
        const deb = path.join(scratch, file.file);
        const actual = existsSync(deb) ? await sha256File(deb) : 'no file';
        if (actual !== file.sha256) {
          throw new UserError({
            key: `${arch} ${label}`,
            message: `apt downloaded ${file.file} with sha256 ${actual}, not the ${file.sha256} it listed`,
            fix: 'run `apt-get update` (the lists changed under the build) and build again',
          });
        }
        await runner.run('dpkg-deb', ['-x', deb, root], { purpose: `unpacking ${file.file}` });
      }
      await mergeUsr(root);
    });
    return { root: path.join(dir, 'root'), hit, packages: packages.length, ...(discarded ? { discarded } : {}) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
