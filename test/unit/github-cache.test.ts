import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// @actions/cache stood in for by a store of directory copies: what a save
// would upload is what was on disk at that moment under the paths it was given.
const store = new Map<string, { paths: string[]; copy: string }>();
const during: { onSave?: () => void } = {};
vi.mock('@actions/cache', () => ({
  saveCache: (paths: string[], key: string) => {
    during.onSave?.();
    const copy = mkdtempSync(path.join(tmpdir(), 'saved-'));
    paths.forEach((p, i) => existsSync(p) && cpSync(p, path.join(copy, String(i)), { recursive: true }));
    store.set(key, { paths, copy });
    return Promise.resolve(1);
  },
  restoreCache: (paths: string[], key: string, restoreKeys: string[]) => {
    const found = store.get(key) ?? [...store.entries()].find(([k]) => restoreKeys.some((prefix) => k.startsWith(prefix)))?.[1];
    const hit = store.has(key) ? key : [...store.keys()].find((k) => restoreKeys.some((prefix) => k.startsWith(prefix)));
    if (!found || JSON.stringify(found.paths) !== JSON.stringify(paths)) return Promise.resolve(undefined);
    paths.forEach((p, i) => existsSync(path.join(found.copy, String(i))) && cpSync(path.join(found.copy, String(i)), p, { recursive: true }));
    return Promise.resolve(hit);
  },
}));
vi.mock('@actions/core', () => ({ info: () => undefined, warning: () => undefined }));

const { cacheRootPatterns, restoreInto, saveOnly, stagingDir } = await import('../../src/github/cache.js');
// @actions/cache's own resolution of path patterns (not stood in for): what a real save would archive.
const { resolvePaths } = (await import(new URL('../../node_modules/@actions/cache/lib/internal/cacheUtils.js', import.meta.url).href)) as { resolvePaths: (patterns: string[]) => Promise<string[]> };

const scratch = () => mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
const tree = (dir: string, files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
};

beforeEach(() => {
  store.clear();
  during.onSave = undefined;
});

describe("the action's cache of native-matrix's directory", () => {
  it('archives every entry but the compiled builds and the entry locks, by patterns that are the same on every run', async () => {
    const workspace = scratch();
    const root = path.join(workspace, 'native-matrix');
    tree(root, { 'gmp/6.3.0/lib/libgmp.a': 'gmp', 'tools/abc/bin/maturin': 'm', 'cargo-target/abc/lib.rlib': 'r', 'cargo-target.saved/x': 'x', 'zig.lock/x': '' });
    const previous = process.env.GITHUB_WORKSPACE;
    process.env.GITHUB_WORKSPACE = workspace;
    try {
      expect((await resolvePaths(cacheRootPatterns(root, ['cargo-target*']))).sort()).toEqual(['native-matrix/gmp', 'native-matrix/tools']);
    } finally {
      process.env.GITHUB_WORKSPACE = previous;
    }
  });

  it('saves the compiled builds kept, and never moves an entry out of the directory while it saves', async () => {
    const root = path.join(scratch(), 'native-matrix');
    tree(root, { 'gmp/6.3.0/lib/libgmp.a': 'gmp', 'tools/bin/maturin': 'maturin', 'cargo-target/abc/release/lib.rlib': 'rlib' });
    const seenDuringSave: string[][] = [];
    during.onSave = () => seenDuringSave.push(readdirSync(root).sort());
    await saveOnly(root, (name) => name !== 'cargo-target', 'key-1');
    // Another build reading the cache meanwhile found every entry in place.
    expect(seenDuringSave).toEqual([['cargo-target', 'gmp', 'tools']]);
    expect(readdirSync(path.join(store.get('key-1')!.copy, '0')).sort()).toEqual(['gmp', 'tools']);
    expect(existsSync(stagingDir(root))).toBe(false);
    // The staged files were links: the originals are untouched.
    expect(readFileSync(path.join(root, 'gmp/6.3.0/lib/libgmp.a'), 'utf8')).toBe('gmp');
    expect(statSync(path.join(root, 'gmp/6.3.0/lib/libgmp.a')).nlink).toBe(1);
  });

  it('restores into the directory, keeping what a self-hosted runner already has', async () => {
    // The same path on the next runner (the cache service keys entries by their paths).
    const second = path.join(scratch(), 'native-matrix');
    tree(second, { 'gmp/lib/libgmp.a': 'built', 'tools/uv': 'uv' });
    await saveOnly(second, () => true, 'native-matrix-linux-x86_64-abc');
    rmSync(second, { recursive: true });
    tree(second, { 'tools/uv': 'newer uv' });
    const hit = await restoreInto(second, 'native-matrix-linux-x86_64-def', ['native-matrix-linux-x86_64-']);
    expect(hit).toBe('native-matrix-linux-x86_64-abc');
    expect(readFileSync(path.join(second, 'gmp/lib/libgmp.a'), 'utf8')).toBe('built');
    expect(readFileSync(path.join(second, 'tools/uv'), 'utf8')).toBe('newer uv');
    expect(existsSync(stagingDir(second))).toBe(false);
  });

  it('leaves the build standing when the save fails', async () => {
    const root = path.join(scratch(), 'native-matrix');
    tree(root, { 'gmp/lib/libgmp.a': 'gmp' });
    during.onSave = () => {
      throw new Error('cache service unavailable');
    };
    await expect(saveOnly(root, () => true, 'key-2')).resolves.toBeUndefined();
    expect(readdirSync(root)).toEqual(['gmp']);
    expect(existsSync(stagingDir(root))).toBe(false);
  });
});
