import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipTo } from '../../src/stages/archive.js';
import { sha256File } from '../../src/stages/manifest.js';
import { buildFixture, fixture } from '../helpers/engine.js';

const FACTORIAL_100 =
  '93326215443944152681699238856266700490715968264381621468592963895217599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000';

/** Runs a Windows program under wine in a fresh prefix, from its own directory, with nothing else on the DLL path. */
function wine(program: string, args: string[]) {
  const prefix = mkdtempSync(path.join(tmpdir(), 'wineprefix-'));
  try {
    return spawnSync('wine', [program, ...args], {
      cwd: path.dirname(program),
      encoding: 'utf8',
      // Loader errors stay on, so a missing DLL is named.
      env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME, WINEPREFIX: prefix, WINEDEBUG: '-all,err+module', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' },
      timeout: 180_000,
    });
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}

describe('Windows binaries cross-built on Linux (mingw-w64), proven under wine', () => {
  it('packages gmp-cli.exe with exactly the DLLs its imports need; it prints 100! from the zip alone, and fails without libgmp-10.dll', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cli', { configPath: path.join(fixture('gmp-cli'), 'native-matrix.windows.yml') });
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'windows-x86_64', target: 'x86_64-pc-windows-gnu' });
    expect(manifest!.gmp).toMatchObject({ source: 'build', version: '6.3.0' });
    const [archive] = manifest!.files;
    // The DLL list comes from walking the PE imports: libgmp-10.dll, and nothing a clean Windows lacks.
    expect(archive).toMatchObject({ name: 'gmp-cli-windows-x86_64.zip', kind: 'archive', bundled: ['libgmp-10.dll'], smokePassed: ['binary'] });
    const zip = path.join(outRoot, 'windows-x86_64', archive!.name);
    expect(await sha256File(zip)).toBe(archive!.sha256);

    const dir = mkdtempSync(path.join(tmpdir(), 'unzipped-'));
    await unzipTo(zip, dir);
    const program = path.join(dir, 'gmp-cli-windows-x86_64', 'bin', 'gmp-cli.exe');
    const run = wine(program, ['100']);
    expect(run.stdout.trim(), run.stderr).toBe(FACTORIAL_100);
    expect(run.status).toBe(0);

    rmSync(path.join(path.dirname(program), 'libgmp-10.dll'));
    const broken = wine(program, ['100']);
    expect(broken.status).not.toBe(0);
    expect(broken.stdout.trim()).toBe('');
    expect(broken.stderr).toMatch(/libgmp-10\.dll/i);
  });
});
