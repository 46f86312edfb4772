import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanFile } from '../../src/plan/plan-file.js';
import type { Manifest } from '../../src/stages/manifest.js';
import { ArtifactService } from '../helpers/artifact-service.js';
import { CARGO_TARGET_DIR, embeddedPythonsEnv, fixture, machineEnv, ROOT } from '../helpers/engine.js';
import { parseGitHubOutput } from '../helpers/github-files.js';

const service = new ArtifactService();
beforeAll(async () => {
  await service.start();
});
afterAll(async () => {
  await service.stop();
});

function runAction(args: { cwd: string; env: Record<string, string> }): Promise<{ status: number | null; log: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/index.js')], { cwd: args.cwd, env: args.env });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (status) => resolve({ status, log }));
  });
}

describe('dist/index.js build, as a matrix job runs it', () => {
  it('builds the cell, uploads it as native-matrix-<cell id>, and writes outputs and the summary', async () => {
    const workspace = fixture('qsym-like');
    const runnerTemp = mkdtempSync(path.join(tmpdir(), 'runner-'));
    const [output, summary] = [path.join(runnerTemp, 'output'), path.join(runnerTemp, 'summary')];
    writeFileSync(output, '');
    writeFileSync(summary, '');
    // The plan job: it uploads the plan that the build job reads.
    const planTemp = mkdtempSync(path.join(tmpdir(), 'runner-plan-'));
    writeFileSync(path.join(planTemp, 'output'), '');
    const planned = await runAction({
      cwd: workspace,
      env: {
        PATH: process.env.PATH!,
        ...service.env('run-build', 'job-plan'),
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: path.join(planTemp, 'output'),
        GITHUB_REF: 'refs/heads/main',
        GITHUB_EVENT_NAME: 'push',
        RUNNER_TEMP: planTemp,
        INPUT_COMMAND: 'plan',
        'INPUT_WORKING-DIRECTORY': '.',
      },
    });
    expect(planned.status, planned.log).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(planTemp, 'native-matrix-plan', 'plan.json'), 'utf8')) as PlanFile;
    const cell = plan.plan.cells[0]!;
    expect(JSON.parse(parseGitHubOutput(path.join(planTemp, 'output')).matrix!)).toEqual({ include: plan.plan.cells });
    const run = await runAction({
      cwd: workspace,
      env: {
        PATH: embeddedPythonsEnv().PATH!,
        ...machineEnv(),
        CARGO_TARGET_DIR,
        ...service.env('run-build', 'job-linux'),
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_EVENT_NAME: 'push',
        RUNNER_TEMP: runnerTemp,
        INPUT_COMMAND: 'build',
        INPUT_CELL: JSON.stringify(cell),
        INPUT_PYTHON: '3.12',
        'INPUT_WORKING-DIRECTORY': '.',
        'INPUT_DRY-RUN': 'false',
      },
    });
    expect(run.status, run.log).toBe(0);
    expect(run.log).toContain('::group::Provision GMP');
    const outputs = parseGitHubOutput(output);
    expect(outputs.artifact).toBe('native-matrix-linux-x86_64-abi3');
    const manifest = JSON.parse(readFileSync(outputs.manifest!, 'utf8')) as Manifest;
    expect(manifest.ok).toBe(true);
    expect(manifest.cell.python).toEqual(['3.12']);
    expect(manifest.plan).toBe(plan.digest);
    expect(service.artifacts.map((a) => [a.name, a.finalized])).toEqual([
      ['native-matrix-plan', true],
      ['native-matrix-linux-x86_64-abi3', true],
    ]);
    // The artifact holds exactly the cell's directory: its manifest and its wheel.
    const zip = path.join(mkdtempSync(path.join(tmpdir(), 'artifact-')), 'artifact.zip');
    writeFileSync(zip, service.artifacts.find((a) => a.name === 'native-matrix-linux-x86_64-abi3')!.content!);
    const listing = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' });
    expect(listing.stdout.trim().split('\n').sort()).toEqual([manifest.files[0]!.name, 'build.log', 'manifest.json'].sort());
    expect(readFileSync(summary, 'utf8')).toContain(`| \`${manifest.files[0]!.name}\` |`);
  });
});
