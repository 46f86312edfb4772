import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecaRunner, type CommandRecord } from '../../src/core/process/runner.js';
import type { Manifest } from '../../src/stages/manifest.js';
import { buildFixture, fixture, quietLog } from '../helpers/engine.js';

// The `build` and `test` settings end to end on Linux x86_64: each fixture
// is built once per configuration and checked in many ways.

function recordingRunner() {
  const commands: CommandRecord[] = [];
  return { commands, runner: new ExecaRunner(quietLog(), (record) => commands.push(record)) };
}

describe('dep-cext: a wheel with a dependency from the index, tested with its own pytest suite', () => {
  it('builds for 3.12 and 3.13 with the build settings, installs six and pytest from the index, and passes pytest against the installed wheel', async () => {
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'nm-before-build-')), 'log');
    const { commands, runner } = recordingRunner();
    const { manifests, outRoot, result } = await buildFixture('dep-cext', { platform: 'linux-x86_64', runner, env: { DEPCEXT_TEST_LOG: log } });
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
    const [manifest] = manifests;
    expect(manifest!.ok).toBe(true);
    expect(manifest!.files.map((f) => [f.pythonTag, f.smokePassed])).toEqual([
      ['cp312', ['3.12']],
      ['cp313', ['3.13']],
    ]);
    for (const file of manifest!.files) {
      const [smoke] = file.smoke;
      expect(smoke).toMatchObject({ passed: true, test: { passed: true, seconds: expect.any(Number) } });
      // The wheel declares the dependency the smoke environment fetched from the index.
      const metadata = spawnSync('unzip', ['-p', path.join(outRoot, 'linux-x86_64', file.name), 'depcext-0.1.0.dist-info/METADATA'], { encoding: 'utf8' }).stdout;
      expect(metadata).toContain('Requires-Dist: six>=1.16');
    }
    // before-build ran once before each wheel build, with that build's Python as `python`.
    expect(readFileSync(log, 'utf8')).toBe('3.12\n3.13\n');
    // build.args reached pip wheel (the backend refuses to build without it, and without build.environment).
    const builds = commands.filter((c) => c.args.includes('wheel'));
    expect(builds).toHaveLength(2);
    for (const build of builds) expect(build.args.slice(-3)).toEqual(['--config-settings', 'depcext-arg=yes', fixture('dep-cext')]);
    // The wheel came from the output directory alone; pytest ran in each Python, in an empty directory holding a copy of tests/.
    const installs = commands.filter((c) => c.args.includes('--no-deps') && c.args.includes('depcext'));
    expect(installs).toHaveLength(2);
    for (const install of installs) expect(install.args).toEqual(expect.arrayContaining(['--no-index', '--find-links', path.join(outRoot, 'linux-x86_64')]));
    const tests = commands.filter((c) => c.file.includes('pytest'));
    expect(tests).toHaveLength(2);
    for (const test of tests) {
      expect(test.cwd).not.toContain(fixture('dep-cext'));
      expect(test.env?.PATH?.split(':')[0]).toMatch(/smoke-3\.1[23]-[^/]+\/venv\/bin$/);
    }
    const summary = readFileSync(path.join(outRoot, 'summary.md'), 'utf8');
    expect(summary).toMatch(/✅ [\d.]+ s · tests ✅ [\d.]+ s/);
  });

  it('fails the cell when a test fails, keeping the wheel and saying so in the manifest and the summary', async () => {
    const { result, outRoot } = await buildFixture('dep-cext', { platform: 'linux-x86_64', configPath: 'native-matrix.failing.yml', expectFailure: true });
    expect(result.outcomes).toHaveLength(0);
    expect(result.failed).toHaveLength(1);
    const message = result.failed[0]!.error.message;
    expect(message).toContain('test.command failed for depcext-0.1.0-cp313-cp313-');
    expect(message).toContain('failing on purpose: DEPCEXT_FAIL_TESTS=1');
    const manifest = JSON.parse(readFileSync(path.join(outRoot, 'linux-x86_64', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.ok).toBe(false);
    const [wheel] = manifest.files;
    expect(wheel!.smoke).toEqual([expect.objectContaining({ python: '3.13', passed: true, test: expect.objectContaining({ passed: false, output: expect.stringContaining('1 failed, 3 passed') }) })]);
    expect(existsSync(path.join(outRoot, 'linux-x86_64', wheel!.name))).toBe(true);
    expect(readFileSync(path.join(outRoot, 'summary.md'), 'utf8')).toMatch(/tests ❌/);
  });
});

describe('qsym-like with native-matrix.settings.yml: build settings reach maturin and cargo', () => {
  it("marks the abi3 wheel and the CLI of another workspace package with build.environment, passes --locked, runs before-build, audits abi3, ignores other platforms' overrides", async () => {
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'nm-before-build-')), 'log');
    const { commands, runner } = recordingRunner();
    const { manifests, outRoot, result } = await buildFixture('qsym-like', { platform: 'linux-x86_64', configPath: 'native-matrix.settings.yml', runner, env: { QSYM_TEST_LOG: log } });
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
    const [manifest] = manifests;
    expect(manifest!.ok).toBe(true);
    // The smoke statement asserts the wheel's BUILD_MARK == "from-config", in both Pythons.
    expect(manifest!.files.map((f) => [f.kind, f.name, f.smokePassed])).toEqual([
      ['wheel', expect.stringMatching(/^qsymlike-0\.1\.0-cp310-abi3-manylinux.*_x86_64\.whl$/), ['3.12', '3.13']],
      ['archive', 'qsym-0.2.0-linux-x86_64.tar.gz', ['binary']],
    ]);
    // The CLI, unpacked and run: built by cargo with the mark, from the qsym-cli package (its own version).
    const unpacked = mkdtempSync(path.join(tmpdir(), 'nm-qsym-cli-'));
    expect(spawnSync('tar', ['-xzf', path.join(outRoot, 'linux-x86_64-abi3', 'qsym-0.2.0-linux-x86_64.tar.gz'), '-C', unpacked]).status).toBe(0);
    const version = spawnSync(path.join(unpacked, 'qsym-0.2.0-linux-x86_64', 'bin', 'qsym'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^qsym 0\.2\.0 \(GMP [\d.]+, build mark "from-config"\)$/m);

    const maturin = commands.find((c) => c.args.includes('maturin'))!;
    expect(maturin.args.at(-1)).toBe('--locked');
    expect(maturin.env).toMatchObject({ QSYM_BUILD_MARK: 'from-config', PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1' });
    // cargo-zigbuild for the default manylinux_2_17 target.
    const cargo = commands.find((c) => (path.basename(c.file) === 'cargo' && c.args[0] === 'build') || (path.basename(c.file) === 'cargo-zigbuild' && c.args[0] === 'zigbuild'))!;
    expect(cargo.args).toEqual(expect.arrayContaining(['--package', 'qsym-cli', '--bin', 'qsym', '--locked']));
    expect(cargo.args).not.toContain('--frozen');
    expect(readFileSync(log, 'utf8')).toBe(`before-build in ${fixture('qsym-like/crates/qsym-python')}\n`);
    expect(commands.filter((c) => c.file.endsWith('/abi3audit'))).toEqual([expect.objectContaining({ args: ['--strict', '--verbose', expect.stringMatching(/qsymlike-.*abi3.*\.whl$/)] })]);
  });
});

describe('abi3-violation: a wheel tagged abi3 that calls outside the stable ABI', () => {
  it("fails the cell with abi3audit's finding, in the error and the manifest", async () => {
    const { result, outRoot } = await buildFixture('abi3-violation', { platform: 'linux-x86_64', expectFailure: true });
    expect(result.outcomes).toHaveLength(0);
    const message = result.failed[0]!.error.message;
    expect(message).toMatch(/abi3bad-0\.1\.0-cp310-abi3-[\w.]+\.whl is tagged abi3 but does not keep to the stable ABI/);
    expect(message).toContain('PyUnicode_AsUTF8');
    const manifest = JSON.parse(readFileSync(path.join(outRoot, 'linux-x86_64-abi3', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.ok).toBe(false);
    expect(manifest.error).toContain('PyUnicode_AsUTF8');
  });
});
