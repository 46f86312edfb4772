import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReleaseRun, restoreKeysFor } from '../../src/github/cache.js';
import { cachedDirectory, cacheKey, checkTree, discardUnrecorded, recordTree, TREE_RECORD, TREE_VERIFIED } from '../../src/core/cache.js';
import { interpreterVersions } from '../../src/core/interpreters.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'cache-trust-'));

/** Fills a cache entry the way a GMP build would: a library, a header, a link. */
async function fillLibrary(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'lib'));
  await mkdir(path.join(dir, 'include'));
  await writeFile(path.join(dir, 'lib', 'libgmp.so.10.5.0'), 'the real library');
  await symlink('libgmp.so.10.5.0', path.join(dir, 'lib', 'libgmp.so.10'));
  await writeFile(path.join(dir, 'include', 'gmp.h'), '#define GMP 1');
}

describe('cache restore keys', () => {
  it('are exact on a tag push, a release event and a publishing run; a prefix otherwise', () => {
    expect(isReleaseRun({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.0.0' }, false)).toBe(true);
    expect(isReleaseRun({ GITHUB_EVENT_NAME: 'release', GITHUB_REF: 'refs/heads/main' }, false)).toBe(true);
    expect(isReleaseRun({ GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main' }, true)).toBe(true);
    expect(isReleaseRun({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main' }, false)).toBe(false);
    expect(isReleaseRun({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/3/merge' }, false)).toBe(false);
    expect(restoreKeysFor('native-matrix-linux-x86_64-', true)).toEqual([]);
    expect(restoreKeysFor('native-matrix-linux-x86_64-', false)).toEqual(['native-matrix-linux-x86_64-']);
  });
});

describe('cached directories', () => {
  it('record the sha256 of every file, and are reused while they match it', async () => {
    const dir = path.join(scratch(), 'gmp');
    let fills = 0;
    const fill = async (target: string) => {
      fills++;
      await fillLibrary(target);
    };
    expect(await cachedDirectory(dir, fill)).toEqual({ dir, hit: false });
    const record = JSON.parse(readFileSync(path.join(dir, TREE_RECORD), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(record.files)).toEqual(['include/gmp.h', 'lib/libgmp.so.10', 'lib/libgmp.so.10.5.0']);
    expect(record.files['lib/libgmp.so.10']).toBe('link:libgmp.so.10.5.0');
    expect(record.files['lib/libgmp.so.10.5.0']).toMatch(/^[0-9a-f]{64}$/);
    expect(await cachedDirectory(dir, fill)).toEqual({ dir, hit: true });
    // Python's byte code, written as the tools run, is not part of the record.
    mkdirSync(path.join(dir, 'lib', '__pycache__'));
    writeFileSync(path.join(dir, 'lib', '__pycache__', 'x.cpython-312.pyc'), 'byte code');
    expect(await cachedDirectory(dir, fill)).toEqual({ dir, hit: true });
    expect(fills).toBe(1);
  });

  it.each([
    ['a changed library', (dir: string) => writeFileSync(path.join(dir, 'lib', 'libgmp.so.10.5.0'), 'a poisoned library'), 'changed: lib/libgmp.so.10.5.0'],
    ['an added file', (dir: string) => writeFileSync(path.join(dir, 'lib', 'libevil.so'), 'x'), 'added: lib/libevil.so'],
    ['a removed header', (dir: string) => rmSync(path.join(dir, 'include', 'gmp.h')), 'removed: include/gmp.h'],
    [
      'a link pointed elsewhere',
      (dir: string) => (rmSync(path.join(dir, 'lib', 'libgmp.so.10')), symlinkSync('/usr/lib/libgmp.so.10', path.join(dir, 'lib', 'libgmp.so.10'))),
      'changed: lib/libgmp.so.10',
    ],
  ])('discard and rebuild an entry with %s, and say why', async (_, tamper, expected) => {
    const dir = path.join(scratch(), 'gmp');
    await cachedDirectory(dir, fillLibrary);
    tamper(dir);
    const again = await cachedDirectory(dir, fillLibrary);
    expect(again.hit).toBe(false);
    expect(again.discarded).toBe(`${dir}: not what was recorded when it was built (${expected})`);
    expect(readFileSync(path.join(dir, 'lib', 'libgmp.so.10.5.0'), 'utf8')).toBe('the real library');
    expect(existsSync(path.join(dir, 'lib', 'libevil.so'))).toBe(false);
    expect(await checkTree(dir)).toBeUndefined();
  });

  it('skip hashing an entry nothing wrote to since it was proved, and hash it again after any write, even one that keeps size and times', async () => {
    const dir = path.join(scratch(), 'gmp');
    await cachedDirectory(dir, fillLibrary);
    const verified = JSON.parse(readFileSync(path.join(dir, TREE_VERIFIED), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(verified.files)).toEqual(['include/gmp.h', 'lib/libgmp.so.10', 'lib/libgmp.so.10.5.0']);
    const record = JSON.parse(readFileSync(path.join(dir, TREE_RECORD), 'utf8')) as { schema: 1; files: Record<string, string> };
    expect(await checkTree(dir)).toBeUndefined();
    // The same size and modification time, other bytes: the change time gives it away.
    const library = path.join(dir, 'lib', 'libgmp.so.10.5.0');
    const before = statSync(library);
    writeFileSync(library, 'the evil library'.slice(0, 'the real library'.length));
    utimesSync(library, before.atime, before.mtime);
    expect(statSync(library).size).toBe(before.size);
    expect(await checkTree(dir)).toBe('not what was recorded when it was built (changed: lib/libgmp.so.10.5.0)');
    // A stamp that belongs to another record is not trusted either.
    writeFileSync(library, 'the real library');
    await recordTree(dir);
    writeFileSync(path.join(dir, TREE_RECORD), JSON.stringify({ ...record, files: { ...record.files, 'include/gmp.h': '0'.repeat(64) } }));
    expect(await checkTree(dir)).toBe('not what was recorded when it was built (changed: include/gmp.h)');
  });

  it('never trust an entry without a record (an interrupted fill, an older native-matrix, or a record that is not one)', async () => {
    const dir = path.join(scratch(), 'tools');
    mkdirSync(dir);
    writeFileSync(path.join(dir, TREE_RECORD), '2026-11-01T00:00:00.000Z');
    const rebuilt = await cachedDirectory(dir, fillLibrary);
    expect(rebuilt).toMatchObject({ hit: false, discarded: `${dir}: no record of its files (incomplete, or written by an older native-matrix)` });
    writeFileSync(path.join(dir, TREE_RECORD), '{"schema": 2}');
    expect(await checkTree(dir)).toBe('its record is not readable');
  });

  it("guard a directory another program fills (gmp-mpfr-sys's GMP): kept when it matches its record, removed otherwise", async () => {
    const dir = path.join(scratch(), 'gmp-mpfr-sys');
    expect(await discardUnrecorded(dir)).toBeUndefined();
    mkdirSync(dir);
    await fillLibrary(dir);
    expect(await discardUnrecorded(dir)).toBe(`${dir}: no record of its files (incomplete, or written by an older native-matrix)`);
    expect(existsSync(dir)).toBe(false);
    mkdirSync(dir);
    await fillLibrary(dir);
    await recordTree(dir);
    expect(await discardUnrecorded(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'lib', 'libgmp.so.10.5.0'), 'poisoned');
    expect(await discardUnrecorded(dir)).toContain('changed: lib/libgmp.so.10.5.0');
    expect(existsSync(dir)).toBe(false);
  });
});

describe('an entry filled by two builds at once', () => {
  it('is filled by one while the other waits and then finds it complete (never a half-written file run)', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nm-lock-')), 'uv', 'abc');
    let fills = 0;
    const fill = async (target: string) => {
      fills += 1;
      await writeFile(path.join(target, 'uv'), 'partial');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await writeFile(path.join(target, 'uv'), 'complete');
    };
    const [first, second] = await Promise.all([cachedDirectory(dir, fill), cachedDirectory(dir, fill)]);
    expect(fills).toBe(1);
    expect([first.hit, second.hit].sort()).toEqual([false, true]);
    expect(readFileSync(path.join(dir, 'uv'), 'utf8')).toBe('complete');
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});

describe('the cache key', () => {
  it("covers every interpreter's patch version: a new patch release is a new key", async () => {
    const bin = scratch();
    writeFileSync(path.join(bin, 'python3.12'), '');
    const search = (patch: string) => ({ env: { PATH: bin, PYENV_ROOT: path.join(bin, 'none') }, runner: new FakeRunner(() => ({ stdout: `${patch} cpython 0\n` })) });
    const old = await interpreterVersions(['3.12', '3.13'], search('3.12.7'));
    expect(old).toEqual({ '3.12': '3.12.7', '3.13': 'none' });
    const patched = await interpreterVersions(['3.12', '3.13'], search('3.12.8'));
    expect(cacheKey({ python: '3.12\n3.13', interpreters: patched })).not.toBe(cacheKey({ python: '3.12\n3.13', interpreters: old }));
  });
});
