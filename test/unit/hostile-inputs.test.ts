import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionEnv } from '../helpers/github-files.js';
import { ABI3_MATURIN_PROJECT, makeProject } from '../helpers/project.js';

// Inputs a careless or hostile user may give, run through the real entry
// points (dist/cli.js, dist/index.js): each must fail with exit code 1, a
// message naming the file and line where there is one, no stack trace, and
// nothing written.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(root, 'dist/cli.js');
const ACTION = path.join(root, 'dist/index.js');

/** Every file and directory below `dir`, with the content of each file. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        entries[`${path.relative(dir, full)}/`] = '';
        walk(full);
      } else {
        entries[path.relative(dir, full)] = entry.isFile() ? readFileSync(full, 'utf8') : 'link';
      }
    }
  };
  walk(dir);
  return entries;
}

function cli(args: string[], cwd: string) {
  const before = snapshot(cwd);
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(snapshot(cwd), 'nothing written').toEqual(before);
  return run;
}

function action(inputs: Record<string, string>, workspace: string) {
  const runnerTemp = mkdtempSync(path.join(tmpdir(), 'runner-'));
  const output = path.join(runnerTemp, 'output');
  writeFileSync(output, '');
  const before = snapshot(workspace);
  const run = spawnSync(process.execPath, [ACTION], {
    cwd: workspace,
    encoding: 'utf8',
    env: actionEnv({ workspace, runnerTemp, output, event: 'push', ref: 'refs/heads/main', inputs }),
  });
  expect(snapshot(workspace), 'nothing written').toEqual(before);
  expect(readFileSync(output, 'utf8'), 'no outputs').toBe('');
  return run;
}

/** Exit code 1, exactly these error lines, no stack trace. */
function expectFailure(run: { status: number | null; stdout: string; stderr: string }, errors: (string | RegExp)[]) {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).not.toMatch(/\n\s+at |internal error|Error:/);
  const lines = run.stderr.split('\n').filter((line) => line.startsWith('error: '));
  expect(lines).toHaveLength(errors.length);
  errors.forEach((error, i) => (typeof error === 'string' ? expect(lines[i]).toBe(`error: ${error}`) : expect(lines[i]).toMatch(error)));
}

const project = (config: string, extra: Record<string, string> = {}) => makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': config, ...extra });
const LINUX = 'matrix:\n  platforms: [linux-x86_64]\n';

describe('hostile inputs', () => {
  it('a config path that is a directory', () => {
    const dir = project(LINUX, { 'ci/keep': '' });
    expectFailure(cli(['plan', '--config', 'ci'], dir), ['config: ci is not a file; give the path of a native-matrix.yml or pyproject.toml, relative to the working directory']);
  });

  it('a native-matrix.yml that is a directory', () => {
    const dir = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml/keep': '' });
    expectFailure(cli(['plan'], dir), ['config: native-matrix.yml is not a file; make native-matrix.yml the config file, or remove it']);
  });

  it('a YAML alias bomb', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)];
    const dir = project(`${rows.join('\n')}\n`);
    expectFailure(cli(['plan'], dir), ['native-matrix.yml:2: its aliases (*name) expand to too many values; write the values out, or use fewer aliases of aliases']);
  });

  it('build --out naming a file, or a directory below a file', () => {
    const dir = project(LINUX, { 'wheels.txt': 'mine' });
    expectFailure(cli(['build', '--out', 'wheels.txt'], dir), ['--out: wheels.txt is a file, not a directory; give a directory for the output (it is created when missing)']);
    expectFailure(cli(['run', '--out', 'wheels.txt/sub'], dir), ['--out: wheels.txt/sub cannot be made: wheels.txt is a file; give a directory for the output (it is created when missing)']);
  });

  it('another file given as the config: named, said what it is not, none of its content echoed', () => {
    const dir = project(LINUX, {
      passwd: 'root:x:0:0:root:/root:/bin/bash\nsecret:x:1000:1000:SECRET-NAME:/home/secret:/bin/sh\n',
      token: 'ghp_SECRETSECRETSECRET\n',
      'compose.yml': 'services:\n  SECRET-SERVICE:\n    image: x\nSECRET-KEY: 1\n',
    });
    const fix = 'give the path of a native-matrix.yml or of a pyproject.toml with [tool.native-matrix]';
    const keys = 'project, gmp, matrix, publish, windows, macos, build, test, overrides, linux or metadata';
    const passwd = cli(['plan', '--config', 'passwd'], dir);
    expectFailure(passwd, [`passwd:1: is not a native-matrix config: its top level is text, not a mapping of ${keys}; ${fix}`]);
    const token = cli(['plan', '--config', 'token'], dir);
    expectFailure(token, [`token:1: is not a native-matrix config: its top level is text, not a mapping of ${keys}; ${fix}`]);
    const compose = cli(['plan', '--config', 'compose.yml'], dir);
    expectFailure(compose, [`compose.yml:1: is not a native-matrix config: its top level is a mapping whose 2 top-level keys are none of a config's, not a mapping of ${keys}; ${fix}`]);
    for (const run of [passwd, token, compose]) expect(run.stderr).not.toMatch(/SECRET|root|ghp_|services/);
    // A config with a misspelt key is still a config: the key is named, with the fix.
    expectFailure(cli(['plan'], project('matrx:\n  platforms: [linux-x86_64]\n')), ['native-matrix.yml:1: matrx: unknown key; did you mean "matrix"?']);
  });

  it('project.path outside the working directory: above it, absolute, or through a link', () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'elsewhere-'));
    for (const [where, shown] of [
      ['../../other', '../../other'],
      ['/etc', '/etc'],
      ['escape', 'escape'],
    ] as const) {
      const dir = project(`project:\n  path: ${where}\n${LINUX}`);
      symlinkSync(outside, path.join(dir, 'escape'));
      const run = cli(['plan'], dir);
      expectFailure(run, [new RegExp(`^error: native-matrix\\.yml:2: project\\.path: ${shown.replace(/[./]/g, '\\$&')} is outside the working directory; give a path inside /`)]);
    }
  });

  it('a tarball URL that is not https', () => {
    for (const url of ['http://example.org/gmp.tar.xz', 'file:///etc/passwd', 'ftp://example.org/gmp.tar.xz']) {
      const dir = project(`gmp:\n  source: build\n  tarballs:\n    gmp:\n      url: ${url}\n      sha256: "${'0'.repeat(64)}"\n${LINUX}`);
      expectFailure(cli(['plan'], dir), [`native-matrix.yml:5: gmp.tarballs.gmp.url: the string "${url}" is not valid; write an https:// URL`]);
    }
  });

  // 30,000 rather than the 120,000 of the report keeps the unit tests fast and
  // still tells linear work from quadratic (yaml's own repeated-key check
  // takes minutes here).
  it('30,000 bad entries: 20 shown, the rest counted, in one bounded message', { timeout: 60_000 }, () => {
    const entries = Array.from({ length: 30_000 }, (_, i) => `    - bad${i}`).join('\n');
    const run = cli(['plan'], project(`matrix:\n  platforms:\n${entries}\n`));
    expect(run.status).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatch(/^error: native-matrix\.yml:3: matrix\.platforms\[0\]: "bad0" is not a platform in the catalog/);
    expect(lines[20]).toBe('error: … and 29980 more problems; fix the ones above and run again');
  });

  it('30,000 unknown keys, and a key written twice', { timeout: 60_000 }, () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `  k${i}: 1`).join('\n');
    const run = cli(['plan'], project(`matrix:\n${keys}\n`));
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(21);
    expect(run.stderr).toContain('error: … and 29980 more problems');
    expectFailure(cli(['plan'], project('matrix:\n  python: ["3.12"]\n  python: ["3.13"]\n')), [
      'native-matrix.yml:3: not valid YAML: the key python is written twice in the same mapping; remove one of them',
    ]);
  });

  it('the action: build reports a config problem as an annotation at file and line, as plan does', () => {
    const dir = project(LINUX);
    const cell = JSON.stringify((JSON.parse(cli(['plan', '--json'], dir).stdout) as { include: unknown[] }).include[0]);
    writeFileSync(path.join(dir, 'native-matrix.yml'), 'matrix:\n  platforms: [linux-x86_64]\n  abi3: maybe\n');
    for (const command of ['plan', 'build']) {
      const run = action({ command, cell }, dir);
      expect(run.status).toBe(1);
      expect(run.stdout).toContain('::error title=native-matrix,file=native-matrix.yml,line=3,col=3::native-matrix.yml:3: matrix.abi3: the string "maybe" is not allowed; use auto, true or false');
      expect(run.stdout).not.toMatch(/UserError|%0A\s+at /);
    }
  });

  it('the action: INPUT_CONFIG naming another file echoes none of it', () => {
    const dir = project(LINUX, { 'secrets.txt': 'token=abc SECRET-1\nSECRET-2\n' });
    const run = action({ command: 'plan', config: 'secrets.txt' }, dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('secrets.txt:1: is not a native-matrix config: its top level is text, not a mapping of');
    expect(run.stdout).not.toMatch(/SECRET|token=/);
  });

  it('the action: publish outside a workflow job names the missing context, with no stack trace', () => {
    const dir = project(LINUX);
    const run = action({ command: 'publish', tag: 'v0.1.0', 'dry-run': 'true' }, dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /::error title=native-matrix::artifacts: .* needs the workflow run's artifact service, and this step runs outside a GitHub Actions job \(ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set\); run the action as a step of a workflow job/,
    );
    expect(run.stdout + run.stderr).not.toMatch(/internal error|getRuntimeToken|%0A\s+at |\n\s+at /);
  });

  it('warns when native-matrix.yml makes a [tool.native-matrix] section of pyproject.toml ignored', () => {
    const dir = makeProject({
      ...ABI3_MATURIN_PROJECT,
      'native-matrix.yml': LINUX,
      'pyproject.toml': `${ABI3_MATURIN_PROJECT['pyproject.toml']}\n[tool.native-matrix.matrix]\nplatforms = ["windows-x86_64"]\n`,
    });
    mkdirSync(path.join(dir, 'unused'));
    const run = cli(['plan', '--json'], dir);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      'warning: pyproject.toml:9: tool.native-matrix: is ignored: native-matrix.yml is the config; move these keys into native-matrix.yml and remove the section, or remove native-matrix.yml\n',
    );
    expect((JSON.parse(run.stdout) as { include: { id: string }[] }).include.map((c) => c.id)).toEqual(['linux-x86_64-abi3', 'sdist']);
  });
});
