import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkoutProject, CORPUS, corpusCacheDir, corpusConfig, fetchProject, type CorpusProject } from '../helpers/corpus.js';
import { serveTarballs, tarball } from '../helpers/tarballs.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

const project = (url: string, digest: string): CorpusProject => ({ name: 'demo', version: '1.0', url, sha256: digest, backend: 'setuptools', kind: 'wheel', config: 'demo.yml' });

describe('the corpus fetcher', () => {
  it('downloads once (through a failing first attempt), verifies the sha256, unpacks into the cache, and hands out fresh copies', async () => {
    const data = tarball('demo-1.0');
    const server = await serveTarballs({ 'demo-1.0.tar.gz': data });
    const cache = mkdtempSync(path.join(tmpdir(), 'corpus-cache-'));
    const demo = project(`${server.base}/demo-1.0.tar.gz`, sha256(data));
    let tree: string;
    try {
      tree = await fetchProject(demo, cache);
    } finally {
      await server.close();
    }
    expect(path.basename(tree)).toBe('demo-1.0');
    expect(readFileSync(path.join(tree, 'configfsf.guess'), 'utf8')).toContain('generic');
    // The server is gone: the cached tree is used, not the network.
    expect(await fetchProject(demo, cache)).toBe(tree);
    const first = await checkoutProject(demo, cache);
    const second = await checkoutProject(demo, cache);
    expect(first).not.toBe(second);
    writeFileSync(path.join(first, 'built-here'), '');
    expect(existsSync(path.join(second, 'built-here'))).toBe(false);
    expect(existsSync(path.join(tree, 'built-here'))).toBe(false);
  });

  it('refuses a tarball whose sha256 differs and leaves nothing in the cache', async () => {
    const data = tarball('demo-1.0');
    const server = await serveTarballs({ 'demo-1.0.tar.gz': data });
    const cache = mkdtempSync(path.join(tmpdir(), 'corpus-cache-'));
    try {
      await expect(fetchProject(project(`${server.base}/demo-1.0.tar.gz`, '0'.repeat(64)), cache)).rejects.toThrow(/has sha256 [0-9a-f]{64}, not the expected 0{64}/);
    } finally {
      await server.close();
    }
    expect(existsSync(path.join(cache, 'trees'))).toBe(false);
  });

  it('pins every project by an https URL of PyPI or crates.io and a sha256, with a config of its own', () => {
    for (const entry of Object.values(CORPUS)) {
      expect(entry.url).toMatch(/^https:\/\/(files\.pythonhosted\.org|static\.crates\.io)\//);
      expect(entry.url).toContain(`${entry.name}-${entry.version}.`);
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(existsSync(corpusConfig(entry))).toBe(true);
    }
    expect(corpusCacheDir({ NATIVE_MATRIX_TEST_CORPUS: '/somewhere' })).toBe('/somewhere');
    expect(corpusCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/native-matrix-test-corpus');
  });
});
