import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactService } from '../helpers/artifact-service.js';
import { fixture, machineEnv, ROOT } from '../helpers/engine.js';
import { parseGitHubOutput } from '../helpers/github-files.js';

const service = new ArtifactService();
beforeAll(async () => {
  await service.start();
});
afterAll(async () => {
  await service.stop();
});

/** One attempt of a build job: dist/index.js as the runner starts it, in its own job of the run. */
function attempt(workspace: string, cell: string, job: string, command = 'build'): Promise<{ status: number | null; log: string; outputs: Record<string, string>; runnerTemp: string }> {
  const runnerTemp = mkdtempSync(path.join(tmpdir(), `runner-${job}-`));
  const output = path.join(runnerTemp, 'output');
  writeFileSync(output, '');
  const env = {
    PATH: process.env.PATH!,
    ...machineEnv(),
    ...service.env('run-rerun', job),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: output,
    GITHUB_REF: 'refs/tags/v1.0.0',
    GITHUB_EVENT_NAME: 'push',
    RUNNER_TEMP: runnerTemp,
    INPUT_COMMAND: command,
    INPUT_CELL: cell,
    INPUT_PYTHON: '3.12',
    'INPUT_WORKING-DIRECTORY': '.',
    'INPUT_DRY-RUN': 'false',
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/index.js')], { cwd: workspace, env });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (status) => resolve({ status, log, outputs: parseGitHubOutput(output), runnerTemp }));
  });
}

describe('"Re-run failed jobs" of a build job', () => {
  // The service answers 409 to a second artifact of one name in a run, as GitHub does (test/unit/artifacts.test.ts).
  it("uploads the cell again in place of the first attempt's artifact", async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), 'rerun-project-'));
    cpSync(fixture('gmp-cext'), workspace, { recursive: true, filter: (source) => !/(build|\.egg-info|__pycache__)$/.test(source) });
    writeFileSync(path.join(workspace, 'native-matrix.yml'), 'project:\n  import: gmpcext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\n');

    // The plan job of the run: it uploads the plan that every build attempt reads.
    const planned = await attempt(workspace, '', 'job-plan', 'plan');
    expect(planned.status, planned.log).toBe(0);
    const cell = JSON.stringify((JSON.parse(planned.outputs.matrix!) as { include: object[] }).include[0]);

    const first = await attempt(workspace, cell, 'attempt-1');
    expect(first.status, first.log).toBe(0);
    const name = first.outputs.artifact!;
    expect(service.artifacts.map((a) => [a.name, a.job])).toEqual([
      ['native-matrix-plan', 'job-plan'],
      [name, 'attempt-1'],
    ]);

    const second = await attempt(workspace, cell, 'attempt-2');
    expect(second.status, second.log).toBe(0);
    // The conflict as the artifact client reports it (not any "409" in the log: a wheel's sha256 may hold one).
    expect(second.log).not.toMatch(/\[Response\] - 409\b|\(409\)|\b409 Conflict/);
    expect(service.artifacts.map((a) => [a.name, a.job, a.finalized])).toEqual([
      ['native-matrix-plan', 'job-plan', true],
      [name, 'attempt-2', true],
    ]);
    expect(service.calls).toContain('DeleteArtifact');
  });
});
