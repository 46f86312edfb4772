import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
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
    const config = configFile("assert gmpcext.gmp_version() == '6.3.0', gmpcext.gmp_version()", '[gmp, mpfr, mpc]');
    const env = { NATIVE_MATRIX_CACHE: cache };
    const cold = await buildFixture('gmp-cext', { configPath: config, env });
    expect(cold.manifests[0]!.ok).toBe(true);
    expect(cold.manifests[0]!.gmp).toEqual({ source: 'build', version: '6.3.0', libraries: ['gmp', 'mpfr', 'mpc'], cached: false });
    // MPFR and MPC were built against that GMP, into the same prefix.
    const [entry] = readdirSync(path.join(cache, 'gmp'));
    for (const file of ['lib/libgmp.so.10', 'lib/libmpfr.so.6', 'lib/libmpc.so.3', 'include/gmp.h', 'include/mpfr.h', 'include/mpc.h']) {
      expect(existsSync(path.join(cache, 'gmp', entry!, file)), file).toBe(true);
    }
    // GMP 6.3.0 is libgmp.so.10.5.0; the system's 6.2.1 would be 10.4.1.
    expect(cold.manifests[0]!.files[0]!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10\.5\.0$/)]);
    // Each library's licence files are kept with the build, from its source; the wheel carries GMP's (it links GMP alone).
    for (const file of ['gmp/COPYING.LESSERv3', 'gmp/COPYINGv2', 'gmp/COPYINGv3', 'mpfr/COPYING.LESSER', 'mpfr/COPYING', 'mpc/COPYING.LESSER']) {
      expect(existsSync(path.join(cache, 'gmp', entry!, 'share', 'licenses', file)), file).toBe(true);
    }
    const gmpTexts = ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'].map((name) => `gmpcext-0.1.0.dist-info/licenses/native-matrix-bundled/gmp/${name}`);
    expect(cold.manifests[0]!.files[0]!.libraries).toEqual([
      { name: 'gmp', version: '6.3.0', licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later', linkage: 'shared', files: cold.manifests[0]!.files[0]!.bundled, licenseFiles: gmpTexts },
    ]);

    const warm = await buildFixture('gmp-cext', { configPath: config, env });
    expect(warm.manifests[0]!.ok).toBe(true);
    // The second provisioning finds the finished build in the cache (its time is measured by bench/gmp-cache.mjs).
    expect(warm.manifests[0]!.gmp.cached).toBe(true);
    // auditwheel names the bundled copy by its content: the same library both times.
    expect(warm.manifests[0]!.files[0]!.bundled).toEqual(cold.manifests[0]!.files[0]!.bundled);
    // The cached build brings its licence files along.
    expect(warm.manifests[0]!.files[0]!.libraries).toEqual(cold.manifests[0]!.files[0]!.libraries);
  });
});
