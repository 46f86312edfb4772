import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { matrixJson } from '../../src/commands/plan.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { parseCell } from '../../src/plan/cell.js';
import { planMatrix } from '../../src/plan/planner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  'runs-on'?: string;
  strategy?: { matrix?: unknown };
  outputs?: Record<string, string>;
  permissions?: Record<string, string>;
  'continue-on-error'?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, { type?: string }> } | null>;
  jobs: Record<string, Job>;
}

const workflow = (file: string) => parse(readFileSync(path.join(ROOT, file), 'utf8')) as Workflow;
const actionStep = (job: Job) => job.steps.find((s) => s.uses?.startsWith('native-matrix/native-matrix@'))!;

describe.each(['workflows/release.yml', 'workflows/release-reusable.yml'])('%s', (file) => {
  const { on, jobs } = workflow(file);

  it('gives the build job read-only permissions and the build step no token', () => {
    expect(jobs.build!.permissions).toEqual({ contents: 'read' });
    expect(actionStep(jobs.build!).with).toMatchObject({ command: 'build', 'github-token': '' });
    // Only publish and pypi, which run none of the project's code, may write.
    for (const [name, job] of Object.entries(jobs)) {
      if (name !== 'publish' && name !== 'pypi') expect(Object.values(job.permissions ?? {}).filter((p) => p !== 'read')).toEqual([]);
    }
  });

  it('passes a tag to the plan, which decides, and publish takes it from the plan artifact', () => {
    const trigger = on.workflow_dispatch ?? on.workflow_call;
    expect(trigger!.inputs!.tag).toMatchObject({ type: 'string' });
    expect(actionStep(jobs.plan!).with).toMatchObject({ command: 'plan', tag: '${{ inputs.tag }}' });
    const publish = actionStep(jobs.publish!).with!;
    expect(publish.command).toBe('publish');
    expect(Object.keys(publish)).not.toContain('tag');
    expect(Object.keys(publish)).not.toContain('platforms');
  });
  it('verifies every cross-built cell on its own runner with the action, before publish and pypi', () => {
    const verify = jobs.verify!;
    expect(verify.needs).toEqual(['plan', 'build']);
    expect(verify.strategy!.matrix).toBe('${{ fromJSON(needs.plan.outputs.verify) }}');
    expect(verify['runs-on']).toBe('${{ matrix.verify }}');
    expect(verify.permissions).toEqual({ contents: 'read' });
    // The project (config, test.sources), every Python of the cell, then the action's verify step, with no token.
    expect(verify.steps.map((s) => s.uses?.split('@')[0])).toEqual(['actions/checkout', 'actions/setup-python', 'native-matrix/native-matrix']);
    expect(verify.steps[1]!.with).toEqual({ 'python-version': '${{ matrix.python }}' });
    expect(actionStep(verify).with).toMatchObject({ command: 'verify', cell: '${{ toJSON(matrix) }}', 'github-token': '' });
    // Nothing unverified is published: both wait for verify, and a failed verify fails publish's condition.
    expect(jobs.publish!.needs).toContain('verify');
    expect(jobs.publish!.if).toContain('!failure()');
    expect(jobs.pypi!.needs).toContain('verify');
    expect(jobs.pypi!.if).toContain("needs.publish.result == 'success'");
  });

  it('lets a cell of an experimental platform fail in verify as in build, and no other', () => {
    for (const job of [jobs.build!, jobs.verify!]) expect(job['continue-on-error']).toBe('${{ matrix.experimental }}');
  });

  it("gives the verify job the plan's cells that have a verify runner, whole, for every OS", () => {
    const catalog = loadCatalog();
    const yaml = 'matrix:\n  platforms: [linux-x86_64, macos-x86_64, macos-arm64, windows-x86_64]\n  python: ["3.12", "3.13"]\nmacos:\n  build-on: linux\nwindows:\n  build-on: linux\n';
    const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/project/native-matrix.yml'), { catalog });
    const { cells } = planMatrix({ config, catalog, project: { backend: 'maturin', abi3: { enabled: false } }, narrowing: {}, today: new Date('2026-12-06') });
    const script = jobs.plan!.steps.find((s) => s.run && s.env?.MATRIX)!.run!;
    const output = path.join(mkdtempSync(path.join(tmpdir(), 'output-')), 'out');
    writeFileSync(output, '');
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, MATRIX: matrixJson(cells), GITHUB_OUTPUT: output } });
    expect(result.status, result.stderr).toBe(0);
    const line = readFileSync(output, 'utf8').trim();
    expect(line.startsWith('matrix=')).toBe(true);
    const { include } = JSON.parse(line.slice('matrix='.length)) as { include: unknown[] };
    const verified = include.map((entry) => parseCell(JSON.stringify(entry), 'verify matrix'));
    expect(verified.map((c) => [c.id, c.runner, c.verify, c.python])).toEqual([
      ['macos-x86_64', 'ubuntu-24.04', 'macos-15-intel', '3.12\n3.13'],
      ['macos-arm64', 'ubuntu-24.04', 'macos-14', '3.12\n3.13'],
      ['windows-x86_64', 'ubuntu-24.04', 'windows-2025', '3.12\n3.13'],
    ]);
    // Each entry is the build's cell unchanged: what the action's verify step is given.
    expect(verified).toEqual(cells.filter((c) => c.verify));
  });
});

describe("the action's own release workflow", () => {
  const job = workflow('.github/workflows/release.yml').jobs['move-major-tag']!;
  const script = job.steps.find((s) => s.run)!.run!;

  /** Runs the step's script with a stand-in `gh` that knows `tags` and logs every call. */
  function moveMajor(tag: string, tags: string[]): string[] {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-'));
    const log = path.join(dir, 'calls');
    writeFileSync(log, '');
    writeFileSync(
      path.join(dir, 'gh'),
      // What `gh api --paginate …/matching-refs/tags/v1. --jq …` prints: the names of the tags with that prefix.
      `#!/bin/bash\necho "gh $*" >> "${log}"\ncase "$*" in\n  *matching-refs/tags/*) all="$*"; prefix="\${all##*matching-refs/tags/}"; prefix="\${prefix%% *}"\n    for t in ${tags.join(' ')}; do case "$t" in "$prefix"*) echo "$t" ;; esac; done ;;\n  *"git/ref/tags/"*) exit 0 ;;\nesac\n`,
    );
    chmodSync(path.join(dir, 'gh'), 0o755);
    const result = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, TAG: tag, REPOSITORY: 'o/r', SHA: 'abc123', GH_TOKEN: 't' },
    });
    expect(result.status, result.stderr).toBe(0);
    return readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line.includes('-X'));
  }

  it('moves the major tag to the highest release of its major only', () => {
    expect(moveMajor('v1.5.0', ['v1', 'v1.4.0', 'v1.4.1', 'v2.0.0'])).toEqual(['gh api -X PATCH repos/o/r/git/refs/tags/v1 -f sha=abc123 -F force=true']);
    // A backport after v1.5.0 leaves v1 where it is.
    expect(moveMajor('v1.4.2', ['v1', 'v1.4.0', 'v1.5.0', 'v2.0.0'])).toEqual([]);
    // Versions compare as numbers, and v10 is not v1.
    expect(moveMajor('v1.10.0', ['v1', 'v1.9.0', 'v10.0.0'])).toHaveLength(1);
    expect(moveMajor('v1.9.1', ['v1', 'v1.10.0'])).toEqual([]);
  });
});

describe('.github/workflows/self-test.yml', () => {
  it('lets a cell of an experimental platform fail in build and verify, as the release workflows do', () => {
    const { jobs } = workflow('.github/workflows/self-test.yml');
    for (const name of ['build', 'verify']) expect(jobs[name]!['continue-on-error'], name).toBe('${{ matrix.experimental }}');
  });
});
