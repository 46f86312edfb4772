import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactService } from '../helpers/artifact-service.js';
import { FakeGitHub } from '../helpers/fake-github.js';
import { fixture, ROOT } from '../helpers/engine.js';

// Whole runs of workflows/release.yml with nektos/act on this host: the
// workflow file users copy, unchanged, with the external actions replaced by
// small local stand-ins (test/act/), artifacts going through a local artifact
// service, and releases to a local GitHub.
const ACT = path.join(ROOT, '.cache/bin/act');
const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';
const SETUP_PYTHON = 'actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065';

const artifacts = new ArtifactService();
const github = new FakeGitHub('o', 'r');
let repo: string;
let action: string;

function git(args: string[]) {
  const result = spawnSync('git', ['-c', 'user.name=native-matrix', '-c', 'user.email=native-matrix@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
}

beforeAll(async () => {
  await artifacts.start();
  await github.start();
  // The action as users get it: action.yml and the bundled dist/.
  action = mkdtempSync(path.join(tmpdir(), 'native-matrix-action-'));
  cpSync(path.join(ROOT, 'action.yml'), path.join(action, 'action.yml'));
  cpSync(path.join(ROOT, 'dist'), path.join(action, 'dist'), { recursive: true });
  // A throwaway project: the gmp-cext fixture with the release workflow.
  repo = mkdtempSync(path.join(tmpdir(), 'native-matrix-act-repo-'));
  cpSync(fixture('gmp-cext'), repo, { recursive: true, filter: (source) => !/(build|\.egg-info|__pycache__)$/.test(source) });
  writeFileSync(path.join(repo, 'native-matrix.yml'), 'project:\n  import: gmpcext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  release: both\n');
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
});

function act(event: 'push' | 'workflow_dispatch', payload: object, run: string): Promise<{ status: number | null; log: string }> {
  const eventFile = path.join(mkdtempSync(path.join(tmpdir(), 'act-event-')), 'event.json');
  writeFileSync(eventFile, JSON.stringify(payload));
  const env = {
    ...artifacts.env(run, `${run}-job`),
    GITHUB_API_URL: github.base,
    GITHUB_REPOSITORY: 'o/r',
    NATIVE_MATRIX_ACT_SOURCE: repo,
    ...(process.env.NATIVE_MATRIX_CACHE ? { NATIVE_MATRIX_CACHE: process.env.NATIVE_MATRIX_CACHE } : {}),
  };
  const args = [
    event, '-e', eventFile,
    '-P', 'ubuntu-24.04=-self-hosted',
    '--local-repository', `native-matrix/native-matrix@v0=${action}`,
    '--local-repository', `${CHECKOUT}=${path.join(ROOT, 'test/act/checkout')}`,
    '--local-repository', `${SETUP_PYTHON}=${path.join(ROOT, 'test/act/setup-python')}`,
    '-s', 'GITHUB_TOKEN=ghs_act',
    ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  ];
  return new Promise((resolve) => {
    const child = spawn(ACT, args, { cwd: repo, env: { ...process.env, CARGO_TARGET_DIR: undefined } as NodeJS.ProcessEnv });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d));
    child.stderr.on('data', (d: Buffer) => (log += d));
    child.on('close', (status) => {
      // Kept for reading when a run fails.
      writeFileSync(path.join(tmpdir(), `native-matrix-act-${run}.log`), log);
      resolve({ status, log });
    });
  });
}

describe('workflows/release.yml run whole with act', () => {
  it('on a tag push: plans, builds, uploads the artifact, and publishes a release with every wheel and SHA256SUMS', async () => {
    const run = await act('push', { ref: 'refs/tags/v1.0.0' }, 'run-tag');
    expect(run.status, run.log.slice(-6000)).toBe(0);
    for (const job of ['plan', 'build linux-x86_64', 'publish']) expect(run.log).toMatch(new RegExp(`\\[release/${job}\\s*\\] 🏁  Job succeeded`));
    expect(artifacts.artifacts.filter((a) => a.run === 'run-tag' && a.finalized).map((a) => a.name)).toEqual(['native-matrix-plan', 'native-matrix-linux-x86_64']);
    // Build and publish read the plan job's artifact, and agree on its digest.
    const digest = /Plan (sha256:[0-9a-f]{64}): 1 cells, publishing v1\.0\.0/.exec(run.log)?.[1];
    expect(digest, 'the plan job logs its digest').toBeDefined();
    expect(run.log).toMatch(new RegExp(`\\[release/publish\\s*\\] .*Plan ${digest}: 1 cells`));
    const [release] = github.releases;
    expect(release).toMatchObject({ tag_name: 'v1.0.0', draft: false });
    expect(release!.assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', 'gmpcext-0.1.0-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl']);
    expect(release!.assets.find((a) => a.name === 'SHA256SUMS')!.content.toString()).toMatch(/^[0-9a-f]{64} {2}gmpcext-0\.1\.0-cp312-cp312-manylinux2014_x86_64\.manylinux_2_17_x86_64\.whl\n$/);
  });

  it('on a workflow_dispatch that does not ask to publish: builds and creates no release', async () => {
    const releasesBefore = github.releases.length;
    const run = await act('workflow_dispatch', { ref: 'refs/heads/main', inputs: { platforms: 'linux-x86_64', python: '3.12', publish: false } }, 'run-dispatch');
    expect(run.status, run.log.slice(-6000)).toBe(0);
    expect(artifacts.artifacts.filter((a) => a.run === 'run-dispatch' && a.finalized).map((a) => a.name)).toEqual(['native-matrix-plan', 'native-matrix-linux-x86_64']);
    expect(github.releases.length).toBe(releasesBefore);
    expect(run.log).toMatch(/\[release\/build linux-x86_64\s*\] 🏁  Job succeeded/);
    // The publish job's condition (the plan's publish output) is false: it never starts.
    expect(run.log).not.toContain('[release/publish');
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
