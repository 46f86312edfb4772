import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGitHubOutput } from '../helpers/github-files.js';
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
  const inputs = Object.fromEntries(Object.entries(options.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
  const result = spawnSync(process.execPath, [ACTION], {
    cwd: workspace,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_EVENT_NAME: options.event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: options.ref,
      RUNNER_TEMP: runnerTemp,
      // GitHub passes every declared input, empty when unset.
      'INPUT_WORKING-DIRECTORY': '.',
      INPUT_CONFIG: '',
      INPUT_PLATFORMS: '',
      INPUT_PYTHON: '',
      'INPUT_DRY-RUN': 'false',
      ...inputs,
    },
  });
  return { ...result, outputs: parseGitHubOutput(output), summary: readFileSync(summary, 'utf8') };
}

describe('dist/index.js run as GitHub runs it', () => {
  it('plans on a tag push: matrix, cells and publish=true, and a summary table', () => {
    const run = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/tags/v1.0.0' });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as { include: { id: string; python: string; runner: string }[] };
    expect(matrix.include.map((c) => c.id)).toEqual(['linux-x86_64-abi3', 'linux-aarch64-abi3', 'macos-x86_64-abi3', 'macos-arm64-abi3', 'windows-x86_64-abi3']);
    expect(matrix.include[0]!.python).toBe('3.11\n3.12\n3.13\n3.14');
    expect(run.outputs.cells).toBe('5');
    expect(run.outputs.publish).toBe('true');
    expect(run.summary).toContain('| platform | runner | tag | 3.11 | 3.12 | 3.13 | 3.14 |');
    expect(run.summary).toMatch(/\| linux-x86_64 \| `ubuntu-24\.04` \| `manylinux_2_17_x86_64` \|/);
    expect(run.summary).toContain('| windows-x86_64 | `windows-2025` | `win_amd64` | `windows-x86_64-abi3` | `windows-x86_64-abi3` | `windows-x86_64-abi3` | `windows-x86_64-abi3` |');
    // 4 platforms × (build + 4 smokes): linux 10+10, macos 12+10, windows 14 → 56 minutes; billed 10+10+120+100+28.
    expect(run.summary).toContain('**5 cells**, about 56 runner minutes (268 billed minutes');
  });

  it('does not publish on a branch push', () => {
    const run = runAction({ inputs: { command: 'plan' }, event: 'push', ref: 'refs/heads/main' });
    expect(run.status).toBe(0);
    expect(run.outputs.publish).toBe('false');
  });

  it('publishes on a dispatch that asks for it when the config allows', () => {
    const files = { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': `${CONFIG}publish:\n  release: both\n` };
    const asked = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'true' } }, files });
    expect(asked.outputs.publish).toBe('true');
    const notAsked = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'false' } }, files });
    expect(notAsked.outputs.publish).toBe('false');
    // The default, release: on-tag, publishes no dispatch, asked or not.
    const notAllowed = runAction({ inputs: { command: 'plan' }, event: 'workflow_dispatch', ref: 'refs/heads/main', payload: { inputs: { publish: 'true' } }, files: { ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG } });
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
    expect(run.stdout).toContain('input command: "deploy" is not a command; set command: to plan, build, publish');
  });

  it('is the committed bundle', () => {
    expect(existsSync(ACTION)).toBe(true);
    expect(readFileSync(path.join(root, 'action.yml'), 'utf8')).toMatch(/using: node24\n\s+main: dist\/index.js/);
  });
});
