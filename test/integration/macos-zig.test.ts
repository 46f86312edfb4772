import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Platform } from '../../src/catalog/catalog.js';
import { UserError } from '../../src/core/errors.js';
import { checkMacosWheel, deploymentTarget } from '../../src/platforms/macos.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { cacheRoot } from '../../src/core/cache.js';
import { findInterpreters } from '../../src/core/interpreters.js';
import { runPythonHelper } from '../../src/core/python-helpers.js';
import { ensureToolEnv, type ToolEnv } from '../../src/core/tools.js';
import { CARGO_TARGET_DIR, fixture, quietLog } from '../helpers/engine.js';

// macOS wheels cross-built on Linux by the bare `maturin build --zig`: zig
// links against the macOS libSystem stubs it ships, with rustup's std for the
// Apple targets (scripts/install-deps.sh adds them). Nothing here can load
// the result (no macOS), so what is proven is the Mach-O files themselves,
// read by the project's own check: arch, minos, and that nothing outside
// /usr/lib is linked.
const runner = new ExecaRunner(quietLog());
const catalog = loadCatalog();
const platforms = ['macos-arm64', 'macos-x86_64'].map((id) => catalog.platforms.get(id)!);
const TAGS: Record<string, string> = { 'macos-arm64': 'macosx_11_0_arm64', 'macos-x86_64': 'macosx_10_13_x86_64' };
const wheels = new Map<string, string>();
let tools: ToolEnv;

interface MachoReport {
  dependencies: Record<string, string[]>;
  minos: Record<string, string | null>;
  archs: Record<string, string[]>;
}

const target = (platform: Platform) => deploymentTarget(platform, {});

beforeAll(async () => {
  const [python] = await findInterpreters(['3.12'], { runner });
  // delocate brings macholib, which the check reads Mach-O files with.
  tools = await ensureToolEnv({ runner, host: python!, tools: ['maturin', 'ziglang', 'delocate'], cacheDir: cacheRoot() });
  const zig = (await runner.run(tools.python, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'], { quiet: true })).stdout.trim();
  for (const platform of platforms) {
    const outDir = mkdtempSync(path.join(tmpdir(), `macos-zig-${platform.arch}-`));
    await runner.run(tools.bin('maturin'), ['build', '--release', '--zig', '--target', platform.target, '-i', python!.executable, '-o', outDir], {
      cwd: fixture('pyo3-plain'),
      // The catalog's deployment target, as the macOS module sets it on a Mac.
      env: { CARGO_TARGET_DIR, CARGO_ZIGBUILD_ZIG_PATH: zig, MACOSX_DEPLOYMENT_TARGET: target(platform) },
      purpose: `maturin build --zig --target ${platform.target}`,
    });
    const [wheel, ...others] = readdirSync(outDir);
    expect(others).toEqual([]);
    wheels.set(platform.id, path.join(outDir, wheel!));
  }
});

describe.each(platforms)('maturin --zig on Linux builds pyo3-plain for $id', (platform) => {
  const arch = platform.arch === 'aarch64' ? 'arm64' : 'x86_64';

  it("gives a wheel the project's Mach-O check passes for the catalog's platform and deployment target", async () => {
    const wheel = wheels.get(platform.id)!;
    expect(path.basename(wheel)).toBe(`plainclient-0.1.0-cp312-cp312-${TAGS[platform.id]}.whl`);
    const check = await checkMacosWheel(runner, tools, wheel, platform, target(platform));
    expect(check).toEqual({ bundled: [], platformTags: [TAGS[platform.id]] });
  });

  it('links the extension for the arch and the deployment target, against system libraries only', async () => {
    const report = (await runPythonHelper(runner, tools.python, 'check_macos_wheel', [wheels.get(platform.id)!])) as MachoReport;
    const extension = 'plainclient/plainclient.cpython-312-darwin.so';
    expect(Object.keys(report.archs)).toEqual([extension]);
    expect(report.archs[extension]).toEqual([arch]);
    expect(report.minos[extension]).toBe(target(platform));
    // libSystem, and the libiconv Rust's std links on Apple targets: all in the OS.
    expect(report.dependencies[extension]).toContain('/usr/lib/libSystem.B.dylib');
    for (const library of report.dependencies[extension]!) expect(library).toMatch(/^\/usr\/lib\//);
  });
});

describe("the project's Mach-O check refuses the zig-built wheels where they do not fit", () => {
  it('refuses the arm64 wheel for macos-x86_64, naming the arch of the extension and the tag', async () => {
    const error = await checkMacosWheel(runner, tools, wheels.get('macos-arm64')!, platforms[1]!, '11.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('plainclient/plainclient.cpython-312-darwin.so is built for arm64, not x86_64');
    expect((error as UserError).message).toContain('platform tag macosx_11_0_arm64 is not a macosx_*_x86_64 tag');
  });

  it('refuses the x86_64 wheel for an older deployment target than it was linked for', async () => {
    const error = await checkMacosWheel(runner, tools, wheels.get('macos-x86_64')!, platforms[1]!, '10.9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('plainclient/plainclient.cpython-312-darwin.so requires macOS 10.13, newer than the deployment target 10.9');
  });
});
