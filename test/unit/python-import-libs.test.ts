import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';
import { crossPythonImportLibraries, importLibrariesFor, moduleDefinition, pyo3NeedsImportLibrary } from '../../src/platforms/python-import-libs.js';
import { parsePeExportNames } from '../../src/platforms/pe-files.js';
import type { CellContext } from '../../src/routes/context.js';
import type { Host } from '../../src/core/host.js';
import { cargoGraph } from '../../src/project/cargo-features.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { routeOf } from '../helpers/route.js';
import { maturinBuildNeeds } from '../../src/backends/maturin.js';

const catalog = loadCatalog();
const platform = catalog.platforms.get('windows-x86_64')!;
const LINUX: Host = { os: 'linux', arch: 'x86_64' };

// objdump -p of a python3.dll: forwarders in the address table, names in the name table.
const OBJDUMP = `
Export Address Table -- Ordinal Base 1
\t[   0] +base[   1] 349c Forwarder RVA -- python314.PyAIter_Check
\t[   1] +base[   2] 34c0 Forwarder RVA -- python314.PyExc_ValueError

[Ordinal/Name Pointer] Table
\t[   0] PyAIter_Check
\t[   1] PyExc_ValueError
\t[   2] _Py_NoneStruct

The Function Table (interpreted .pdata section contents)
`;

function graph(pyo3: string, features: string[] = []) {
  const ffi = `registry+https://github.com/rust-lang/crates.io-index#pyo3-ffi@${pyo3}`;
  return cargoGraph({ packages: [{ id: ffi, name: 'pyo3-ffi', version: pyo3 }], resolve: { nodes: [{ id: ffi, features }] } });
}

/** A context on a Linux host with Windows CPythons of `versions` under NATIVE_MATRIX_PYTHONS (DLLs with distinct bytes). */
function context(versions: string[], runner: FakeRunner): CellContext {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-pythons-'));
  for (const version of versions) {
    const dir = path.join(root, `windows-x86_64-${version}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'python.exe'), '');
    writeFileSync(path.join(dir, 'python3.dll'), `python3 of ${version}`);
    writeFileSync(path.join(dir, `python${version.replace('.', '')}.dll`), `python of ${version}`);
  }
  const config = validateConfig(parseYamlConfig('{}\n', 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
  const reporter = {
    info: (line: string) => info.push(line),
    status: (line: string) => info.push(line),
    warning() {},
    group: <T>(_: string, work: () => Promise<T>) => work(),
    section: <T>(_: string, work: () => Promise<T>) => work(),
  };
  const info: string[] = [];
  return Object.assign({ platform, route: routeOf(LINUX, platform), config, runner, reporter, cacheDir, workDir: '/w', env: { NATIVE_MATRIX_PYTHONS: root }, sourceDateEpoch: 315532800 }, { info });
}

const answering = () => new FakeRunner(({ file }) => (file.endsWith('-objdump') ? { stdout: OBJDUMP } : undefined));

describe('the Python import library of a cross build for Windows (PyO3 without generate-import-lib)', () => {
  it('is needed for PyO3 older than 0.29 (raw-dylib since) unless generate-import-lib is on, and never without PyO3', () => {
    expect(pyo3NeedsImportLibrary(graph('0.23.5').pyo3)).toBe(true);
    expect(pyo3NeedsImportLibrary(graph('0.28.2').pyo3)).toBe(true);
    expect(pyo3NeedsImportLibrary(graph('0.23.5', ['abi3', 'generate-import-lib']).pyo3)).toBe(false);
    expect(pyo3NeedsImportLibrary(graph('0.29.0').pyo3)).toBe(false);
    expect(pyo3NeedsImportLibrary(graph('1.0.0').pyo3)).toBe(false);
    expect(pyo3NeedsImportLibrary(cargoGraph({ packages: [], resolve: { nodes: [] } }).pyo3)).toBe(false);
    // pyo3-build-config's python3-dll-a, however it was turned on.
    const viaBuildConfig = cargoGraph({
      packages: [
        { id: 'f', name: 'pyo3-ffi', version: '0.22.6' },
        { id: 'b', name: 'pyo3-build-config', version: '0.22.6' },
      ],
      resolve: {
        nodes: [
          { id: 'f', features: [] },
          { id: 'b', features: ['python3-dll-a', 'resolve-config'] },
        ],
      },
    });
    expect(pyo3NeedsImportLibrary(viaBuildConfig.pyo3)).toBe(false);
  });

  it("names the libraries as PyO3 asks GNU ld for them: -lpython3 for abi3, -lpython3.12 (MinGW's name) or -lpython312 for one version", () => {
    expect(importLibrariesFor('3.10', true)).toEqual({ dll: 'python3.dll', libraries: ['libpython3.dll.a'] });
    expect(importLibrariesFor('3.12', false)).toEqual({ dll: 'python312.dll', libraries: ['libpython3.12.dll.a', 'libpython312.dll.a'] });
  });

  it("reads the export names from objdump's name table (not the forwarders), into a module definition", () => {
    expect(parsePeExportNames(OBJDUMP)).toEqual(['PyAIter_Check', 'PyExc_ValueError', '_Py_NoneStruct']);
    expect(parsePeExportNames('no exports here')).toEqual([]);
    expect(moduleDefinition('python3.dll', ['A', 'B'])).toBe('LIBRARY python3.dll\nEXPORTS\nA\nB\n');
  });

  it("abi3: makes libpython3.dll.a from the newest Windows CPython's python3.dll when the floor has none here, once; maturin gets PYO3_CROSS_LIB_DIR, rustc the directory", async () => {
    const runner = answering();
    const ctx = context(['3.12', '3.14'], runner);
    const needs = await maturinBuildNeeds(ctx, { versions: ['3.10'], abi3: true, graph: graph('0.23.5') });
    const dir = needs.env.PYO3_CROSS_LIB_DIR!;
    expect(needs).toEqual({ env: { PYO3_CROSS_LIB_DIR: dir }, rustLinkDirs: [dir] });
    expect(dir.startsWith(path.join(ctx.cacheDir, 'python-import-libs'))).toBe(true);
    const root = ctx.env.NATIVE_MATRIX_PYTHONS!;
    expect(runner.lines()).toEqual([
      `x86_64-w64-mingw32-objdump -p ${root}/windows-x86_64-3.14/python3.dll`,
      `x86_64-w64-mingw32-dlltool --input-def ${dir}/python3.def --dllname python3.dll --output-lib ${dir}/libpython3.dll.a`,
    ]);
    expect(readFileSync(path.join(dir, 'python3.def'), 'utf8')).toBe('LIBRARY python3.dll\nEXPORTS\nPyAIter_Check\nPyExc_ValueError\n_Py_NoneStruct\n');
    expect((ctx as unknown as { info: string[] }).info).toEqual([
      `PyO3 0.23.5 makes no Python import library without its generate-import-lib feature: linking through python3.dll of Windows CPython 3.14 (${dir})`,
    ]);
    // Cached by the DLL's sha256: a second build makes nothing.
    runner.commands.length = 0;
    expect(await maturinBuildNeeds(ctx, { versions: ['3.10'], abi3: true, graph: graph('0.23.5') })).toEqual(needs);
    expect(runner.lines()).toEqual([]);
  });

  it("abi3: takes the floor's own python3.dll when that CPython is here", async () => {
    const runner = answering();
    const ctx = context(['3.10', '3.14'], runner);
    await maturinBuildNeeds(ctx, { versions: ['3.10'], abi3: true, graph: graph('0.23.5') });
    expect(runner.lines()[0]).toBe(`x86_64-w64-mingw32-objdump -p ${ctx.env.NATIVE_MATRIX_PYTHONS}/windows-x86_64-3.10/python3.dll`);
  });

  it('one version per wheel: each version its own python3XY.dll, under both names; no PYO3_CROSS_LIB_DIR (maturin would look for sysconfig data there)', async () => {
    const runner = answering();
    const ctx = context(['3.12', '3.14'], runner);
    const needs = await maturinBuildNeeds(ctx, { versions: ['3.12', '3.14'], abi3: false, graph: graph('0.26.0') });
    expect(needs.env).toEqual({});
    const [dir] = needs.rustLinkDirs;
    expect(
      runner
        .lines()
        .filter((line) => line.includes('dlltool'))
        .map((line) => line.split(' ').at(-1)),
    ).toEqual(['libpython3.12.dll.a', 'libpython312.dll.a', 'libpython3.14.dll.a', 'libpython314.dll.a'].map((name) => `${dir}/${name}`));
  });

  it('refuses, naming the fixes, a version with no Windows CPython here when its wheel is not abi3', async () => {
    const ctx = context(['3.14'], answering());
    const error = await maturinBuildNeeds(ctx, { versions: ['3.13'], abi3: false, graph: graph('0.23.5') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('building for Python 3.13 here links python313.dll through an import library');
    expect((error as UserError).message).toContain("turn on PyO3's generate-import-lib feature");
  });

  it('adds nothing where PyO3 needs nothing, or on a Windows runner (maturin finds its CPython there)', async () => {
    const runner = answering();
    const ctx = context(['3.14'], runner);
    const none = { env: {}, rustLinkDirs: [] };
    expect(await maturinBuildNeeds(ctx, { versions: ['3.10'], abi3: true, graph: graph('0.30.1') })).toEqual(none);
    expect(await maturinBuildNeeds(ctx, { versions: ['3.10'], abi3: true })).toEqual(none);
    expect(await maturinBuildNeeds({ ...ctx, route: routeOf({ os: 'windows', arch: 'x86_64' }, ctx.platform) }, { versions: ['3.10'], abi3: true, graph: graph('0.23.5') })).toEqual(none);
    expect(await crossPythonImportLibraries(ctx, { versions: ['3.10'], abi3: true, graph: graph('0.23.5', ['generate-import-lib']) }, 'x86_64-w64-mingw32')).toEqual(none);
    expect(runner.lines()).toEqual([]);
  });
});
