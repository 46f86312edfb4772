import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planDigest, type PlanFile } from '../../src/plan/plan-file.js';
import { actionEnv, parseGitHubOutput } from '../helpers/github-files.js';
import { ABI3_MATURIN_PROJECT, makeProject } from '../helpers/project.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ACTION = path.join(root, 'dist/index.js');

const CONFIG = `matrix:
  platforms: [linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-x86_64]
  python: ["3.11", "3.12", "3.13", "3.14"]
`;

/** Runs dist/index.js exactly as the runner does: INPUT_* variables and the GITHUB_* files. */
function runAction(options: { inputs: Record<string, string>; event: string; ref: string; payload?: object; files?: Record<string, string> }) {
  const workspace = makeProject(options.files ?? { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG });
  const runnerTemp = mkdtempSync(path.join(tmpdir(), 'runner-'));
  const output = path.join(runnerTemp, 'output');
  const summary = path.join(runnerTemp, 'summary');
  const eventPath = path.join(runnerTemp, 'event.json');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  writeFileSync(eventPath, JSON.stringify(options.payload ?? {}));
  const result = spawnSync(process.execPath, [ACTION], {
    cwd: workspace,
    encoding: 'utf8',
    env: actionEnv({ workspace, runnerTemp, output, event: options.event, ref: options.ref, inputs: options.inputs, extra: { GITHUB_STEP_SUMMARY: summary, GITHUB_EVENT_PATH: eventPath } }),
  });
  return { ...result, outputs: parseGitHubOutput(output), summary: readFileSync(summary, 'utf8'), runnerTemp };
}

describe('dist/index.js run as GitHub runs it', () => {
  it('plans on a tag push: matrix, cells and publish=true, and a summary table', () => {
    const run = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/tags/v1.0.0' });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: { id: string; python: string; runner: string }[] };
    expect(matrix.include.map((c) => c.id)).toEqual(['linux-x86_64-abi3', 'linux-aarch64-abi3', 'macos-x86_64-abi3', 'macos-arm64-abi3', 'windows-x86_64-abi3', 'sdist']);
    // The sdist is built and proven once, on Linux, with the newest Python of the plan.
    expect(matrix.include.at(-1)).toMatchObject({ id: 'sdist', platform: 'linux-x86_64', runner: 'ubuntu-24.04', python: '3.14', wheel: true, sdist: true });
    expect(matrix.include[0]!.python).toBe('3.11\n3.12\n3.13\n3.14');
    expect(run.outputs.cells).toBe('6');
    expect(run.outputs.publish).toBe('true');
    // publish.pypi is off by default.
    expect(run.outputs.pypi).toBe('false');
    expect(run.summary).toContain('| platform | runner | tag | 3.11 | 3.12 | 3.13 | 3.14 |');
    expect(run.summary).toMatch(/\| linux-x86_64 \| `ubuntu-24\.04` \| `manylinux_2_17_x86_64` \|/);
    expect(run.summary).toContain('| windows-x86_64 | `windows-2025` | `win_amd64` | `windows-x86_64-abi3` | `windows-x86_64-abi3` | `windows-x86_64-abi3` | `windows-x86_64-abi3` |');
    // 4 platforms × (build + 4 smokes): linux 10+10, macos 12+10, windows 14, and the sdist (Linux: build + 1 smoke) 7 → 63 minutes.
    expect(run.summary).toContain('| sdist | `ubuntu-24.04` | `source` | — | — | — | `sdist` |');
    expect(run.summary).toContain('**6 cells**, about 63 runner minutes (275 billed minutes');
    // The plan for build and publish: the same cells, the tag, and the digest that proves them.
    const planPath = path.join(run.runnerTemp, 'native-matrix-plan', 'plan.json');
    const plan = JSON.parse(readFileSync(planPath, 'utf8')) as PlanFile;
    expect(plan.plan).toEqual({ schema: 1, cells: matrix.include, publish: true, tag: 'v1.0.0' });
    expect(plan.digest).toBe(planDigest(plan.plan));
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.stdout).toContain(`Plan ${plan.digest}: 6 cells, publishing v1.0.0`);
  });

  it('does not publish on a branch push', () => {
    const run = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/heads/main' });
    expect(run.status, run.stdout).toBe(0);
    expect(run.outputs.publish).toBe('false');
  });

  it('publishes on a dispatch that asks for it, with a tag, when the config allows', () => {
    const files = { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': `${CONFIG}publish:\n  release: both\n` };
    const asked = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'true', tag: 'v2.0.0' } }, files });
    expect(asked.status, asked.stdout).toBe(0);
    expect(asked.outputs.publish).toBe('true');
    expect((JSON.parse(readFileSync(path.join(asked.runnerTemp, 'native-matrix-plan', 'plan.json'), 'utf8')) as PlanFile).plan.tag).toBe('v2.0.0');
    // The tag input of the plan step does as well.
    const byInput = runAction({ inputs: { command: 'plan', tag: 'v2.0.1' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'true' } }, files });
    expect(byInput.status, byInput.stdout).toBe(0);
    expect((JSON.parse(readFileSync(path.join(byInput.runnerTemp, 'native-matrix-plan', 'plan.json'), 'utf8')) as PlanFile).plan.tag).toBe('v2.0.1');
    // Asked to publish from a branch without a tag: the plan job fails at once, with no matrix to build.
    const noTag = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'true' } }, files });
    expect(noTag.status).toBe(1);
    expect(noTag.stdout).toContain(
      'tag: this workflow_dispatch run asks to publish a release but names no tag, and does not run on a tag; run the workflow with its `tag` input set to the release tag',
    );
    expect(noTag.outputs).toEqual({});
    expect(existsSync(path.join(noTag.runnerTemp, 'native-matrix-plan'))).toBe(false);
    const notAsked = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'false' } }, files });
    expect(notAsked.outputs.publish).toBe('false');
    // The default, release: on-tag, publishes no dispatch, asked or not.
    const notAllowed = runAction({
      inputs: { command: 'plan' },
      event: 'workflow_dispatch',
      ref: 'refs/heads/main',
      payload: { inputs: { publish: 'true' } },
      files: { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG },
    });
    expect(notAllowed.status, notAllowed.stdout).toBe(0);
    expect(notAllowed.outputs.publish).toBe('false');
  });

  it('narrows by the platforms and python inputs', () => {
    const run = runAction({ inputs: { command: 'plan', platforms: 'linux-x86_64,windows-x86_64', python: '3.12\n3.13' }, event: 'workflow_dispatch', ref: 'refs/heads/main' });
    expect(run.status, run.stdout).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: { id: string; python: string }[] };
    expect(matrix.include.map((c) => [c.id, c.python])).toEqual([
      ['linux-x86_64-abi3', '3.12\n3.13'],
      ['windows-x86_64-abi3', '3.12\n3.13'],
      ['sdist', '3.13'],
    ]);
  });

  it('fails a malformed config with an annotation at file and line, and writes no outputs', () => {
    const files = { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64]\n  python: ["3.8"]\n' };
    const run = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/tags/v1.0.0', files });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      '::error title=native-matrix,file=native-matrix.yml,line=3,col=12::native-matrix.yml:3: matrix.python[0]: "3.8" is end-of-life and not in the catalog; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
    );
    expect(run.outputs).toEqual({});
    expect(run.summary).toBe('');
  });

  it('rejects an unknown command', () => {
    const run = runAction({ inputs: { command: 'deploy' }, event: 'push', ref: 'refs/heads/main' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('input command: "deploy" is not a command; set command: to plan, build, verify, publish');
  });

  it('verify: needs the cell, and the workflow run whose artifact it downloads', () => {
    const noCell = runAction({ inputs: { command: 'verify' }, event: 'push', ref: 'refs/tags/v1.0.0' });
    expect(noCell.status).toBe(1);
    expect(noCell.stdout).toContain('input cell: is required for command: verify; pass cell: ${{ toJSON(matrix) }} in a job whose matrix comes from the plan');
    const planned = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/tags/v1.0.0' });
    const cell = (JSON.parse(planned.outputs.matrix!) as { include: { id: string }[] }).include.find((c) => c.id === 'macos-arm64-abi3');
    // Outside a job of a workflow run there is no artifact to verify: said plainly, before anything runs.
    const outside = runAction({ inputs: { command: 'verify', cell: JSON.stringify(cell) }, event: 'push', ref: 'refs/tags/v1.0.0' });
    expect(outside.status).toBe(1);
    expect(outside.stdout).toContain("downloading native-matrix-macos-arm64-abi3 needs the workflow run's artifact service");
    expect(outside.outputs).toEqual({});
  });

  it('is the committed bundle', () => {
    expect(existsSync(ACTION)).toBe(true);
    expect(readFileSync(path.join(root, 'action.yml'), 'utf8')).toMatch(/using: node24\n\s+main: dist\/index.js/);
  });
});
