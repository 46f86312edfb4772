import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../src/build/manifest.js';
import { buildFixture, fixture } from '../helpers/engine.js';

const FACTORIAL_100 =
  '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';

const qemu = (program: string, args: string[]) =>
  spawnSync('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', program, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });

describe('linux-aarch64 binaries cross-built on x86_64, run under qemu-aarch64', () => {
  it('packages an aarch64 gmp-cli with its libgmp; it prints 100! and fails without the bundled library', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cli', { configPath: path.join(fixture('gmp-cli'), 'native-matrix.aarch64.yml') });
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu' });
    expect(manifest!.gmp).toMatchObject({ source: 'build', version: '6.3.0' });
    const [archive] = manifest!.files;
    expect(archive).toMatchObject({ name: 'gmp-cli-linux-aarch64.tar.gz', bundled: ['libgmp.so.10'], smokePassed: ['binary'] });
    const file = path.join(outRoot, 'linux-aarch64', archive!.name);
    expect(await sha256File(file)).toBe(archive!.sha256);

    const dir = mkdtempSync(path.join(tmpdir(), 'aarch64-'));
    expect(spawnSync('tar', ['-xzf', file, '-C', dir]).status).toBe(0);
    const program = path.join(dir, 'gmp-cli-linux-aarch64', 'bin', 'gmp-cli');
    expect(spawnSync('readelf', ['-h', program], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
    const run = qemu(program, ['100']);
    expect(run.stdout.trim(), run.stderr).toBe(FACTORIAL_100);

    rmSync(path.join(dir, 'gmp-cli-linux-aarch64', 'lib', 'libgmp.so.10'));
    const broken = qemu(program, ['100']);
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(/libgmp\.so\.10/);
  });
});
