import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ABI3_MATURIN_PROJECT, makeProject, SETUPTOOLS_PROJECT } from '../helpers/project.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(root, 'dist/cli.js');

function cli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } });
}

const FIVE_BY_FIVE = 'matrix:\n  platforms: [linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-x86_64]\n  python: ["3.10", "3.11", "3.12", "3.13", "3.14"]\n';

function planJson(config: string, project = ABI3_MATURIN_PROJECT) {
  const dir = makeProject({ ...project, 'ci/matrix.yml': config });
  const run = cli(['plan', '--json', '--config', 'ci/matrix.yml'], dir);
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { include: { id: string; python: string; abi3: boolean }[] }).include;
}

describe('native-matrix CLI', () => {
  it('plans 5 abi3 cells for 5 platforms × Python 3.10–3.14', () => {
    const cells = planJson(FIVE_BY_FIVE);
    expect(cells.map((c) => c.id)).toEqual(['linux-x86_64-abi3', 'linux-aarch64-abi3', 'macos-x86_64-abi3', 'macos-arm64-abi3', 'windows-x86_64-abi3', 'sdist']);
    expect(cells.slice(0, 5).every((c) => c.abi3 && c.python.split('\n').length === 5)).toBe(true);
  });

  it('plans 5 cells of 5 versions each with abi3: false', () => {
    const cells = planJson(`${FIVE_BY_FIVE}  abi3: false\n`).filter((c) => c.id !== 'sdist');
    expect(cells).toHaveLength(5);
    expect(cells.every((c) => !c.abi3 && c.python === '3.10\n3.11\n3.12\n3.13\n3.14')).toBe(true);
  });

  it('plans 25 cells with split: python', () => {
    // 25 and the sdist.
    expect(planJson(`${FIVE_BY_FIVE}  split: python\n`, SETUPTOOLS_PROJECT)).toHaveLength(26);
  });

  it('prints a readable table by default, warnings on stderr', () => {
    const dir = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': FIVE_BY_FIVE });
    const run = cli(['plan', '--platforms', 'linux-x86_64'], dir);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').slice(0, 3)).toEqual([
      'cell               runner        target                    tag                    python                    abi3',
      '-----------------  ------------  ------------------------  ---------------------  ------------------------  ----',
      'linux-x86_64-abi3  ubuntu-24.04  x86_64-unknown-linux-gnu  manylinux_2_17_x86_64  3.10 3.11 3.12 3.13 3.14  yes',
    ]);
    expect(run.stderr).toMatch(/^warning: native-matrix.yml:3: matrix.python\[0\]: Python 3.10 reached its end of life on 2026-10-31/m);
  });

  it('ends the table with a newline and prints each warning once, on stderr', () => {
    const dir = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64, windows-x86_64]\n  python: ["3.10", "3.12"]\n  exclude: [{ python: "3.11" }]\n' });
    const run = cli(['plan'], dir);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\n\n3 cells, about \d+ runner minutes \(\d+ billed\); publish: no\n$/);
    expect(run.stderr.split('\n')).toEqual([
      'warning: native-matrix.yml:3: matrix.python[0]: Python 3.10 reached its end of life on 2026-10-31; consider dropping it',
      'warning: native-matrix.yml:4: matrix.exclude[0]: matches no cell of the plan; remove it, or correct its platform or python',
      '',
    ]);
  });

  it('exits 1 with file:line and the fix for a malformed config', () => {
    const dir = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64]\n  abi3: maybe\n' });
    const run = cli(['plan', '--json'], dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: native-matrix.yml:3: matrix.abi3: the string "maybe" is not allowed; use auto, true or false\n');
  });

  it('exits 1 when --config names a missing file', () => {
    const run = cli(['plan', '--config', 'nope.yml'], makeProject(ABI3_MATURIN_PROJECT));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: config: nope.yml does not exist; give the path of a native-matrix.yml or pyproject.toml, relative to the working directory\n');
  });

  it('exits 2 on a usage error', () => {
    const dir = makeProject(ABI3_MATURIN_PROJECT);
    expect(cli(['plan', '--jsn'], dir).status).toBe(2);
    expect(cli(['plan', '--jsn'], dir).stderr).toMatch(/^native-matrix: plan: Unknown option '--jsn'/);
    expect(cli(['deploy'], dir).status).toBe(2);
    expect(cli(['--help'], dir).status).toBe(0);
    expect(cli(['--version'], dir).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('verify: checks a cell only on a machine of its platform, and only with its files', () => {
    const dir = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64, macos-arm64]\n  python: ["3.12"]\nmacos:\n  build-on: linux\n' });
    const planned = cli(['plan', '--json'], dir);
    expect(planned.status, planned.stderr).toBe(0);
    const cells = (JSON.parse(planned.stdout) as { include: { id: string }[] }).include;
    const cell = (id: string) => JSON.stringify(cells.find((c) => c.id === id));
    const empty = makeProject({});
    expect(cli(['verify', '--cell', cell('linux-x86_64-abi3')], dir)).toMatchObject({ status: 2, stderr: expect.stringMatching(/^native-matrix: verify: --cell JSON and --from DIR are required/) });
    // A macOS cell built on Linux is verified on its Mac, not here.
    expect(cli(['verify', '--cell', cell('macos-arm64-abi3'), '--from', empty], dir)).toMatchObject({
      status: 1,
      stderr: 'error: cell macos-arm64-abi3: is verified on a macos aarch64 machine, not this one; run verify on macos-14\n',
    });
    expect(cli(['verify', '--cell', cell('linux-x86_64-abi3'), '--from', empty], dir)).toMatchObject({
      status: 1,
      stderr: `error: --from: ${empty} holds no wheel of cell linux-x86_64-abi3; download the artifact native-matrix-linux-x86_64-abi3 there\n`,
    });
  });
});
