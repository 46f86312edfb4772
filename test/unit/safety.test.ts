import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey, stableStringify } from '../../src/stages/cache.js';
import { UserError } from '../../src/errors.js';
import { ExecaRunner, withoutRunnerSecrets } from '../../src/process/runner.js';
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
        GITHUB_WORKSPACE: '/w',
        RUNNER_TEMP: '/t',
      }),
    ).toEqual({ PATH: '/usr/bin', GITHUB_WORKSPACE: '/w', RUNNER_TEMP: '/t' });
  });

  it('started by the runner see the environment without them', async () => {
    const secrets = { GITHUB_TOKEN: 'ghs_y', 'INPUT_GITHUB-TOKEN': 'ghs_x', ACTIONS_RUNTIME_TOKEN: 't', NATIVE_MATRIX_TEST_KEPT: 'kept' };
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
    const cell = { id: 'linux-x86_64-abi3', platform: 'linux-x86_64', os: 'linux' as const, arch: 'x86_64', runner: 'r', target: 't', python: '3.12', abi3: true, wheel: true, binary: false, experimental: false };
    const error = await gatherCells(fromDir, [cell]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`${manifest}: files[0].name "../../etc/passwd": is not a plain file name (letters, digits and . _ + -, not starting with a dot, ending in a letter or digit); rebuild the cell: a manifest.json is written by \`native-matrix build\` and not edited`);
  });
});
