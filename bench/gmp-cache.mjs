// Cold and warm provisioning of GMP built from source (gmp.source: build):
// the first build fills an empty cache, the second must reuse it.
// Usage: npm run bench:gmp-cache
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cache = mkdtempSync(path.join(tmpdir(), 'bench-gmp-cache-'));
const configDir = mkdtempSync(path.join(tmpdir(), 'bench-gmp-config-'));
writeFileSync(
  path.join(configDir, 'native-matrix.yml'),
  `project:\n  path: ${path.join(root, 'test/fixtures/gmp-cext')}\n  import: gmpcext\ngmp:\n  source: build\n  version: "6.3.0"\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\n`,
);

function provisionSeconds() {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-gmp-out-'));
  const result = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'build', '--platform', 'linux-x86_64', '--out', out], {
    cwd: configDir,
    env: { ...process.env, NATIVE_MATRIX_CACHE: cache },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  const manifest = JSON.parse(readFileSync(path.join(out, 'linux-x86_64', 'manifest.json'), 'utf8'));
  return { seconds: manifest.timings.provision, cached: manifest.gmp.cached };
}

const cold = provisionSeconds();
const warm = provisionSeconds();
console.log(`GMP 6.3.0 from source (--enable-fat --with-pic, generic host), provisioning time:`);
console.log(`cold (empty cache): ${cold.seconds.toFixed(3)} s  cached=${cold.cached}`);
console.log(`warm (cache hit):   ${warm.seconds.toFixed(3)} s  cached=${warm.cached}  (target < 2 s: ${warm.seconds < 2 ? 'met' : 'NOT met'})`);
console.log(`ratio cold / warm: ${(cold.seconds / Math.max(warm.seconds, 0.001)).toFixed(0)}×`);
