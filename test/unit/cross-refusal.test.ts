import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildMany } from '../../src/commands/build-many.js';
import { cargoCrossRefusal, crossRefusal } from '../../src/project/cargo-features.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { linux } from '../../src/platforms/linux.js';
import type { Reporter } from '../../src/reporter.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { makeProject } from '../helpers/project.js';

const lines: string[] = [];
const silent: Reporter = { info: (line) => lines.push(line), status: (line) => lines.push(line), warning() {}, group: (_title, work) => work(), section: (_title, work) => work() };

/** `cargo metadata` of a workspace whose CLI crate depends on gmp-mpfr-sys with these features. */
function metadata(gmpFeatures: string[]) {
  const gmp = 'registry+https://github.com/rust-lang/crates.io-index#gmp-mpfr-sys@1.6.5';
  const cli = 'path+file:///p/crates/cli#qsym-cli@0.1.0';
  return {
    packages: [
      { id: cli, name: 'qsym-cli', version: '0.1.0' },
      { id: gmp, name: 'gmp-mpfr-sys', version: '1.6.5' },
    ],
    resolve: {
      nodes: [
        { id: cli, features: [] },
        { id: gmp, features: gmpFeatures },
      ],
    },
  };
}

const REFUSAL =
  'the project depends on gmp-mpfr-sys 1.6.5 without its force-cross feature, so it refuses to cross-compile; enable it (gmp-mpfr-sys = { version = "…", features = ["force-cross"] }) to cross-build here';

describe('cross builds of a Rust project', () => {
  it("asks cargo for the cell's target and the build's features, so force-cross turned on by a feature counts", async () => {
    const runner = new FakeRunner(() => ({ stdout: JSON.stringify(metadata(['default', 'force-cross'])) }));
    expect(await cargoCrossRefusal(runner, '/p', {}, 'aarch64-unknown-linux-gnu', ['--features', 'cross'])).toBeUndefined();
    expect(runner.lines()).toEqual(['cargo metadata --format-version 1 --filter-platform aarch64-unknown-linux-gnu --features cross']);
  });

  it('reads the resolved features of gmp-mpfr-sys', () => {
    expect(crossRefusal(metadata(['c-no-tests', 'default', 'use-system-libs']))).toBe(REFUSAL);
    expect(crossRefusal(metadata(['default', 'force-cross']))).toBeUndefined();
    expect(crossRefusal({ packages: [{ id: 'a', name: 'rug', version: '1.28.0' }], resolve: { nodes: [{ id: 'a', features: [] }] } })).toBeUndefined();
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('run skips the cross cells, naming the feature, and builds nothing for them', async () => {
    const dir = makeProject({
      'Cargo.toml': '[package]\nname = "qsym-cli"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngmp-mpfr-sys = "1.6"\n',
      'src/main.rs': 'fn main() {}\n',
      'native-matrix.yml': 'project:\n  kind: binary\nmatrix:\n  platforms: [linux-aarch64, windows-x86_64]\n',
    });
    const runner = new FakeRunner(({ file, args }) =>
      file === 'cargo' && args[0] === 'metadata' ? { stdout: JSON.stringify(metadata(['default'])) } : { exitCode: 1, all: `unexpected: ${file} ${args.join(' ')}` },
    );
    const outRoot = path.join(mkdtempSync(path.join(tmpdir(), 'nm-out-')), 'out');
    const run = await buildMany({ workingDirectory: dir, outRoot, runner, skipForeign: true }, silent);
    expect(run.failed.map((f) => f.error.message)).toEqual([]);
    expect(run.outcomes).toEqual([]);
    expect(run.skipped.map((s) => [s.cell.id, s.reason])).toEqual([
      ['linux-aarch64', REFUSAL],
      ['windows-x86_64', REFUSAL],
    ]);
    // Each for its cell's target only, with the build's features.
    expect(runner.lines()).toEqual(['cargo metadata --format-version 1 --filter-platform aarch64-unknown-linux-gnu', 'cargo metadata --format-version 1 --filter-platform x86_64-pc-windows-gnu']);
    expect(lines).toContain(`Skipping windows-x86_64: ${REFUSAL}; build it on its runner (windows-2025)`);

    // build (not run) fails on such a cell with the same reason, and the runner to use.
    const build = await buildMany({ workingDirectory: dir, outRoot, runner, skipForeign: false, platform: 'linux-aarch64' }, silent);
    expect(build.failed.map((f) => f.error.message)).toEqual([`platform linux-aarch64: cannot be built on this machine: ${REFUSAL}; build it on its runner (ubuntu-24.04-arm)`]);
  });
});

describe("gmp-mpfr-sys's bundled GMP and the zig toolchain", () => {
  it("keeps the system's static archives off rustc's search path, where libgmp.a would take the place of the bundled one (not position-independent: no extension module links)", async () => {
    const dir = makeProject({
      'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n',
      'native-matrix.yml': 'project:\n  kind: binary\n',
    });
    const dpkgList = ['/usr/include/x86_64-linux-gnu/gmp.h', '/usr/lib/x86_64-linux-gnu/libgmp.a', '/usr/lib/x86_64-linux-gnu/libgmp.so', '/usr/lib/x86_64-linux-gnu/libgmpxx.a', '/usr/lib/x86_64-linux-gnu/libgmpxx.so'].join('\n');
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'dpkg-query') return { stdout: 'install ok installed' };
      if (file === 'dpkg' && args[0] === '-L') return { stdout: dpkgList };
      if (file === '/t/bin/python') return { stdout: '/t/ziglang/zig\n' };
      return { exitCode: 1, all: `unexpected: ${file} ${args.join(' ')}` };
    });
    const config = validateConfig(parseYamlConfig(readFileSync(path.join(dir, 'native-matrix.yml'), 'utf8'), 'native-matrix.yml', path.join(dir, 'native-matrix.yml')), { catalog: loadCatalog() });
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const context = { platform: loadCatalog().platforms.get('linux-x86_64')!, host: { os: 'linux', arch: 'x86_64' }, config, runner, reporter: silent, cacheDir, workDir: '/w', env: {}, sourceDateEpoch: 315532800 } as const;
    const tools = { dir: '/t', python: '/t/bin/python', pipRunner: '/t/pip', bin: (n: string) => `/t/bin/${n}` };
    const gmp = await linux.provisionGmp(context, tools);
    expect(gmp.rustLinkDirs).toHaveLength(1);
    const lib = gmp.rustLinkDirs![0];
    expect(readdirSync(lib!).sort()).toEqual(['libgmp.so', 'libgmpxx.so']);
    expect(readlinkSync(path.join(lib!, 'libgmp.so'))).toBe('/usr/lib/x86_64-linux-gnu/libgmp.so');
    // The C compiler (gmp-mpfr-sys's CC) sees the headers and the same directory.
    expect(readFileSync(gmp.env.CC!, 'utf8')).toContain(`'-isystem' '${path.join(path.dirname(lib!), 'include')}' '-L' '${lib}'`);
    expect(gmp.compatibility).toBe('manylinux_2_17_x86_64');
  });
});
