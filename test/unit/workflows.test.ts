import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  permissions?: Record<string, string>;
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
