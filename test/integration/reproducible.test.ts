import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256File } from '../../src/core/hashing.js';
import { buildFixture, fixture } from '../helpers/engine.js';

// A commit time far from now, so that a build dated by the clock cannot pass.
const COMMIT_TIME = '2024-05-06T07:08:10Z';
const COMMIT_EPOCH = Date.parse(COMMIT_TIME) / 1000;

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: COMMIT_TIME, GIT_COMMITTER_DATE: COMMIT_TIME, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
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

/**
 * Builds a fixture twice from one commit, as two runners would: from two
 * checkouts at other paths, with other file times, so that make, setuptools
 * and cargo compile the project again in each (cargo reuses the compiled
 * dependencies of the shared target directory, to keep the test cheap), and
 * returns both cells' manifests and output directories, and the checkouts
 * (the second named `secondName`).
 */
async function buildTwice(
  name: string,
  options: Parameters<typeof buildFixture>[1],
  { secondName = name } = {},
): Promise<{ manifests: [Manifest, Manifest]; dirs: [string, string]; sources: [string, string] }> {
  const first = checkout(name);
  const second = path.join(mkdtempSync(path.join(tmpdir(), 'native-matrix-repro-elsewhere-')), 'another', 'checkout', secondName);
  git(path.dirname(first), 'clone', '--quiet', first, second);
  const runs: { manifest: Manifest; dir: string }[] = [];
  for (const source of [first, second]) {
    const now = new Date();
    for (const file of git(source, 'ls-files', '-z').split('\0').filter(Boolean)) utimesSync(path.join(source, file), now, now);
    const { manifests, outRoot } = await buildFixture(name, { ...options, workingDirectory: source, env: { SOURCE_DATE_EPOCH: undefined } });
    expect(manifests).toHaveLength(1);
    runs.push({ manifest: manifests[0]!, dir: path.join(outRoot, manifests[0]!.cell.id) });
  }
  return { manifests: [runs[0]!.manifest, runs[1]!.manifest], dirs: [runs[0]!.dir, runs[1]!.dir], sources: [first, second] };
}

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

  it("maturin: the repaired wheel is byte-identical, every member dated by the commit; dependencies' sources are named under /cargo, not cargo's home; the SBOM names the checkout as file://.", async () => {
    // The second checkout named like the crate: cargo then leaves the name out of its package id.
    const { manifests, dirs, sources } = await buildTwice('pyo3-plain', { platform: 'linux-x86_64', python: ['3.13'] }, { secondName: 'plainclient' });
    await expectIdentical(manifests, dirs);
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
