import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { CARGO_TARGET_DIR, embeddedPythonsEnv, fixture, ROOT } from '../helpers/engine.js';

// What a person sees while a build runs: the CLI as users run it (dist/cli.js),
// quiet by default, with each cell's full output in its build.log.
const CLI = path.join(ROOT, 'dist/cli.js');
const env = { ...process.env, ...embeddedPythonsEnv(), CARGO_TARGET_DIR };
// eslint-disable-next-line no-control-regex -- what it looks for: control characters (a newline aside)
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;

/** A fixture copied into a scratch directory, with `edit` applied, and a one-cell config. */
function scratchProject(name: string, config: string, edit: (dir: string) => void = () => undefined): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'output-')), name);
  cpSync(fixture(name), dir, { recursive: true });
  writeFileSync(path.join(dir, 'native-matrix.yml'), config);
  edit(dir);
  return dir;
}

function build(dir: string) {
  return spawnSync(process.execPath, [CLI, 'build', '--platform', 'linux-x86_64', '--out', 'out'], { cwd: dir, env, encoding: 'utf8' });
}

describe('quiet output, complete logs', () => {
  it('a C syntax error: the compiler error lines and the log path, in a few lines', () => {
    const dir = scratchProject('gmp-cext', 'project:\n  import: gmpcext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  sdist: false\n', (d) => {
      const source = path.join(d, 'src/gmpcext/_gmpcext.c');
      writeFileSync(source, readFileSync(source, 'utf8').replace('mpz_init(acc);', 'mpz_init(acc)'));
    });
    const run = build(dir);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/_gmpcext\.c:\d+:\d+: error: expected ';'/);
    expect(run.stderr).toContain('its full output is in out/linux-x86_64/build.log');
    expect(run.stderr.split('\n').length, run.stderr).toBeLessThan(40);
    expect(run.stderr).not.toMatch(CONTROL);
    // The log has all of it: the command lines and the compiler's output.
    const log = readFileSync(path.join(dir, 'out/linux-x86_64/build.log'), 'utf8');
    expect(log).toMatch(/^\$ .*pip.* wheel /m);
    expect(log).toMatch(/error: expected ';'/);
    expect((JSON.parse(readFileSync(path.join(dir, 'out/linux-x86_64/manifest.json'), 'utf8')) as Manifest).log).toBe('build.log');
  });

  it("a Rust type error: rustc's diagnostic and the log path", () => {
    const dir = scratchProject('pyo3-plain', 'project:\n  import: plainclient\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  sdist: false\n', (d) => {
      const source = path.join(d, 'src/lib.rs');
      writeFileSync(source, readFileSync(source, 'utf8').replace('let (mut a, mut b) = (1u32, 0u32);', 'let (mut a, mut b): (u32, u32) = (1u32, "zero");'));
    });
    const run = build(dir);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('error[E0308]: mismatched types');
    expect(run.stderr).toMatch(/--> src\/lib\.rs:\d+:\d+/);
    expect(run.stderr).toContain('its full output is in out/linux-x86_64/build.log');
    expect(run.stderr).not.toContain('Compiling pyo3');
    expect(run.stderr.split('\n').length, run.stderr).toBeLessThan(45);
    expect(readFileSync(path.join(dir, 'out/linux-x86_64/build.log'), 'utf8')).toContain('Compiling');
  });

  it('on a terminal (a pseudo-terminal): the live progress line; without one: plain lines only', () => {
    const dir = scratchProject('legacy-cext', 'project:\n  import: legacycext\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\npublish:\n  sdist: false\n');
    // util-linux's script gives the command a terminal and records what it wrote to it.
    const transcript = path.join(dir, 'terminal.txt');
    const command = [process.execPath, CLI, 'build', '--platform', 'linux-x86_64', '--out', 'out'].map((word) => `'${word}'`).join(' ');
    const tty = spawnSync('script', ['-qfec', command, transcript], { cwd: dir, env: { ...env, TERM: 'xterm-256color' }, encoding: 'utf8' });
    expect(tty.status, tty.stdout).toBe(0);
    const screen = readFileSync(transcript, 'utf8');
    expect(screen).toMatch(/\d+:\d\d linux-x86_64 › Build wheels \(setuptools\)/);
    expect(screen).toContain('\u001b[');
    const plain = build(dir);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(CONTROL);
    expect(plain.stderr).toMatch(/^linux-x86_64\n {2}Find the interpreters in \d+\.\d s\n/);
    expect(plain.stderr).toMatch(/^ {2}Python 3\.12 \(3\.12\.\d+\): passed in \d+\.\d s$/m);
    expect(plain.stderr.split('\n').length, plain.stderr).toBeLessThan(20);
    expect(existsSync(path.join(dir, 'out/linux-x86_64/build.log'))).toBe(true);
  });
});
