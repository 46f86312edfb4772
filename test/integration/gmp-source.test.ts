import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFixture, fixture } from '../helpers/engine.js';

/** A cache of its own, so the first build is cold whatever ran before. */
const cache = mkdtempSync(path.join(tmpdir(), 'native-matrix-gmp-cache-'));

function configFile(smoke: string, libraries = '[gmp]'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'native-matrix-config-')), 'native-matrix.yml');
  writeFileSync(
    file,
    [
      'project:',
      `  path: ${fixture('gmp-cext')}`,
      '  import: gmpcext',
      `  smoke: ${JSON.stringify(smoke)}`,
      'gmp:',
      '  source: build',
      '  version: "6.3.0"',
      `  libraries: ${libraries}`,
      'matrix:',
      '  platforms: [linux-x86_64]',
      '  python: ["3.12"]',
      '',
    ].join('\n'),
  );
  return file;
}

describe('gmp.source: build', () => {
  it('builds GMP 6.3.0 from verified source (fat, generic host), links and bundles it, and reuses the cache next time', async () => {
    const config = configFile("assert gmpcext.gmp_version() == '6.3.0', gmpcext.gmp_version()");
    const env = { NATIVE_MATRIX_CACHE: cache };
    const cold = await buildFixture('gmp-cext', { configPath: config, env });
    expect(cold.manifests[0]!.ok).toBe(true);
    expect(cold.manifests[0]!.gmp).toEqual({ source: 'build', version: '6.3.0', libraries: ['gmp'], cached: false });
    expect(cold.manifests[0]!.files[0]!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10/)]);

    const warm = await buildFixture('gmp-cext', { configPath: config, env });
    expect(warm.manifests[0]!.ok).toBe(true);
    // The second provisioning finds the finished build in the cache (its time is measured by bench/gmp-cache.mjs).
    expect(warm.manifests[0]!.gmp.cached).toBe(true);
    expect(warm.manifests[0]!.files[0]!.sha256).toBe(cold.manifests[0]!.files[0]!.sha256);
  });
});
