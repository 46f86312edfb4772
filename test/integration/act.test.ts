import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactService } from '../helpers/artifact-service.js';
import { FakeGitHub } from '../helpers/fake-github.js';
import { fixture, ROOT } from '../helpers/engine.js';
import { PYPI_VENV, pythonPath } from '../helpers/python.js';

// Whole runs of workflows/release.yml with nektos/act on this host: the
// workflow file users copy, unchanged, with the external actions replaced by
// small local stand-ins (test/act/), artifacts going through a local artifact
// service, releases to a local GitHub, and the pypi job's uploads to a local
// PyPI-compatible index (pypiserver, installed by scripts/install-deps.sh).
const ACT = path.join(ROOT, '.cache/bin/act');
const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';
const SETUP_PYTHON = 'actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065';
const DOWNLOAD_ARTIFACT = 'actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093';
const PYPI_PUBLISH = 'pypa/gh-action-pypi-publish@dc37677b2e1c63e2034f94d8a5b11f265b73ba33';
const WHEEL = 'gmpcext-0.1.0-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl';
const SDIST = 'gmpcext-0.1.0.tar.gz';

const artifacts = new ArtifactService();
const github = new FakeGitHub('o', 'r');
let repo: string;
let action: string;
/** The local index: its packages directory, its URL, and the server process. */
const index = { packages: '', url: '', server: undefined as ChildProcess | undefined };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startIndex(): Promise<void> {
  for (const tool of ['pypi-server', 'twine']) {
    if (!existsSync(path.join(PYPI_VENV, tool))) throw new Error(`${tool} is missing from ${PYPI_VENV}: run scripts/install-deps.sh`);
  }
  index.packages = mkdtempSync(path.join(tmpdir(), 'native-matrix-index-'));
  const port = await freePort();
  index.url = `http://127.0.0.1:${port}`;
  // No authentication, no fallback to pypi.org: only what was uploaded is there.
  index.server = spawn(path.join(PYPI_VENV, 'pypi-server'), ['run', '-i', '127.0.0.1', '-p', String(port), '-a', '.', '-P', '.', '--disable-fallback', '--hash-algo', 'sha256', index.packages], {
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(`${index.url}/simple/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`pypiserver did not answer on ${index.url}`);
}

/** The index's files: name → sha256 and modification time. */
function indexFiles(): Record<string, { sha256: string; mtimeMs: number }> {
  return Object.fromEntries(
    readdirSync(index.packages)
      .sort()
      .map((name) => {
        const file = path.join(index.packages, name);
        return [name, { sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), mtimeMs: statSync(file).mtimeMs }];
      }),
  );
}

function git(args: string[]) {
  const result = spawnSync('git', ['-c', 'user.name=native-matrix', '-c', 'user.email=native-matrix@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
}

beforeAll(async () => {
  await artifacts.start();
  await github.start();
  await startIndex();
  // The action as users get it: action.yml and the bundled dist/.
  action = mkdtempSync(path.join(tmpdir(), 'native-matrix-action-'));
  cpSync(path.join(ROOT, 'action.yml'), path.join(action, 'action.yml'));
  cpSync(path.join(ROOT, 'dist'), path.join(action, 'dist'), { recursive: true });
  // A throwaway project: the gmp-cext fixture with the release workflow.
  repo = mkdtempSync(path.join(tmpdir(), 'native-matrix-act-repo-'));
  cpSync(fixture('gmp-cext'), repo, { recursive: true, filter: (source) => !/(build|\.egg-info|__pycache__)$/.test(source) });
  // No publish.replace: act gives each run a new workspace directory, and
  // the second tag run must still make the same bytes as the first (the
  // build path kept out of the extension, the sdist re-packed), or the
  // published release refuses them.
  writeFileSync(path.join(repo, 'native-matrix.yml'), 'project:\n  import: gmpcext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  release: both\n  pypi: true\n');
  mkdirSync(path.join(repo, '.github/workflows'), { recursive: true });
  cpSync(path.join(ROOT, 'workflows/release.yml'), path.join(repo, '.github/workflows/release.yml'));
  spawnSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  git(['add', '-A']);
  git(['commit', '-qm', 'release']);
  git(['tag', 'v1.0.0']);
});

afterAll(async () => {
  await artifacts.stop();
  await github.stop();
  index.server?.kill();
});

/** A run of act in `cwd` (the project `repo` unless said), with extra arguments such as `-j plan`. */
function act(event: 'push' | 'workflow_dispatch', payload: object, run: string, { cwd = repo, args: extra = [] as string[] } = {}): Promise<{ status: number | null; log: string }> {
  const eventFile = path.join(mkdtempSync(path.join(tmpdir(), 'act-event-')), 'event.json');
  writeFileSync(eventFile, JSON.stringify(payload));
  const env = {
    ...artifacts.env(run, `${run}-job`),
    GITHUB_API_URL: github.base,
    GITHUB_REPOSITORY: 'o/r',
    NATIVE_MATRIX_ACT_SOURCE: cwd,
    ...(process.env.NATIVE_MATRIX_CACHE ? { NATIVE_MATRIX_CACHE: process.env.NATIVE_MATRIX_CACHE } : {}),
    NATIVE_MATRIX_ACT_PYPI_URL: `${index.url}/`,
    NATIVE_MATRIX_ACT_TWINE: path.join(PYPI_VENV, 'twine'),
    NATIVE_MATRIX_ACT_NODE_MODULES: path.join(ROOT, 'node_modules'),
  };
  const args = [
    event,
    '-e',
    eventFile,
    '-P',
    'ubuntu-24.04=-self-hosted',
    '--local-repository',
    `native-matrix/native-matrix@v0=${action}`,
    '--local-repository',
    `${CHECKOUT}=${path.join(ROOT, 'test/act/checkout')}`,
    '--local-repository',
    `${SETUP_PYTHON}=${path.join(ROOT, 'test/act/setup-python')}`,
    '--local-repository',
    `${DOWNLOAD_ARTIFACT}=${path.join(ROOT, 'test/act/download-artifact')}`,
    '--local-repository',
    `${PYPI_PUBLISH}=${path.join(ROOT, 'test/act/pypi-publish')}`,
    '-s',
    'GITHUB_TOKEN=ghs_act',
    ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    ...extra,
  ];
  return new Promise((resolve) => {
    const child = spawn(ACT, args, { cwd, env: { ...process.env, CARGO_TARGET_DIR: undefined } });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (status) => {
      // Kept for reading when a run fails.
      writeFileSync(path.join(tmpdir(), `native-matrix-act-${run}.log`), log);
      resolve({ status, log });
    });
  });
}

describe('workflows/release.yml run whole with act', () => {
  it('on a tag push: plans, builds the wheel and sdist cells, publishes a release with every file and SHA256SUMS, and uploads the wheel and sdist to the index', async () => {
    const run = await act('push', { ref: 'refs/tags/v1.0.0' }, 'run-tag');
    expect(run.status, run.log.slice(-6000)).toBe(0);
    // act numbers the jobs of a matrix: `build linux-x86_64-1`.
    for (const job of ['plan', 'build linux-x86_64(-\\d+)?', 'build sdist(-\\d+)?', 'publish', 'upload to PyPI']) expect(run.log).toMatch(new RegExp(`\\[release/${job}\\s*\\] 🏁  Job succeeded`));
    expect(
      artifacts.artifacts
        .filter((a) => a.run === 'run-tag' && a.finalized)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['native-matrix-linux-x86_64', 'native-matrix-plan', 'native-matrix-sdist', 'pypi-distributions']);
    // Build and publish read the plan job's artifact, and agree on its digest.
    const digest = /Plan (sha256:[0-9a-f]{64}): 2 cells, publishing v1\.0\.0/.exec(run.log)?.[1];
    expect(digest, 'the plan job logs its digest').toBeDefined();
    expect(run.log).toMatch(new RegExp(`\\[release/publish\\s*\\] .*Plan ${digest}: 2 cells`));
    const [release] = github.releases;
    expect(release).toMatchObject({ tag_name: 'v1.0.0', draft: false });
    expect(release!.assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', WHEEL, SDIST].sort());
    const sums = release!.assets.find((a) => a.name === 'SHA256SUMS')!.content.toString();
    expect(sums).toMatch(new RegExp(`^[0-9a-f]{64} {2}${WHEEL.replace(/\./g, '\\.')}\n[0-9a-f]{64} {2}${SDIST.replace(/\./g, '\\.')}\n$`));

    // The index holds exactly the released wheel and sdist, byte for byte.
    const uploaded = indexFiles();
    expect(Object.keys(uploaded)).toEqual([SDIST, WHEEL].sort());
    for (const asset of release!.assets.filter((a) => a.name !== 'SHA256SUMS')) {
      expect(uploaded[asset.name]!.sha256).toBe(createHash('sha256').update(asset.content).digest('hex'));
      expect(sums).toContain(`${uploaded[asset.name]!.sha256}  ${asset.name}\n`);
    }
    // The job checked every sum again, and asked the upload for PyPI with attestations.
    expect(run.log).toMatch(new RegExp(`${WHEEL.replace(/\./g, '\\.')}: OK`));
    expect(run.log).toMatch(/asked for https:\/\/upload\.pypi\.org\/legacy\/ \(skip-existing: true, attestations: true\)/);

    // A user's pip installs it from the index alone, in a fresh venv, and it computes with GMP.
    const venv = mkdtempSync(path.join(tmpdir(), 'native-matrix-index-venv-'));
    const python = path.join(venv, 'bin', 'python');
    expect(spawnSync(pythonPath('3.12'), ['-m', 'venv', venv]).status).toBe(0);
    const install = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-cache-dir', '--index-url', `${index.url}/simple/`, 'gmpcext'], { encoding: 'utf8', cwd: venv });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(install.stdout).toContain(WHEEL);
    const imported = spawnSync(python, ['-I', '-c', 'import math, gmpcext; assert gmpcext.factorial(30) == str(math.factorial(30)); print(gmpcext.__file__)'], { encoding: 'utf8', cwd: venv });
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(venv);
  });

  it('on the same tag again: one release with the same files, and nothing new uploaded to the index', async () => {
    const before = indexFiles();
    // Names and bytes: the run builds in another workspace directory, without publish.replace.
    const assetsBefore = github.releases[0]!.assets.map((a) => [a.name, a.content.toString('base64')]).sort();
    const run = await act('push', { ref: 'refs/tags/v1.0.0' }, 'run-tag-again');
    expect(run.status, run.log.slice(-6000)).toBe(0);
    expect(run.log).toMatch(/\[release\/upload to PyPI\s*\] 🏁 {2}Job succeeded/);
    expect(indexFiles()).toEqual(before);
    expect(run.log).toContain('Skipping gmpcext-0.1.0.tar.gz: the index already has it');
    expect(run.log).toContain(`Skipping ${WHEEL}: the index already has it`);
    expect(github.releases).toHaveLength(1);
    expect(github.releases[0]!.assets.map((a) => [a.name, a.content.toString('base64')]).sort()).toEqual(assetsBefore);
  });

  it('on a workflow_dispatch that does not ask to publish: builds and creates no release, uploads nothing', async () => {
    const releasesBefore = github.releases.length;
    const indexBefore = indexFiles();
    const run = await act('workflow_dispatch', { ref: 'refs/heads/main', inputs: { platforms: 'linux-x86_64', python: '3.12', publish: false } }, 'run-dispatch');
    expect(run.status, run.log.slice(-6000)).toBe(0);
    expect(
      artifacts.artifacts
        .filter((a) => a.run === 'run-dispatch' && a.finalized)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['native-matrix-linux-x86_64', 'native-matrix-plan', 'native-matrix-sdist']);
    expect(github.releases.length).toBe(releasesBefore);
    expect(run.log).toMatch(/\[release\/build linux-x86_64(-\d+)?\s*\] 🏁 {2}Job succeeded/);
    // The publish and pypi jobs' conditions (the plan's outputs) are false: they never start.
    expect(run.log).not.toContain('[release/publish');
    expect(run.log).not.toContain('[release/upload to PyPI');
    expect(indexFiles()).toEqual(indexBefore);
  });

  it('on a workflow_dispatch that asks to publish without a tag: the plan job fails at once, and nothing builds', async () => {
    const releasesBefore = github.releases.length;
    const run = await act('workflow_dispatch', { ref: 'refs/heads/main', inputs: { publish: true } }, 'run-no-tag');
    expect(run.status).not.toBe(0);
    expect(run.log).toContain('asks to publish a release but names no tag, and does not run on a tag');
    expect(run.log).toMatch(/\[release\/plan\s*\] .*Job failed/);
    expect(run.log).not.toMatch(/\[release\/build/);
    expect(artifacts.artifacts.filter((a) => a.run === 'run-no-tag')).toEqual([]);
    expect(github.releases.length).toBe(releasesBefore);
  });
});

describe('workflows/release.yml with macos.build-on: linux', () => {
  it('plans the macOS cells on the ubuntu runner, each verified on its own Mac by a job that publish and pypi wait for', async () => {
    // A PyO3 project (the route builds no setuptools C extension for macOS), asking for its macOS cells to be built on Linux.
    const macRepo = mkdtempSync(path.join(tmpdir(), 'native-matrix-act-macos-'));
    cpSync(fixture('qsym-like'), macRepo, { recursive: true, filter: (source) => !/(target|__pycache__)$/.test(source) });
    cpSync(path.join(repo, '.github'), path.join(macRepo, '.github'), { recursive: true });
    writeFileSync(
      path.join(macRepo, 'native-matrix.yml'),
      'project:\n  path: crates/qsym-python\n  import: qsymlike\nmatrix:\n  platforms: [linux-x86_64, macos-x86_64, macos-arm64]\n  python: ["3.12"]\nmacos:\n  build-on: linux\npublish:\n  release: both\n  pypi: true\n',
    );
    const inRepo = (args: string[]) => spawnSync('git', ['-c', 'user.name=native-matrix', '-c', 'user.email=native-matrix@example.invalid', ...args], { cwd: macRepo, encoding: 'utf8' });
    inRepo(['init', '-q', '-b', 'main']);
    inRepo(['add', '-A']);
    expect(inRepo(['commit', '-qm', 'release']).status).toBe(0);

    // The job graph as act reads it: verify after build, publish and pypi after verify.
    const list = spawnSync(ACT, ['--list'], { cwd: macRepo, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    const stages = Object.fromEntries([...list.stdout.matchAll(/^(\d+)\s+(\S+)\s/gm)].map((m) => [m[2]!, Number(m[1])]));
    expect(stages).toEqual({ plan: 0, build: 1, verify: 2, publish: 3, pypi: 4 });

    // The plan job, run for real: its matrix and the verify job's.
    const run = await act('workflow_dispatch', { ref: 'refs/heads/main', inputs: { publish: false } }, 'run-macos-plan', { cwd: macRepo, args: ['-j', 'plan'] });
    expect(run.status, run.log.slice(-6000)).toBe(0);
    // act logs each step's outputs: the plan step's matrix, then the verify step's (the job's `verify`).
    const outputs = [...run.log.matchAll(/::set-output:: matrix=(\{.*\})\s*$/gm)].map(
      (m) => (JSON.parse(m[1]!) as { include: { id: string; runner: string; verify?: string; target: string }[] }).include,
    );
    expect(outputs).toHaveLength(2);
    expect(outputs[0]!.map((c) => [c.id, c.runner, c.verify ?? null, c.target])).toEqual([
      ['linux-x86_64-abi3', 'ubuntu-24.04', null, 'x86_64-unknown-linux-gnu'],
      ['macos-x86_64-abi3', 'ubuntu-24.04', 'macos-15-intel', 'x86_64-apple-darwin'],
      ['macos-arm64-abi3', 'ubuntu-24.04', 'macos-14', 'aarch64-apple-darwin'],
      ['sdist', 'ubuntu-24.04', null, 'x86_64-unknown-linux-gnu'],
    ]);
    expect(outputs[1]!.map((c) => [c.id, c.runner, c.verify])).toEqual([
      ['macos-x86_64-abi3', 'ubuntu-24.04', 'macos-15-intel'],
      ['macos-arm64-abi3', 'ubuntu-24.04', 'macos-14'],
    ]);
    // The plan's summary: the estimate follows the runners. Every build on
    // Linux (7 + 9 + 7 + 7 minutes, ×1), one import per Mac (1 + 1, ×10),
    // where the Mac runners would have billed 7 + 90 + 70 + 7.
    expect(run.log).toContain('**4 cells**, about 32 runner minutes (50 billed minutes');
  });
});
