import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256File } from '../../src/core/hashing.js';
import { buildFixture, fixture, quietLog, RecordingReporter } from '../helpers/engine.js';
import { verifyCell } from '../../src/commands/verify.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import type { Cell } from '../../src/plan/types.js';
import { bundledComponents } from '../helpers/carried.js';

const FACTORIAL_100 = '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';

describe('binary kind on Linux x86_64', () => {
  it('packages gmp-cli with the libgmp it needs, and the unpacked program prints 100! in a clean environment', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cli', {});
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'linux-x86_64', python: [] });
    const [archive] = manifest!.files;
    expect(archive).toMatchObject({ name: 'gmp-cli-0.1.0-linux-x86_64.tar.gz', kind: 'archive', bundled: ['libgmp.so.10'], smokePassed: ['binary'] });
    const file = path.join(outRoot, 'linux-x86_64', archive!.name);
    expect(await sha256File(file)).toBe(archive!.sha256);

    const dir = mkdtempSync(path.join(tmpdir(), 'gmp-cli-'));
    expect(spawnSync('tar', ['-xzf', file, '-C', dir]).status).toBe(0);
    const program = path.join(dir, 'gmp-cli-0.1.0-linux-x86_64', 'bin', 'gmp-cli');
    const run = spawnSync(program, ['100'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(run.stdout.trim()).toBe(FACTORIAL_100);
    // It loads the libgmp from the archive, not the system's.
    const ldd = spawnSync('ldd', [program], { encoding: 'utf8' });
    expect(ldd.stdout).toMatch(new RegExp(`libgmp\\.so\\.10 => ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/gmp-cli-0\\.1\\.0-linux-x86_64/bin/\\.\\./lib/libgmp\\.so\\.10`));
    const version = spawnSync(program, ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^gmp-cli 0\.1\.0 \(GMP \d+\.\d+\.\d+\)/);

    // GMP's licence travels in the archive: Debian's copyright file and the full texts it names, and an SBOM.
    const gmpVersion = /GMP (\d+\.\d+\.\d+)/.exec(version.stdout)![1]!;
    const top = 'gmp-cli-0.1.0-linux-x86_64';
    const texts = ['copyright', 'LGPL-3', 'GPL-2', 'GPL-3'].map((name) => `${top}/licenses/gmp/${name}`);
    expect(archive!.libraries).toEqual([{ name: 'gmp', version: gmpVersion, licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later', linkage: 'shared', files: ['libgmp.so.10'], licenseFiles: texts }]);
    for (const name of texts.slice(1)) expect(readFileSync(path.join(dir, name), 'utf8')).toBe(readFileSync(`/usr/share/common-licenses/${path.basename(name)}`, 'utf8'));
    expect(readFileSync(path.join(dir, texts[0]!), 'utf8')).toContain('The GNU MP Library');
    const sbom = new Map([['sbom', readFileSync(path.join(dir, top, 'licenses', 'native-matrix-bundled.cdx.json'))]]);
    expect(bundledComponents(sbom, 'sbom')).toEqual([{ name: 'gmp', version: gmpVersion, purl: `pkg:generic/gmp@${gmpVersion}`, licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later' }]);

    // The verify job's run of the archive, on a machine of the cell's own platform: the program runs with its smoke arguments.
    const cell: Cell = {
      id: 'linux-x86_64',
      platform: 'linux-x86_64',
      os: 'linux',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      target: 'x86_64-unknown-linux-gnu',
      python: '',
      abi3: false,
      wheel: false,
      binary: true,
      experimental: false,
    };
    const verified = await verifyCell({ workingDirectory: fixture('gmp-cli'), cell, fromDir: path.join(outRoot, 'linux-x86_64'), runner: new ExecaRunner(quietLog()) }, new RecordingReporter());
    expect(verified.lines).toEqual(['gmp-cli-0.1.0-linux-x86_64.tar.gz: program passed']);
    // A cell of another platform is not verified here: it names the runner that does.
    const mac: Cell = { ...cell, id: 'macos-arm64', platform: 'macos-arm64', os: 'macos', arch: 'aarch64', runner: 'ubuntu-24.04', verify: 'macos-14', target: 'aarch64-apple-darwin' };
    await expect(verifyCell({ workingDirectory: fixture('gmp-cli'), cell: mac, fromDir: outRoot, runner: new ExecaRunner(quietLog()) }, new RecordingReporter())).rejects.toThrow(
      'cell macos-arm64: is verified on a macos aarch64 machine, not this one',
    );
  });

  it('keeps a manifest saying why, when a cell fails, and goes on to write the summary', async () => {
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'failing-')), 'native-matrix.yml');
    writeFileSync(config, 'project:\n  kind: binary\n  binary: { name: no-such-program }\nmatrix:\n  platforms: [linux-x86_64]\n');
    const { result, outRoot } = await buildFixture('gmp-cli', { configPath: config, expectFailure: true });
    expect(result.outcomes).toEqual([]);
    expect(result.failed.map((f) => f.cell.id)).toEqual(['linux-x86_64']);
    // cargo-zigbuild for the default manylinux_2_17 target.
    expect(result.failed[0]!.error.message).toMatch(/cargo (zig)?build/);
    const manifestPath = path.join(outRoot, 'linux-x86_64', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ ok: false, files: [] });
    expect(manifest.error).toContain('no-such-program');
    expect(readFileSync(path.join(outRoot, 'summary.md'), 'utf8')).toContain('### linux-x86_64 ❌');
    expect(existsSync(result.summaryPath)).toBe(true);
  });
});
