import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DefaultArtifactClient } from '@actions/artifact';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { downloadCellArtifacts, uploadCellArtifact } from '../../src/github/artifacts.js';
import { artifactName } from '../../src/core/names.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { planMatrix } from '../../src/plan/planner.js';
import { planFile } from '../../src/plan/plan-file.js';
import { gatherCells } from '../../src/publish/gather.js';
import { ArtifactService } from '../helpers/artifact-service.js';
import { writeCell } from '../helpers/cells.js';
import { BUILT_COMMIT, FakeGitHub } from '../helpers/fake-github.js';
import { parseGitHubOutput } from '../helpers/github-files.js';
import { ABI3_MATURIN_PROJECT, makeProject } from '../helpers/project.js';

const ACTION = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');
const CONFIG = 'matrix:\n  platforms: [linux-x86_64, windows-x86_64]\n  python: ["3.12", "3.13"]\n';
const service = new ArtifactService();
const saved = { ...process.env };

beforeAll(async () => {
  await service.start();
  Object.assign(process.env, service.env());
});
afterAll(async () => {
  process.env = saved;
  await service.stop();
});

const catalog = loadCatalog();
const config = validateConfig(parseYamlConfig(CONFIG, 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
const plan = planMatrix({ config, catalog, project: { backend: 'maturin', abi3: { enabled: true, floor: { major: 3, minor: 10 } } } });
/** The plan the plan step makes on the tag push v1.2.3, whose digest the cells record. */
const PLAN = planFile(plan.cells, true, 'v1.2.3');

/** Each build cell uploads its directory as its own artifact, as the build step does. */
async function uploadCells() {
  const built = mkdtempSync(path.join(tmpdir(), 'built-'));
  const cells = [
    writeCell(built, 'linux-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl': 'linux wheel '.repeat(1000) }, { plan: PLAN.digest }),
    writeCell(built, 'windows-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-win_amd64.whl': 'windows wheel '.repeat(1000) }, { plan: PLAN.digest }),
    writeCell(built, 'sdist', { 'demo-1.2.3.tar.gz': 'source '.repeat(1000) }, { plan: PLAN.digest }),
  ];
  for (const dir of cells) await uploadCellArtifact(artifactName(path.basename(dir)), dir);
}

describe('artifacts through a local artifact service (Twirp ArtifactService + blob storage)', () => {
  it('round-trips every cell: uploaded by build, downloaded by publish, every sha256 intact', async () => {
    await uploadCells();
    expect(
      service.artifacts
        .filter((a) => a.finalized)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['native-matrix-linux-x86_64-abi3', 'native-matrix-sdist', 'native-matrix-windows-x86_64-abi3']);

    const downloaded = mkdtempSync(path.join(tmpdir(), 'downloaded-'));
    expect(await downloadCellArtifacts(downloaded)).toEqual(['native-matrix-linux-x86_64-abi3', 'native-matrix-sdist', 'native-matrix-windows-x86_64-abi3']);
    const gathered = await gatherCells(downloaded, plan.cells, PLAN.digest);
    expect(gathered.files.map((f) => [f.name, f.cellId])).toEqual([
      ['demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl', 'linux-x86_64-abi3'],
      ['demo-1.2.3-cp310-abi3-win_amd64.whl', 'windows-x86_64-abi3'],
      ['demo-1.2.3.tar.gz', 'sdist'],
    ]);
  });

  it('lets a re-run attempt of a build job upload its cell again, where the service refuses a second artifact of one name', async () => {
    const name = artifactName('linux-x86_64-abi3');
    const attempt = (job: string, text: string) => {
      Object.assign(process.env, service.env('run-rerun', job));
      return writeCell(mkdtempSync(path.join(tmpdir(), `${job}-`)), 'linux-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl': text });
    };
    try {
      const first = attempt('attempt-1', 'first build');
      await uploadCellArtifact(name, first);
      // What GitHub does to an upload that reuses a name: 409, no second artifact.
      const raw = new DefaultArtifactClient().uploadArtifact(name, [path.join(first, 'manifest.json')], first);
      await expect(raw).rejects.toThrow(/409|already exists/);
      // "Re-run failed jobs": another job of the same run uploads the cell again.
      const second = attempt('attempt-2', 'second build');
      await uploadCellArtifact(name, second);
      const ours = service.artifacts.filter((a) => a.run === 'run-rerun');
      expect(ours.map((a) => [a.name, a.job, a.finalized])).toEqual([[name, 'attempt-2', true]]);
      // The first attempt found nothing to delete; the second deleted the first's artifact.
      expect(service.calls.filter((c) => c === 'DeleteArtifact')).toHaveLength(1);
      // The artifact holds the second attempt's files.
      const downloaded = mkdtempSync(path.join(tmpdir(), 'rerun-download-'));
      expect(await downloadCellArtifacts(downloaded)).toEqual([name]);
      expect(readFileSync(path.join(downloaded, name, 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl'), 'utf8')).toBe('second build');
    } finally {
      Object.assign(process.env, service.env());
    }
  });

  it('dist/index.js plan uploads the plan; publish downloads it with the artifacts, publishes its cells under its tag as on a tag push, and hands the verified distributions to the pypi job', async () => {
    const github = await new FakeGitHub('o', 'r').start();
    try {
      const workspace = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': `${CONFIG}publish:\n  pypi: true\n` });
      const runnerTemp = mkdtempSync(path.join(tmpdir(), 'runner-'));
      const output = path.join(runnerTemp, 'output');
      writeFileSync(output, '');
      writeFileSync(path.join(runnerTemp, 'plan-output'), '');
      const summary = path.join(runnerTemp, 'summary.md');
      writeFileSync(summary, '');
      const env = {
        GITHUB_STEP_SUMMARY: summary,
        PATH: process.env.PATH!,
        ...service.env(),
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: output,
        GITHUB_REF: 'refs/tags/v1.2.3',
        GITHUB_SHA: BUILT_COMMIT,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_API_URL: github.base,
        RUNNER_TEMP: runnerTemp,
        INPUT_COMMAND: 'publish',
        'INPUT_GITHUB-TOKEN': 'ghs_secret',
        'INPUT_DRY-RUN': 'false',
        'INPUT_WORKING-DIRECTORY': '.',
      };
      const action = (overrides: Record<string, string>) =>
        new Promise<{ status: number | null; stdout: string }>((resolve) => {
          const child = spawn(process.execPath, [ACTION], { cwd: workspace, env: { ...env, ...overrides } });
          let stdout = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
          child.on('close', (status) => resolve({ status, stdout }));
        });
      const planned = await action({ INPUT_COMMAND: 'plan', RUNNER_TEMP: mkdtempSync(path.join(tmpdir(), 'runner-plan-')), GITHUB_OUTPUT: path.join(runnerTemp, 'plan-output') });
      expect(planned.status, planned.stdout).toBe(0);
      expect(planned.stdout).toContain(`Plan ${PLAN.digest}: 3 cells, publishing v1.2.3`);
      expect(service.artifacts.filter((a) => a.finalized).map((a) => a.name)).toContain('native-matrix-plan');
      // The tag comes from the plan: the publish step sees a branch.
      const run = await action({ GITHUB_REF: 'refs/heads/main' });
      expect(run.status, run.stdout).toBe(0);
      expect(run.stdout).toContain(`Plan ${PLAN.digest}: 3 cells`);
      // Only in the runner's own masking command, which the log never shows.
      expect(run.stdout.replace('::add-mask::ghs_secret', '')).not.toContain('ghs_secret');
      // Without id-token permission: one line, and the release goes on.
      expect(run.stdout).toContain('Provenance not attested: no id-token permission (grant `id-token: write` and `attestations: write` to attest the release files)');
      const outputs = parseGitHubOutput(output);
      expect(outputs).toEqual({ assets: '4', 'release-url': 'https://github.example/o/r/releases/tag/v1.2.3' });
      expect(github.releases[0]!.assets.map((a) => a.name).sort()).toEqual([
        'SHA256SUMS',
        'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl',
        'demo-1.2.3-cp310-abi3-win_amd64.whl',
        'demo-1.2.3.tar.gz',
      ]);
      expect(github.releases[0]!.draft).toBe(false);
      expect(readFileSync(summary, 'utf8')).toContain('4 added, 0 replaced, 0 already there, 0 removed.');
      // The tag did not exist: publishing made it at the commit built.
      expect(github.tags.get('v1.2.3')?.commit).toBe(BUILT_COMMIT);
      const sums = github.releases[0]!.assets.find((a) => a.name === 'SHA256SUMS')!.content.toString();
      expect(sums.split('\n').filter(Boolean)).toHaveLength(3);

      // The pypi job's artifact: the same verified files under dist/, and their sums beside.
      const handed = service.artifacts.find((a) => a.name === 'pypi-distributions' && a.finalized);
      expect(handed).toBeDefined();
      const received = mkdtempSync(path.join(tmpdir(), 'pypi-'));
      await new DefaultArtifactClient().downloadArtifact(handed!.id, { path: received });
      expect(readdirSync(path.join(received, 'dist')).sort()).toEqual(['demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl', 'demo-1.2.3-cp310-abi3-win_amd64.whl', 'demo-1.2.3.tar.gz']);
      expect(readFileSync(path.join(received, 'SHA256SUMS'), 'utf8')).toBe(sums);
      const check = spawnSync('sha256sum', ['--check', '--strict', '../SHA256SUMS'], { cwd: path.join(received, 'dist'), encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
      expect(run.stdout).toContain('Hand 3 files to the pypi job');
    } finally {
      await github.stop();
    }
  }, 60_000);
});
