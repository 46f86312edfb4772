import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256File } from '../../src/core/hashing.js';
import { CELL_LOG_FILE } from '../../src/core/names.js';
import { buildFixture, fixture } from '../helpers/engine.js';

// A commit time far from now, so that a build dated by the clock cannot pass.
const COMMIT_TIME = '2024-05-06T07:08:10Z';
const COMMIT_EPOCH = Date.parse(COMMIT_TIME) / 1000;

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_DATE: COMMIT_TIME,
      GIT_COMMITTER_DATE: COMMIT_TIME,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** The fixture as a git checkout of its own, committed at COMMIT_TIME. */
function checkout(name: string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), `native-matrix-repro-${name}-`)), name);
  cpSync(fixture(name), dir, { recursive: true });
  git(dir, 'init', '--quiet');
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'fixture');
  return dir;
}

/** Each member's date as the zip stores it (`unzip -Z -T`: yyyymmdd.hhmmss). */
function zipDates(file: string): string[] {
  const result = spawnSync('zipinfo', ['-T', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  expect(result.status, result.stderr).toBe(0);
  return [...result.stdout.matchAll(/ (\d{8}\.\d{6}) /g)].map((m) => m[1]!);
}

/** Bytes of `needle` in the file, as a linker or compiler would have written a path. */
function holds(file: string, needle: string): boolean {
  return readFileSync(file).includes(Buffer.from(needle));
}

interface Build {
  readonly manifest: Manifest;
  /** The cell's output directory. */
  readonly dir: string;
  /** The cell's build.log. */
  readonly log: string;
}

/** Builds the checkout at `source` as the fixture `name`, with its files dated now unless `untouched`. */
async function buildCheckout(name: string, source: string, options: Parameters<typeof buildFixture>[1], { untouched = false } = {}): Promise<Build> {
  const now = new Date();
  if (!untouched) for (const file of git(source, 'ls-files', '-z').split('\0').filter(Boolean)) utimesSync(path.join(source, file), now, now);
  const { manifests, outRoot } = await buildFixture(name, { ...options, workingDirectory: source, env: { SOURCE_DATE_EPOCH: undefined } });
  expect(manifests).toHaveLength(1);
  const dir = path.join(outRoot, manifests[0]!.cell.id);
  return { manifest: manifests[0]!, dir, log: readFileSync(path.join(dir, CELL_LOG_FILE), 'utf8') };
}

/**
 * Builds a fixture twice from one commit, as two runners would: from two
 * checkouts at other paths, with other file times, so that make, setuptools
 * and cargo compile the project again in each (a maturin build in cargo
 * target directories of each checkout's own, from nothing), and returns both
 * builds and the checkouts (the second named `secondName`). With
 * `rebuildFirst`, the first checkout is built a second time first, unchanged
 * (`warm`): a maturin build then compiles nothing.
 */
async function buildTwice(
  name: string,
  options: Parameters<typeof buildFixture>[1],
  { secondName = name, rebuildFirst = false } = {},
): Promise<{ builds: [Build, Build]; manifests: [Manifest, Manifest]; dirs: [string, string]; sources: [string, string]; warm?: Build }> {
  const first = checkout(name);
  const second = path.join(mkdtempSync(path.join(tmpdir(), 'native-matrix-repro-elsewhere-')), 'another', 'checkout', secondName);
  git(path.dirname(first), 'clone', '--quiet', first, second);
  const cold = await buildCheckout(name, first, options);
  const warm = rebuildFirst ? await buildCheckout(name, first, options, { untouched: true }) : undefined;
  const other = await buildCheckout(name, second, options);
  return { builds: [cold, other], manifests: [cold.manifest, other.manifest], dirs: [cold.dir, other.dir], sources: [first, second], ...(warm ? { warm } : {}) };
}

/** What cargo compiled, by its own output (`Compiling pyo3 v0.30.1`). */
const compiled = (log: string) => [...log.matchAll(/^\s*Compiling (\S+) v(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);

/** The cargo target directories a build used, as the cell's log names them, and how it found each. */
const targetDirs = (log: string) => [...log.matchAll(/cargo target directory (\S+) \((warm|new[^)]*)\)/g)].map((m) => ({ dir: m[1]!, state: m[2]! }));

/** The compiled extension modules of a wheel, unpacked. */
function extensionsOf(wheel: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'native-matrix-repro-unpacked-'));
  const unzip = spawnSync('unzip', ['-q', wheel, '-d', dir], { encoding: 'utf8' });
  expect(unzip.status, unzip.stderr).toBe(0);
  const listing = spawnSync('find', [dir, '-name', '*.so', '-not', '-path', '*.libs/*'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  expect(listing.length).toBeGreaterThan(0);
  return listing;
}

async function expectIdentical([first, second]: [Manifest, Manifest], dirs: [string, string]): Promise<void> {
  expect(first.ok && second.ok).toBe(true);
  expect(first.sourceDateEpoch).toBe(COMMIT_EPOCH);
  expect(second.files.map((f) => [f.name, f.sha256])).toEqual(first.files.map((f) => [f.name, f.sha256]));
  for (const file of first.files) {
    expect(await sha256File(path.join(dirs[1], file.name))).toBe(file.sha256);
  }
}

/** The first checkout of the maturin case, and its cold build, for the case after it. */
let firstPyo3Checkout: { source: string; build: Build } | undefined;

describe('two builds of one commit, in two checkouts at other paths, give the same bytes', () => {
  it('setuptools: the repaired wheel (auditwheel, RECORD, zip times) is byte-identical, every member dated by the commit, no checkout path inside', async () => {
    const { manifests, dirs, sources } = await buildTwice('gmp-cext', { platform: 'linux-x86_64', python: ['3.12'] });
    await expectIdentical(manifests, dirs);
    const [wheel] = manifests[0].files;
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-/)]);
    expect(new Set(zipDates(path.join(dirs[0], wheel!.name)))).toEqual(new Set(['20240506.070810']));
    // The interpreter's -g writes the compiler's directory and every header's
    // into the debug information: the checkout, the interpreter's prefix and
    // the cache (GMP's and zig's headers), all under this user's home here.
    for (const extension of extensionsOf(path.join(dirs[0], wheel!.name))) {
      expect(holds(extension, '.debug_info')).toBe(true);
      for (const source of [...sources, homedir()]) expect(holds(extension, source), `${extension} names ${source}`).toBe(false);
    }
  });

  it("maturin: the repaired wheel is byte-identical, built cold, warm (compiling nothing) and elsewhere, every member dated by the commit; dependencies' sources are named under /cargo, not cargo's home; the SBOM names the checkout as file://.", async () => {
    // The second checkout named like the crate: cargo then leaves the name out of its package id.
    const { builds, manifests, dirs, sources, warm } = await buildTwice('pyo3-plain', { platform: 'linux-x86_64', python: ['3.13'] }, { secondName: 'plainclient', rebuildFirst: true });
    await expectIdentical(manifests, dirs);
    // Cold: a new target directory of the checkout's own, where cargo compiles every crate.
    const [coldDir] = targetDirs(builds[0].log);
    expect(coldDir).toEqual({ dir: expect.stringContaining(path.join('cargo-target', '')), state: 'new' });
    expect(compiled(builds[0].log)).toEqual(expect.arrayContaining(['pyo3-ffi 0.30.1', 'pyo3 0.30.1', 'plainclient 0.1.0']));
    // Warm: the same directory, and cargo compiles nothing, by its own account; the same bytes.
    expect(targetDirs(warm!.log)).toEqual([{ dir: coldDir!.dir, state: 'warm' }]);
    expect(compiled(warm!.log)).toEqual([]);
    expect(warm!.log).toMatch(/Finished `release` profile/);
    await expectIdentical([manifests[0], warm!.manifest], [dirs[0], warm!.dir]);
    // Elsewhere: a directory of that checkout's own (cargo judges its members fresh by their files' times).
    const [elsewhere] = targetDirs(builds[1].log);
    expect(elsewhere!.state).toBe('new');
    expect(elsewhere!.dir).not.toBe(coldDir!.dir);
    firstPyo3Checkout = { source: sources[0], build: builds[0] };
    const [wheel] = manifests[0].files;
    expect(new Set(zipDates(path.join(dirs[0], wheel!.name)))).toEqual(new Set(['20240506.070810']));
    const cargoHome = path.resolve(process.env.CARGO_HOME || path.join(homedir(), '.cargo'));
    for (const extension of extensionsOf(path.join(dirs[0], wheel!.name))) {
      expect(holds(extension, '/cargo/registry/src/'), `${extension} names pyo3's sources`).toBe(true);
      expect(holds(extension, cargoHome), `${extension} names ${cargoHome}`).toBe(false);
      for (const source of sources) expect(holds(extension, source), `${extension} names ${source}`).toBe(false);
    }
    const sbom = spawnSync('unzip', ['-p', path.join(dirs[0], wheel!.name), 'plainclient-0.1.0.dist-info/sboms/plainclient.cyclonedx.json'], { encoding: 'utf8' });
    expect(sbom.status, sbom.stderr).toBe(0);
    expect(sbom.stdout).toContain('"path+file://.#plainclient@0.1.0"');
    for (const source of sources) expect(sbom.stdout).not.toContain(source);
  });

  it('maturin: a changed Cargo.lock builds in a new target directory, never from the stale one', async () => {
    expect(firstPyo3Checkout, 'the maturin case above built the checkout').toBeDefined();
    const { source, build } = firstPyo3Checkout!;
    const [stale] = targetDirs(build.log);
    // libc one release back (in cargo's cache already): pyo3-ffi depends on it.
    const lock = path.join(source, 'Cargo.lock');
    const text = readFileSync(lock, 'utf8');
    const changed = text.replace(
      /name = "libc"\nversion = "0\.2\.191"\nsource = "([^"]+)"\nchecksum = "[0-9a-f]+"/,
      'name = "libc"\nversion = "0.2.189"\nsource = "$1"\nchecksum = "3eaf3ede3fee6db1a4c2ee091bf8a8b4dccdc6d17f656fb07896ee72867612f2"',
    );
    expect(changed).not.toBe(text);
    writeFileSync(lock, changed);
    const rebuilt = await buildCheckout('pyo3-plain', source, { platform: 'linux-x86_64', python: ['3.13'] });
    expect(rebuilt.manifest.ok).toBe(true);
    const [fresh] = targetDirs(rebuilt.log);
    expect(fresh!.state).toBe('new');
    expect(fresh!.dir).not.toBe(stale!.dir);
    expect(compiled(rebuilt.log)).toEqual(expect.arrayContaining(['libc 0.2.189', 'pyo3-ffi 0.30.1', 'plainclient 0.1.0']));
    expect(rebuilt.log).not.toContain('libc v0.2.191');
  });

  it('binary: the .tar.gz is byte-identical, every entry dated by the commit, owned by 0:0, mode 644 or 755', async () => {
    const { manifests, dirs } = await buildTwice('gmp-cli', {});
    await expectIdentical(manifests, dirs);
    const archive = path.join(dirs[0], manifests[0].files[0]!.name);
    const listing = spawnSync('tar', ['--utc', '--full-time', '--numeric-owner', '-tvzf', archive], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    const lines = listing.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^-rw[x-]r-[x-]r-[x-] 0\/0 +\d+ 2024-05-06 07:08:10 gmp-cli-0\.1\.0-linux-x86_64\//);
  });

  it("sdist (setuptools, which packs each file's own time and owner): the .tar.gz is byte-identical, every entry dated by the commit, owned by 0:0", async () => {
    const { manifests, dirs } = await buildTwice('gmp-cext', { platform: 'sdist', python: ['3.12'] });
    await expectIdentical(manifests, dirs);
    const sdist = path.join(dirs[0], manifests[0].files[0]!.name);
    const listing = spawnSync('tar', ['--utc', '--full-time', '--numeric-owner', '-tvzf', sdist], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    const lines = listing.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/).at(-1))).toContain('gmpcext-0.1.0/PKG-INFO');
    for (const line of lines) expect(line).toMatch(/^-rw-r--r-- 0\/0 +\d+ 2024-05-06 07:08:10 gmpcext-0\.1\.0\//);
  });
});
