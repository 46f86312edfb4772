// Wall time of `node dist/index.js` planning the full catalog, as GitHub runs
// it (node start-up included), against bare `node` start-up in the same run.
// Usage: npm run bench:plan [-- RUNS]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.argv[2] ?? 21);
const TARGET_MS = 150;

const dir = mkdtempSync(path.join(tmpdir(), 'native-matrix-bench-'));
writeFileSync(path.join(dir, 'pyproject.toml'), '[build-system]\nrequires = ["maturin"]\nbuild-backend = "maturin"\n[project]\nname = "bench"\n');
writeFileSync(path.join(dir, 'Cargo.toml'), '[package]\nname = "bench"\nversion = "0.1.0"\n[dependencies]\npyo3 = "0.23"\n');
writeFileSync(
  path.join(dir, 'native-matrix.yml'),
  [
    'matrix:',
    '  platforms: [linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64, windows-arm64]',
    '  python: ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t"]',
    '  split: python',
    '',
  ].join('\n'),
);
const output = path.join(dir, 'output');
const summary = path.join(dir, 'summary');

function time(args, env = {}) {
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const env = { INPUT_COMMAND: 'plan', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.0.0' };
time([path.join(root, 'dist/index.js')], env); // warm the file cache
const bare = [];
const plan = [];
for (let i = 0; i < runs; i++) {
  bare.push(time(['-e', '0']));
  plan.push(time([path.join(root, 'dist/index.js')], env));
}
const planMs = median(plan);
const bareMs = median(bare);
console.log(`node ${process.version}, ${runs} runs, 64 cells (8 platforms × 8 Pythons, split per Python)`);
console.log(`bare node start-up:        median ${bareMs.toFixed(1)} ms`);
console.log(`node dist/index.js (plan): median ${planMs.toFixed(1)} ms  (${(planMs / bareMs).toFixed(2)}× bare start-up; target < ${TARGET_MS} ms: ${planMs < TARGET_MS ? 'met' : 'NOT met'})`);
