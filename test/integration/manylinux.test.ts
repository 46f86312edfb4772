import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { buildFixture, elfFilesUnder, embeddedPythonsEnv, fixture, newestGlibc, runWithOldGlibc } from '../helpers/engine.js';

/** A config file for a fixture, written from lines. */
function config(lines: readonly string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'native-matrix-manylinux-')), 'native-matrix.yml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('linux.manylinux', () => {
  it('refuses a C extension that needs closefrom (glibc 2.34) for the default manylinux_2_17, naming file, symbol and version; "2_34" builds it', async () => {
    const failing = await buildFixture('newer-glibc', { platform: 'linux-x86_64', expectFailure: true });
    expect(failing.result.outcomes).toEqual([]);
    const message = failing.result.failed[0]!.error.message;
    expect(message).toMatch(/newerglibc\/_newerglibc\.cpython-312-x86_64-linux-gnu\.so needs closefrom from GLIBC_2\.34/);
    expect(message).toContain('needs a newer glibc than 2.17 (manylinux_2_17_x86_64)');
    const manifest = JSON.parse(readFileSync(path.join(failing.outRoot, 'linux-x86_64', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.ok).toBe(false);
    expect(manifest.error).toContain('set linux.manylinux: "2_34"');
    expect(manifest.error).toContain('or change the code not to use closefrom');

    const passing = await buildFixture('newer-glibc', {
      platform: 'linux-x86_64',
      configPath: config([
        'project:',
        `  path: ${fixture('newer-glibc')}`,
        '  import: newerglibc',
        '  smoke: "newerglibc.close_from(1000)"',
        'matrix: { platforms: [linux-x86_64], python: ["3.12"] }',
        'linux: { manylinux: "2_34" }',
      ]),
    });
    expect(passing.manifests[0]).toMatchObject({ ok: true, compatibility: 'manylinux_2_34_x86_64' });
    expect(passing.manifests[0]!.files[0]!.name).toBe('newerglibc-0.1.0-cp312-cp312-manylinux_2_34_x86_64.whl');
    // The older userland the other wheels import in is honest: Debian 11's glibc 2.31 refuses this one.
    const site = mkdtempSync(path.join(tmpdir(), 'newer-glibc-site-'));
    expect(spawnSync('unzip', ['-q', path.join(passing.outRoot, 'linux-x86_64', passing.manifests[0]!.files[0]!.name), '-d', site]).status).toBe(0);
    const python314 = path.join(embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!, 'linux-x86_64-3.14', 'bin', 'python3.14');
    const extension = path.join(site, 'newerglibc', '_newerglibc.cpython-312-x86_64-linux-gnu.so');
    const old = runWithOldGlibc(python314, ['-I', '-c', `import ctypes; ctypes.CDLL(${JSON.stringify(extension)})`], site);
    expect(old.status).not.toBe(0);
    expect(old.stderr).toMatch(/version `GLIBC_2\.34' not found/);
  });

  it('"2_28" tags pyo3-plain manylinux_2_28; "host" builds with the host toolchain as before', async () => {
    const lines = (manylinux: string) => [
      'project:',
      `  path: ${fixture('pyo3-plain')}`,
      '  import: plainclient',
      "  smoke: \"import zlib; assert plainclient.checksum(b'native') == zlib.adler32(b'native')\"",
      'matrix: { platforms: [linux-x86_64], python: ["3.13"] }',
      `linux: { manylinux: "${manylinux}" }`,
    ];
    const v228 = await buildFixture('pyo3-plain', { platform: 'linux-x86_64', configPath: config(lines('2_28')) });
    expect(v228.manifests[0]).toMatchObject({ ok: true, compatibility: 'manylinux_2_28_x86_64' });
    expect(v228.manifests[0]!.files[0]!.name).toBe('plainclient-0.1.0-cp313-cp313-manylinux_2_28_x86_64.whl');

    const host = await buildFixture('pyo3-plain', { platform: 'linux-x86_64', configPath: config(lines('host')) });
    expect(host.manifests[0]!.ok).toBe(true);
    expect(host.manifests[0]!.compatibility).toBeUndefined();
    // The host's gcc: the tag auditwheel finds for this machine's glibc, newer than 2_17.
    const [, minor] = /manylinux_2_(\d+)_x86_64\.whl$/.exec(host.manifests[0]!.files[0]!.name)!;
    expect(Number(minor)).toBeGreaterThan(17);
  });
});

describe('gmp-cli archives for manylinux_2_17', () => {
  const FACTORIAL_20 = '2432902008176640000';
  for (const variant of ['rust', 'c'] as const) {
    it(`${variant}: no ELF file in the archive needs a symbol newer than GLIBC_2.17, and the program runs`, async () => {
      const configPath =
        variant === 'c' ? config(['project:', `  path: ${fixture('gmp-cli')}/c`, '  kind: binary', '  binary: { name: gmp-cli, smoke: ["20"] }', 'matrix: { platforms: [linux-x86_64] }']) : undefined;
      const { manifests, outRoot } = await buildFixture('gmp-cli', configPath ? { configPath } : {});
      const [manifest] = manifests;
      expect(manifest).toMatchObject({ ok: true, compatibility: 'manylinux_2_17_x86_64' });
      const [archive] = manifest!.files;
      expect(archive!.bundled).toEqual(['libgmp.so.10']);
      const dir = mkdtempSync(path.join(tmpdir(), 'gmp-cli-elf-'));
      expect(spawnSync('tar', ['-xzf', path.join(outRoot, 'linux-x86_64', archive!.name), '-C', dir]).status).toBe(0);
      const elves = elfFilesUnder(dir);
      expect(elves.map((f) => path.basename(f)).sort()).toEqual(['gmp-cli', 'libgmp.so.10']);
      for (const file of elves) expect(Number(newestGlibc(file)!.split('.')[1]), file).toBeLessThanOrEqual(17);
      const program = elves.find((f) => f.endsWith('/bin/gmp-cli'))!;
      expect(spawnSync(program, ['20'], { encoding: 'utf8' }).stdout.trim()).toBe(FACTORIAL_20);
      if (variant === 'rust') expect(spawnSync('readelf', ['-p', '.comment', program], { encoding: 'utf8' }).stdout).toMatch(/Linker: LLD/);
    });
  }
});
