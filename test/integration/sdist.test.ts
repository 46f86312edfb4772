import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../src/core/hashing.js';
import { buildFixture } from '../helpers/engine.js';
import { pythonPath, twineCheck } from '../helpers/python.js';

describe('the sdist cell', () => {
  it('gmp-cext (setuptools): builds gmpcext-0.1.0.tar.gz, proven by a wheel built from it; a fresh venv installs it from source and it computes with GMP', async () => {
    const { manifests, outRoot, log } = await buildFixture('gmp-cext', { platform: 'sdist', python: ['3.12'] });
    expect(manifests).toHaveLength(1);
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'sdist', platform: 'linux-x86_64', python: ['3.12'] });
    expect(manifest!.ok).toBe(true);
    expect(manifest!.project).toEqual({ name: 'gmpcext', version: '0.1.0' });
    expect(manifest!.files).toHaveLength(1);
    const [sdist] = manifest!.files;
    expect(sdist).toMatchObject({ name: 'gmpcext-0.1.0.tar.gz', kind: 'sdist', platformTag: 'source', smokePassed: ['3.12'] });
    expect(manifest!.timings).toMatchObject({ sdist: expect.any(Number), metadata: expect.any(Number), smoke: expect.any(Number) });
    const file = path.join(outRoot, 'sdist', sdist!.name);
    expect(await sha256File(file)).toBe(sdist!.sha256);
    // Only the sdist is the cell's output: the proof's wheel stays behind.
    expect(readdirSync(path.join(outRoot, 'sdist')).sort()).toEqual(['build.log', 'gmpcext-0.1.0.tar.gz', 'manifest.json']);
    expect(log.join('\n')).toContain('wheel built from the sdist: passed');

    const check = twineCheck([file]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PASSED');

    // As a user's pip meets it: from the file alone, outside the project.
    const venv = mkdtempSync(path.join(tmpdir(), 'native-matrix-sdist-venv-'));
    expect(spawnSync(pythonPath('3.12'), ['-m', 'venv', venv]).status).toBe(0);
    const python = path.join(venv, 'bin', 'python');
    const install = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-cache-dir', '--no-binary', 'gmpcext', file], { encoding: 'utf8', cwd: venv });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    const imported = spawnSync(python, ['-I', '-c', 'import math, gmpcext; assert gmpcext.factorial(40) == str(math.factorial(40)); print(gmpcext.__file__)'], { encoding: 'utf8', cwd: venv });
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(venv);
  });

  // The platform wheels' twine check: wheels.test.ts, on the wheels it builds.
  it('qsym-like (maturin workspace): maturin sdist takes in the workspace crates, the wheel built from it imports, and twine check passes on it', async () => {
    const { manifests, outRoot } = await buildFixture('qsym-like', { platform: 'sdist', python: ['3.13'] });
    const [manifest] = manifests;
    expect(manifest!.ok, manifest!.error).toBe(true);
    const [sdist] = manifest!.files;
    expect(sdist).toMatchObject({ name: 'qsymlike-0.1.0.tar.gz', kind: 'sdist', smokePassed: ['3.13'] });
    const file = path.join(outRoot, 'sdist', sdist!.name);
    const members = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' }).stdout.split('\n');
    // The path dependency on the core crate travels inside.
    expect(members).toContainEqual(expect.stringMatching(/^qsymlike-0\.1\.0\/.*qsym-core\/Cargo\.toml$/));
    expect(members).toContain('qsymlike-0.1.0/PKG-INFO');

    const check = twineCheck([file]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PASSED');
  });
});
