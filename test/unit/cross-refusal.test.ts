import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cargoCrossCompiles, cargoGraph, forceCrossEnv, readCargoGraph } from '../../src/project/cargo-features.js';
import { cargo } from '../../src/backends/cargo.js';
import { maturin } from '../../src/backends/maturin.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { linux } from '../../src/platforms/linux.js';
import type { Reporter } from '../../src/core/reporter.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { makeProject } from '../helpers/project.js';
import { routeOf } from '../helpers/route.js';

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

const NOTE =
  'gmp-mpfr-sys 1.6.5 refuses to cross-compile without its force-cross feature: this cross build sets CARGO_FEATURE_FORCE_CROSS=1 for cargo, as the feature would (nothing to change in the crate)';

describe('when cargo cross-compiles', () => {
  it("on a cross route, and on a Windows runner whose rustc is MSVC's while the target is MinGW's", () => {
    expect(cargoCrossCompiles(true, 'x86_64-unknown-linux-gnu', 'x86_64-pc-windows-gnu')).toBe(true);
    expect(cargoCrossCompiles(false, 'x86_64-pc-windows-msvc', 'x86_64-pc-windows-gnu')).toBe(true);
    expect(cargoCrossCompiles(false, 'x86_64-pc-windows-gnu', 'x86_64-pc-windows-gnu')).toBe(false);
    expect(cargoCrossCompiles(false, 'aarch64-apple-darwin', 'aarch64-apple-darwin')).toBe(false);
  });

  it("reads the graph with the features maturin builds with: the config's and [tool.maturin]'s", () => {
    const dir = makeProject({
      'pyproject.toml':
        '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n[project]\nname = "demo"\n[tool.maturin]\nfeatures = ["pyo3/generate-import-lib", "gmp"]\nno-default-features = true\n',
      'Cargo.toml': '[package]\nname = "demo"\nversion = "0.1.0"\n',
      'native-matrix.yml': 'project:\n  features: [extra]\n',
    });
    const config = validateConfig(parseYamlConfig('project:\n  features: [extra]\n', 'native-matrix.yml', path.join(dir, 'native-matrix.yml')), { catalog: loadCatalog(), workingDirectory: dir });
    expect(maturin.graphFeatureArgs!(config)).toEqual(['--no-default-features', '--features', 'extra,pyo3/generate-import-lib,gmp']);
    expect(cargo.graphFeatureArgs!(config)).toEqual(['--features', 'extra']);
  });
});

describe('cross builds of a Rust project: force-cross', () => {
  it("asks cargo for the cell's target and the build's features, so force-cross turned on by a feature counts", async () => {
    const runner = new FakeRunner((record) => ({ stdout: record.args[0] === 'tree' ? 'gmp-mpfr-sys v1.6.8|default,force-cross\n' : JSON.stringify(metadata(['default', 'force-cross'])) }));
    expect(await readCargoGraph(runner, '/p', {}, 'aarch64-unknown-linux-gnu', ['--features', 'cross'])).toEqual({ gmpMpfrSysWithoutForceCross: [] });
    expect(runner.lines()).toEqual([
      'cargo metadata --format-version 1 --filter-platform aarch64-unknown-linux-gnu --features cross',
      'cargo tree --target aarch64-unknown-linux-gnu --edges normal,build --prefix none --format {p}|{f} --features cross',
    ]);
  });

  it('believes cargo tree over cargo metadata, which unifies features over every platform (force-cross of a cfg(windows) dependency, for macOS)', async () => {
    const runner = new FakeRunner((record) => ({ stdout: record.args[0] === 'tree' ? 'gmp-mpfr-sys v1.6.8|default\n' : JSON.stringify(metadata(['default', 'force-cross'])) }));
    expect(await readCargoGraph(runner, '/p', {}, 'x86_64-apple-darwin', [])).toEqual({ gmpMpfrSysWithoutForceCross: ['1.6.8'] });
  });

  it('sets CARGO_FEATURE_FORCE_CROSS only when a gmp-mpfr-sys of the graph lacks the feature, saying so once', () => {
    expect(forceCrossEnv(cargoGraph(metadata(['c-no-tests', 'default', 'use-system-libs'])))).toEqual({ env: { CARGO_FEATURE_FORCE_CROSS: '1' }, note: NOTE });
    expect(forceCrossEnv(cargoGraph(metadata(['default', 'force-cross'])))).toEqual({ env: {} });
    expect(forceCrossEnv(cargoGraph({ packages: [{ id: 'a', name: 'rug', version: '1.28.0' }], resolve: { nodes: [{ id: 'a', features: [] }] } }))).toEqual({ env: {} });
    // Two copies of the crate (1.5 for one crate, 1.6 for another): both named, one line.
    const two = cargoGraph({
      packages: [
        { id: 'g5', name: 'gmp-mpfr-sys', version: '1.5.3' },
        { id: 'g6', name: 'gmp-mpfr-sys', version: '1.6.8' },
      ],
      resolve: {
        nodes: [
          { id: 'g5', features: ['default'] },
          { id: 'g6', features: ['force-cross'] },
        ],
      },
    });
    expect(forceCrossEnv(two).note).toMatch(/^gmp-mpfr-sys 1\.5\.3 refuses/);
  });
});

describe("gmp-mpfr-sys's bundled GMP and the zig toolchain", () => {
  it("keeps the system's static archives off rustc's search path, where libgmp.a would take the place of the bundled one (not position-independent: no extension module links)", async () => {
    const dir = makeProject({
      'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n',
      'native-matrix.yml': 'project:\n  kind: binary\n',
    });
    const dpkgList = [
      '/usr/include/x86_64-linux-gnu/gmp.h',
      '/usr/lib/x86_64-linux-gnu/libgmp.a',
      '/usr/lib/x86_64-linux-gnu/libgmp.so',
      '/usr/lib/x86_64-linux-gnu/libgmpxx.a',
      '/usr/lib/x86_64-linux-gnu/libgmpxx.so',
    ].join('\n');
    const runner = new FakeRunner(({ file, args }) => {
      if (file === 'dpkg-query') return { stdout: 'install ok installed' };
      if (file === 'dpkg' && args[0] === '-L') return { stdout: dpkgList };
      if (file === '/t/bin/python') return { stdout: '/t/ziglang/zig\n' };
      return { exitCode: 1, all: `unexpected: ${file} ${args.join(' ')}` };
    });
    const config = validateConfig(parseYamlConfig(readFileSync(path.join(dir, 'native-matrix.yml'), 'utf8'), 'native-matrix.yml', path.join(dir, 'native-matrix.yml')), { catalog: loadCatalog() });
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const context = {
      platform: loadCatalog().platforms.get('linux-x86_64')!,
      route: routeOf({ os: 'linux', arch: 'x86_64' }, loadCatalog().platforms.get('linux-x86_64')!, config.linux.manylinux),
      config,
      runner,
      reporter: silent,
      cacheDir,
      workDir: '/w',
      env: {},
      sourceDateEpoch: 315532800,
    } as const;
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
