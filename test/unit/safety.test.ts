import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey, stableStringify } from '../../src/core/cache.js';
import { UserError } from '../../src/core/errors.js';
import { ExecaRunner, withoutRunnerSecrets, withVariables } from '../../src/core/process/runner.js';
import { repackSdist, tarDirectory, zipDirectory } from '../../src/core/archive.js';
import { sourceDateEpoch } from '../../src/core/source-date.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { gatherCells } from '../../src/publish/gather.js';
import { writeCell } from '../helpers/cells.js';
import { quietLog } from '../helpers/engine.js';

describe('cache keys', () => {
  it('depend on everything nested in their inputs, in any key order', () => {
    expect(stableStringify({ b: { y: 1, x: [2, { d: 1, c: 2 }] }, a: 'z' })).toBe('{"a":"z","b":{"x":[2,{"c":2,"d":1}],"y":1}}');
    const base = { sources: { gmp: { url: 'u', sha256: 'a' } }, host: 'h', env: { MACOSX_DEPLOYMENT_TARGET: '11.0' } };
    expect(cacheKey(base)).toBe(cacheKey({ env: { MACOSX_DEPLOYMENT_TARGET: '11.0' }, host: 'h', sources: { gmp: { sha256: 'a', url: 'u' } } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, sources: { gmp: { url: 'u', sha256: 'b' } } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, env: { MACOSX_DEPLOYMENT_TARGET: '10.13' } }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, sources: { ...base.sources, mpfr: { url: 'm', sha256: 'c' } } }));
  });
});

describe('child processes', () => {
  it("never inherit the runner's secrets", () => {
    expect(
      withoutRunnerSecrets({
        PATH: '/usr/bin',
        'INPUT_GITHUB-TOKEN': 'ghs_x',
        INPUT_COMMAND: 'build',
        ACTIONS_RUNTIME_TOKEN: 't',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'u',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
        ACTIONS_RESULTS_URL: 'r',
        GITHUB_TOKEN: 'ghs_y',
        GITHUB_ENV: '/r/set_env_1',
        GITHUB_PATH: '/r/add_path_1',
        GITHUB_OUTPUT: '/r/set_output_1',
        GITHUB_STATE: '/r/save_state_1',
        GITHUB_STEP_SUMMARY: '/r/step_summary_1',
        GITHUB_WORKSPACE: '/w',
        GITHUB_REF: 'refs/tags/v1',
        RUNNER_TEMP: '/t',
      }),
    ).toEqual({ PATH: '/usr/bin', GITHUB_WORKSPACE: '/w', GITHUB_REF: 'refs/tags/v1', RUNNER_TEMP: '/t' });
  });

  it('started by the runner see the environment without them', async () => {
    const secrets = {
      GITHUB_TOKEN: 'ghs_y',
      'INPUT_GITHUB-TOKEN': 'ghs_x',
      ACTIONS_RUNTIME_TOKEN: 't',
      GITHUB_ENV: '/r/env',
      GITHUB_OUTPUT: '/r/out',
      GITHUB_PATH: '/r/path',
      GITHUB_STEP_SUMMARY: '/r/sum',
      NATIVE_MATRIX_TEST_KEPT: 'kept',
    };
    const saved = Object.fromEntries(Object.keys(secrets).map((name) => [name, process.env[name]]));
    Object.assign(process.env, secrets);
    try {
      const { stdout } = await new ExecaRunner(quietLog()).run(process.execPath, ['-e', 'process.stdout.write(Object.keys(process.env).join(","))'], { quiet: true });
      const names = stdout.split(',');
      expect(names).toContain('NATIVE_MATRIX_TEST_KEPT');
      expect(names.filter((name) => name in secrets && name !== 'NATIVE_MATRIX_TEST_KEPT')).toEqual([]);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('gathering cells', () => {
  it('refuses a manifest that names a file outside its directory', async () => {
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { '..%2Fsecret': 'x' });
    const manifest = path.join(fromDir, 'linux-x86_64-abi3', 'manifest.json');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('..%2Fsecret', '../../etc/passwd'));
    const cell = {
      id: 'linux-x86_64-abi3',
      platform: 'linux-x86_64',
      os: 'linux' as const,
      arch: 'x86_64',
      runner: 'r',
      target: 't',
      python: '3.12',
      abi3: true,
      wheel: true,
      binary: false,
      experimental: false,
    };
    const error = await gatherCells(fromDir, [cell]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      `${manifest}: files[0].name "../../etc/passwd": is not a plain file name (letters, digits and . _ + -, not starting with a dot, ending in a letter or digit); rebuild the cell: a manifest.json is written by \`native-matrix build\` and not edited`,
    );
  });
});

describe('build commands', () => {
  it('get SOURCE_DATE_EPOCH below their own variables; a clean environment (a smoke test) stays clean', async () => {
    const runner = new FakeRunner();
    const cell = withVariables(runner, { SOURCE_DATE_EPOCH: '1714979290' });
    await cell.run('maturin', ['build'], { env: { CC: 'gcc' } });
    await cell.run('auditwheel', ['repair']);
    await cell.run('python', ['-c', 'import x'], { cleanEnv: true, env: { PATH: '/usr/bin' } });
    expect(runner.commands.map((c) => c.env)).toEqual([{ SOURCE_DATE_EPOCH: '1714979290', CC: 'gcc' }, { SOURCE_DATE_EPOCH: '1714979290' }, { PATH: '/usr/bin' }]);
  });

  it('date their files by the commit being built, else by the environment, else by 1980-01-01 outside a git checkout', async () => {
    const git = new FakeRunner(() => ({ stdout: '1714979290\n' }));
    expect(await sourceDateEpoch(git, '/p', {})).toEqual({ epoch: 1714979290, from: 'git' });
    expect(git.lines()).toEqual(['git log -1 --format=%ct']);
    expect(git.commands[0]!.cwd).toBe('/p');
    expect(await sourceDateEpoch(git, '/p', { SOURCE_DATE_EPOCH: '1600000000' })).toEqual({ epoch: 1600000000, from: 'environment' });
    const notGit = new FakeRunner(() => ({ exitCode: 128, stderr: 'fatal: not a git repository' }));
    expect(await sourceDateEpoch(notGit, '/p', {})).toEqual({ epoch: 315532800, from: 'fallback' });
  });
});

describe('binary archives', () => {
  const EPOCH = 1714979290; // 2024-05-06 07:08:10 UTC

  function stage(modes: { program: number; library: number }): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'stage-'));
    mkdirSync(path.join(dir, 'tool-1.0', 'bin'), { recursive: true });
    mkdirSync(path.join(dir, 'tool-1.0', 'lib'));
    writeFileSync(path.join(dir, 'tool-1.0', 'bin', 'tool'), 'program');
    writeFileSync(path.join(dir, 'tool-1.0', 'lib', 'libgmp.so.10'), 'library');
    chmodSync(path.join(dir, 'tool-1.0', 'bin', 'tool'), modes.program);
    chmodSync(path.join(dir, 'tool-1.0', 'lib', 'libgmp.so.10'), modes.library);
    return dir;
  }

  it('are the same bytes from the same files whatever the time zone, the umask and the file times', async () => {
    const savedTz = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      const first = stage({ program: 0o755, library: 0o644 });
      await zipDirectory(first, 'tool-1.0', path.join(first, 'a.zip'), EPOCH);
      await tarDirectory(first, 'tool-1.0', path.join(first, 'a.tar.gz'), EPOCH);
      process.env.TZ = 'America/New_York';
      const second = stage({ program: 0o775, library: 0o600 });
      utimesSync(path.join(second, 'tool-1.0', 'bin', 'tool'), new Date(), new Date());
      await zipDirectory(second, 'tool-1.0', path.join(second, 'b.zip'), EPOCH);
      await tarDirectory(second, 'tool-1.0', path.join(second, 'b.tar.gz'), EPOCH);
      expect(readFileSync(path.join(second, 'b.zip')).equals(readFileSync(path.join(first, 'a.zip')))).toBe(true);
      expect(readFileSync(path.join(second, 'b.tar.gz')).equals(readFileSync(path.join(first, 'a.tar.gz')))).toBe(true);
      const listing = spawnSync('zipinfo', ['-T', path.join(first, 'a.zip')], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).stdout;
      expect(listing).toMatch(/-rwxr-xr-x .* 20240506\.070810 tool-1\.0\/bin\/tool/);
      expect(listing).toMatch(/-rw-r--r-- .* 20240506\.070810 tool-1\.0\/lib\/libgmp\.so\.10/);
      // Another commit, other bytes.
      await zipDirectory(first, 'tool-1.0', path.join(first, 'c.zip'), EPOCH + 2);
      expect(readFileSync(path.join(first, 'c.zip')).equals(readFileSync(path.join(first, 'a.zip')))).toBe(false);
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });
});

describe('source distributions', () => {
  const EPOCH = 1714979290; // 2024-05-06 07:08:10 UTC

  /** An sdist as setuptools packs it: each file's own time, the packer's owner names, gzip dated now. */
  function backendSdist(fileTime: string, owner: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdist-'));
    mkdirSync(path.join(dir, 'pkg-1.0', 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'pkg-1.0', 'PKG-INFO'), 'Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n');
    writeFileSync(path.join(dir, 'pkg-1.0', 'src', 'pkg.c'), 'int x;\n');
    mkdirSync(path.join(dir, 'backend'));
    const tarred = spawnSync('tar', ['-czf', 'backend/pkg-1.0.tar.gz', `--mtime=${fileTime}`, `--owner=${owner}`, `--group=${owner}`, 'pkg-1.0'], { cwd: dir, encoding: 'utf8' });
    expect(tarred.status, tarred.stderr).toBe(0);
    return path.join(dir, 'backend', 'pkg-1.0.tar.gz');
  }

  it('are re-packed to the same bytes whatever the file times, owners and packing time; the content and top directory stay', async () => {
    const first = backendSdist('2026-01-01 10:00', 'runner');
    const second = backendSdist('2026-02-02 11:00', 'root');
    expect(readFileSync(first).equals(readFileSync(second))).toBe(false);
    const a = path.join(path.dirname(first), 'pkg-1.0.tar.gz');
    const b = path.join(path.dirname(second), 'pkg-1.0.tar.gz');
    await repackSdist(first, a, EPOCH, mkdtempSync(path.join(tmpdir(), 'repack-')));
    await repackSdist(second, b, EPOCH, mkdtempSync(path.join(tmpdir(), 'repack-')));
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const listing = spawnSync('tar', ['--utc', '--full-time', '--numeric-owner', '-tvzf', a], { encoding: 'utf8' });
    expect(listing.status, listing.stderr).toBe(0);
    const lines = listing.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/).at(-1))).toEqual(['pkg-1.0/PKG-INFO', 'pkg-1.0/src/pkg.c']);
    for (const line of lines) expect(line).toMatch(/^-rw-r--r-- 0\/0 +\d+ 2024-05-06 07:08:10 pkg-1\.0\//);
    const content = spawnSync('tar', ['-xzOf', a, 'pkg-1.0/src/pkg.c'], { encoding: 'utf8' });
    expect(content.stdout).toBe('int x;\n');
  });

  it('must hold the one NAME-VERSION directory its name calls for, and nothing the re-pack would drop', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdist-'));
    writeFileSync(path.join(dir, 'setup.py'), '');
    expect(spawnSync('tar', ['-czf', 'pkg-1.0.tar.gz', 'setup.py'], { cwd: dir }).status).toBe(0);
    const repack = (file: string) => repackSdist(path.join(dir, file), path.join(dir, 'out.tar.gz'), EPOCH, mkdtempSync(path.join(tmpdir(), 'repack-')));
    await expect(repack('pkg-1.0.tar.gz')).rejects.toThrow(/pkg-1\.0\.tar\.gz holds setup\.py at its top, not the one directory pkg-1\.0\/ its name calls for/);
    mkdirSync(path.join(dir, 'other-2.0'));
    writeFileSync(path.join(dir, 'other-2.0', 'PKG-INFO'), '');
    expect(spawnSync('tar', ['-czf', 'pkg-2.0.tar.gz', 'other-2.0'], { cwd: dir }).status).toBe(0);
    await expect(repack('pkg-2.0.tar.gz')).rejects.toThrow(/holds other-2\.0 at its top, not the one directory pkg-2\.0\//);
    // A link out of the tree, which extraction would skip.
    symlinkSync('/etc/passwd', path.join(dir, 'other-2.0', 'escape'));
    expect(spawnSync('tar', ['-czf', 'other-2.0.tar.gz', 'other-2.0/PKG-INFO', 'other-2.0/../other-2.0/escape'], { cwd: dir }).status).toBe(0);
    await expect(repack('other-2.0.tar.gz')).rejects.toThrow(/other-2\.0\/\.\.\/other-2\.0\/escape|path/i);
  });

  it('keep a link inside the tree as a link', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sdist-'));
    mkdirSync(path.join(dir, 'pkg-1.0'));
    writeFileSync(path.join(dir, 'pkg-1.0', 'README.md'), 'hello');
    symlinkSync('README.md', path.join(dir, 'pkg-1.0', 'README'));
    expect(spawnSync('tar', ['-czf', 'pkg-1.0.tar.gz', 'pkg-1.0'], { cwd: dir }).status).toBe(0);
    const out = path.join(dir, 'out.tar.gz');
    await repackSdist(path.join(dir, 'pkg-1.0.tar.gz'), out, EPOCH, mkdtempSync(path.join(tmpdir(), 'repack-')));
    const listing = spawnSync('tar', ['-tvzf', out], { encoding: 'utf8' }).stdout;
    expect(listing).toMatch(/^l.* pkg-1\.0\/README -> README\.md$/m);
    expect(listing).toMatch(/^-rw-r--r-- .* pkg-1\.0\/README\.md$/m);
  });
});
