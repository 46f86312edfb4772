import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File, type Manifest } from '../../src/stages/manifest.js';
import { buildFixture, ROOT } from '../helpers/engine.js';
import { twineCheck } from '../helpers/python.js';

const PYTHONS = ['3.10', '3.11', '3.12', '3.13'];
// 3.14 is the Linux CPython that scripts/install-deps.sh extracts (python-build-standalone, without ensurepip).
const QSYM_PYTHONS = [...PYTHONS, '3.14'];

function wheelMembers(wheel: string): string[] {
  const result = spawnSync('unzip', ['-Z1', wheel], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split('\n');
}

describe('real wheel builds on Linux x86_64', () => {
  it('qsym-like (PyO3, abi3, system GMP): one cp310-abi3 manylinux wheel carrying libgmp, smoke-passed on 3.10–3.14', async () => {
    const { manifests, outRoot } = await buildFixture('qsym-like', { platform: 'linux-x86_64', python: QSYM_PYTHONS });
    expect(manifests).toHaveLength(1);
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'linux-x86_64-abi3', abi3: true, python: QSYM_PYTHONS });
    expect(manifest!.ok).toBe(true);
    expect(manifest!.files).toHaveLength(1);
    const [wheel] = manifest!.files;
    expect(wheel!.name).toMatch(/^qsymlike-0\.1\.0-cp310-abi3-manylinux_2_\d+_x86_64\.whl$/);
    expect(wheel!.smokePassed).toEqual(QSYM_PYTHONS);
    expect(wheel!.smoke.map((s) => s.python)).toEqual(QSYM_PYTHONS);
    expect(wheel!.smoke.find((s) => s.python === '3.14')?.interpreter).toMatch(/^3\.14\./);
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10/)]);
    const file = path.join(outRoot, 'linux-x86_64-abi3', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);
    expect(wheelMembers(file)).toContainEqual(expect.stringMatching(/^qsymlike\.libs\/libgmp-[0-9a-f]{8}\.so\.10/));
    expect(manifest!.timings).toMatchObject({ provision: expect.any(Number), build: expect.any(Number), repair: expect.any(Number), metadata: expect.any(Number), smoke: expect.any(Number) });
    // The build checked the metadata (twine check --strict); so does an independent twine.
    const check = twineCheck([file]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PASSED');
  });

  // 3.9, the catalog's oldest, too: the one pinned pip builds and installs for every interpreter.
  it('gmp-cext (setuptools C extension, not abi3): five version-specific wheels, each smoke-passed on its own version', async () => {
    const { manifests } = await buildFixture('gmp-cext', { platform: 'linux-x86_64', python: ['3.9', ...PYTHONS] });
    const [manifest] = manifests;
    expect(manifest!.cell.abi3).toBe(false);
    // In file-name order.
    expect(manifest!.files.map((f) => [f.pythonTag, f.abiTag, f.smokePassed])).toEqual([
      ['cp310', 'cp310', ['3.10']],
      ['cp311', 'cp311', ['3.11']],
      ['cp312', 'cp312', ['3.12']],
      ['cp313', 'cp313', ['3.13']],
      ['cp39', 'cp39', ['3.9']],
    ]);
    for (const file of manifest!.files) {
      expect(file.platformTag).toMatch(/manylinux_2_\d+_x86_64/);
      expect(file.bundled).toEqual([expect.stringMatching(/^libgmp-/)]);
    }
  });

  it('pyo3-plain (no GMP, requires-python >=3.10): wheels for 3.10 and 3.13 that bundle nothing', async () => {
    const { manifests } = await buildFixture('pyo3-plain', { platform: 'linux-x86_64' });
    const [manifest] = manifests;
    expect(manifest!.files.map((f) => [f.pythonTag, f.bundled, f.smokePassed])).toEqual([
      ['cp310', [], ['3.10']],
      ['cp313', [], ['3.13']],
    ]);
  });

  it('records a failing smoke test in the manifest, keeps the wheel, and fails the cell', async () => {
    const { result, outRoot } = await buildFixture('pyo3-plain', {
      expectFailure: true,
      platform: 'linux-x86_64',
      python: ['3.13'],
      configPath: path.join(ROOT, 'test/fixtures-config/pyo3-plain-failing-smoke.yml'),
    });
    expect(result.outcomes).toHaveLength(0);
    expect(result.failed).toHaveLength(1);
    const message = result.failed[0]!.error.message;
    expect(message).toContain('the smoke test failed for plainclient-');
    expect(message).toContain('AssertionError: deliberately failing');
    // The wheel stays, listed in the manifest with the failed smoke test.
    const manifest = JSON.parse(readFileSync(path.join(outRoot, 'linux-x86_64', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.ok).toBe(false);
    const [wheel] = manifest.files;
    expect(wheel).toMatchObject({ pythonTag: 'cp313', smokePassed: [] });
    expect(wheel!.smoke[0]).toMatchObject({ python: '3.13', passed: false });
    expect(existsSync(path.join(outRoot, 'linux-x86_64', wheel!.name))).toBe(true);
  });
});
