import { mkdirSync, mkdtempSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, type Platform } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';
import { planMatrix } from '../../src/plan/planner.js';
import { platformModule } from '../../src/platforms/index.js';
import { msys2Layout } from '../../src/platforms/msys2.js';
import type { GmpProvision } from '../../src/platforms/types.js';
import type { CellContext } from '../../src/routes/context.js';
import { cargoCrossCompiles, forceCrossEnv, type CargoGraph } from '../../src/project/cargo-features.js';
import { detectProject } from '../../src/backends/detect.js';
import { resolveRoute } from '../../src/routes/resolve.js';
import { ROUTE_IDS, type Route } from '../../src/routes/route.js';
import { runnerHost } from '../../src/routes/runners.js';
import { buildWheels } from '../helpers/build-wheels.js';
import { backendFor } from '../../src/backends/index.js';
import type { Interpreter } from '../../src/core/interpreters.js';
import { settingsFor } from '../../src/config/settings.js';
import type { ToolEnv } from '../../src/core/tools.js';
import { fillPlaceholders } from '../../src/backends/user-build.js';
import { venvLayout } from '../../src/core/venv.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { displayCommand } from '../../src/core/process/runner.js';

// The runner-matrix contract: for every (runner, platform) pair the planner
// can produce, with the host each GitHub runner really is, and for each kind
// of project, the route the resolver chooses and the exact commands of the
// build step, recorded by a fake runner, with the project in a directory
// whose path holds a space and a backslash. The table is runner-matrix.md,
// beside this file: a reviewer reads it line by line, and any change to a
// route or a command shows up in it.

const catalog = loadCatalog();
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'nm-contract-')));
/** Debian's arm64 CPython as the qemu route unpacks it: its sysconfig data is all a cross build reads of it. */
const SYSROOT = path.join(root, 'sysroot');
for (const version of ['3.10', '3.12']) {
  mkdirSync(path.join(SYSROOT, 'usr', 'lib', `python${version}`), { recursive: true });
  writeFileSync(path.join(SYSROOT, 'usr', 'lib', `python${version}`, '_sysconfigdata__linux_aarch64-linux-gnu.py'), 'build_time_vars = {}\n');
}
/** MSYS2's MinGW environments as pacman leaves them: the GMP family's DLLs in bin, their headers (and MinGW's C library's) in include. */
const msys2Bin = (environment: string) => path.join(root, environment.toLowerCase(), 'bin');
for (const environment of ['MINGW64', 'UCRT64', 'CLANGARM64']) {
  const bin = msys2Bin(environment);
  mkdirSync(bin, { recursive: true });
  mkdirSync(path.join(bin, '..', 'include'));
  for (const dll of ['libgmp-10.dll', 'libgmpxx-4.dll', 'libmpfr-6.dll', 'libmpc-3.dll', 'libgcc_s_seh-1.dll']) writeFileSync(path.join(bin, dll), dll);
  // A DLL build's gmp.h: its declarations are dllimport.
  for (const header of ['gmp.h', 'gmpxx.h', 'mpfr.h', 'mpf2mpfr.h', 'mpc.h', 'stdio.h'])
    writeFileSync(path.join(bin, '..', 'include', header), header === 'gmp.h' ? '#define __GMP_LIBGMP_DLL  1\n' : header);
}
/** A project directory as a user might have it: a space, and a backslash (a legal file name character on Linux and macOS). */
const PROJECT_DIR_NAME = 'my project\\v2';

/** What rustc -vV says its host is, on each runner. */
const RUSTC_HOST: Readonly<Record<string, string>> = {
  'ubuntu-24.04': 'x86_64-unknown-linux-gnu',
  'ubuntu-24.04-arm': 'aarch64-unknown-linux-gnu',
  'macos-14': 'aarch64-apple-darwin',
  'macos-15-intel': 'x86_64-apple-darwin',
  'windows-2025': 'x86_64-pc-windows-msvc',
  'windows-11-arm': 'aarch64-pc-windows-msvc',
  local: 'x86_64-unknown-linux-gnu',
};

interface ProjectKind {
  readonly title: string;
  readonly files: Readonly<Record<string, string>>;
  readonly config: string;
  /** The resolved graph `cargo metadata` gives a cross build (PyO3 0.23 without generate-import-lib, gmp-mpfr-sys without force-cross). */
  readonly graph?: CargoGraph;
}

const USER_COMMANDS = 'build:\n  before-build: ["{python} -c \\"print(1)\\" {project}"]\ntest:\n  command: "{python} -m pytest {project}/tests"\n';

const PROJECTS: readonly ProjectKind[] = [
  {
    title: 'PyO3 crate, gmp-mpfr-sys without force-cross',
    files: {
      'pyproject.toml': '[build-system]\nrequires = ["maturin>=1.7,<2"]\nbuild-backend = "maturin"\n\n[project]\nname = "qdemo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n',
      'Cargo.toml':
        '[package]\nname = "qdemo"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\npyo3 = { version = "0.23.5", features = ["extension-module", "abi3-py310"] }\ngmp-mpfr-sys = "1.6"\n',
    },
    config: `matrix:\n  python: ["3.10", "3.13"]\n${USER_COMMANDS}`,
    graph: { gmpMpfrSysWithoutForceCross: ['1.6.8'], pyo3: { version: '0.23.5', generatesImportLib: false } },
  },
  {
    title: 'setuptools C extension',
    files: {
      'pyproject.toml': '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = "cdemo"\nversion = "0.1.0"\n',
      'setup.py': 'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("cdemo", ["cdemo.c"], libraries=["gmp"])])\n',
    },
    config: `matrix:\n  python: ["3.12"]\ngmp:\n  libraries: [gmp, mpfr, mpc]\n${USER_COMMANDS}`,
  },
  {
    title: 'cargo binary',
    files: { 'Cargo.toml': '[package]\nname = "qcli"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngmp-mpfr-sys = "1.6"\n' },
    config: 'project:\n  kind: binary\n  binary: { name: qcli }\n',
    graph: { gmpMpfrSysWithoutForceCross: ['1.6.8'] },
  },
  {
    title: 'make binary',
    files: { Makefile: 'gmp-cli$(EXEEXT): main.c\n\t$(CC) $(CPPFLAGS) -o $@ main.c $(LDFLAGS) -lgmp\n', 'main.c': 'int main(void) { return 0; }\n' },
    config: 'project:\n  kind: binary\n  binary: { name: gmp-cli }\n',
  },
];

/** The settings that change runners and routes; `native-matrix run` on a developer's x86_64 Linux machine is planned as the defaults are. */
const SETTINGS: Readonly<Record<string, string>> = {
  defaults: '',
  'windows.build-on: linux': 'windows:\n  build-on: linux\n',
  'macos.build-on: linux': 'macos:\n  build-on: linux\n',
  'linux.manylinux: host': 'linux:\n  manylinux: host\n',
  'native-matrix run on an x86_64 Linux machine': '',
};
const LOCAL = 'native-matrix run on an x86_64 Linux machine';

const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };

function projectDir(kind: ProjectKind, buildOn: string): string {
  const dir = path.join(root, `${PROJECTS.indexOf(kind)}-${buildOn.replace(/\W+/g, '-')}`, PROJECT_DIR_NAME);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(kind.files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

function configFor(kind: ProjectKind, buildOn: string, dir: string): Config {
  const all = `matrix:\n  platforms: [${[...catalog.platforms.keys()].join(', ')}]\n`;
  const yaml = kind.config.includes('matrix:') ? kind.config.replace('matrix:\n', all) : all + kind.config;
  return validateConfig(parseYamlConfig(yaml + SETTINGS[buildOn], 'native-matrix.yml', path.join(dir, 'native-matrix.yml')), { catalog });
}

/** The interpreter a route builds with: the runner's own, or a foreign one run under the route's emulator. */
function interpreterFor(route: Route, version: string): Interpreter {
  const native: Interpreter = { version, executable: `/opt/hostedtoolcache/Python/${version}/bin/python${version}`, fullVersion: `${version}.9`, freeThreaded: false };
  if (route.emulator === 'qemu') return { ...native, executable: `${SYSROOT}/usr/bin/python${version}`, foreign: { launcher: ['qemu-aarch64', '-L', SYSROOT], sysroot: SYSROOT, native } };
  // Nothing runs macOS here: maturin builds for the version by name.
  if (route.id === 'macos-zig') return { ...native, executable: `python${version}`, foreign: { launcher: [], sysroot: '', buildAs: `python${version}` } };
  if (route.emulator === 'wine')
    return {
      ...native,
      executable: `/pythons/windows-x86_64-${version}/python.exe`,
      foreign: { launcher: ['wine'], sysroot: `/pythons/windows-x86_64-${version}`, buildAs: `python${version}`, native },
    };
  return native;
}

/** What the fake runner answers: a wheel where a build writes one, cargo's metadata, a Windows CPython DLL's exports, a CPython's include directory. */
async function answer(record: { file: string; args: readonly string[] }, dir: string) {
  const args = record.args;
  const flag = ['--out', '--wheel-dir', '-w'].find((name) => args.includes(name));
  const out = flag ? args[args.indexOf(flag) + 1] : undefined;
  if (out) await writeFile(path.join(out, 'demo-0.1.0-cp310-abi3-any.whl'), EMPTY_ZIP);
  if (record.file === 'cargo' && args[0] === 'metadata') return { stdout: JSON.stringify({ target_directory: path.join(dir, 'target'), packages: [{ name: 'qcli', version: '0.1.0' }] }) };
  // A virtual environment's site-packages: inside it, as Python answers.
  if (args.some((arg) => arg.includes('sysconfig.get_path("purelib")'))) {
    const site = path.join(path.dirname(path.dirname(record.file)), 'lib', 'site-packages');
    await mkdir(site, { recursive: true });
    return { stdout: `${site}\n` };
  }
  // A host CPython's headers, which the Linux route compiles Windows C extensions against.
  if (args.some((arg) => arg.includes('sysconfig.get_path("include")'))) {
    const include = path.join(dir, 'python-include');
    await mkdir(include, { recursive: true });
    await writeFile(path.join(include, 'Python.h'), '');
    return { stdout: `${include}\n` };
  }
  if (/objdump(\.exe)?$/.test(record.file) && args.includes('-p')) return { stdout: '[Ordinal/Name Pointer] Table\n\t[   0] PyArg_Parse\n\t[   1] Py_None\n' };
  return undefined;
}

/** The smallest zip there is: an end-of-central-directory record. */
const EMPTY_ZIP = Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]);

/** Scratch paths made the same on every run: the root, in either separator, and mkdtemp's random suffixes. */
const normalize = (text: string) =>
  text
    .replaceAll(root, '<tmp>')
    .replaceAll(root.replaceAll('/', '\\'), '<tmp>')
    .replace(/([\\/](?:work|pythons|cache|wheels|setuptools|make|cross-probe|repaired|repaired-out|glibc)-)[A-Za-z0-9]{6}/g, '$1XXXXXX')
    // The cache key of the headers' copy holds the (scratch) include directory it was made from.
    .replace(/(windows-python-headers\/)[0-9a-f]{16}/g, '$1<key>')
    // The cross gcc's runtime directories are named by this machine's gcc version.
    .replace(/(\/usr\/lib\/gcc\/[\w-]+\/)[\w.-]+/g, '$1<gcc version>');

async function buildStep(route: Route, kind: ProjectKind, config: Config, dir: string): Promise<string[]> {
  const platform = route.platform;
  const module = platformModule(platform);
  const project = detectProject(config);
  const workDir = mkdtempSync(path.join(root, 'work-'));
  const pythons = mkdtempSync(path.join(root, 'pythons-'));
  for (const version of ['3.10', '3.12', '3.13']) {
    mkdirSync(path.join(pythons, `windows-x86_64-${version}`), { recursive: true });
    for (const dll of ['python.exe', 'python3.dll', `python3${version.split('.')[1]}.dll`]) writeFileSync(path.join(pythons, `windows-x86_64-${version}`, dll), dll);
  }
  const runner = new FakeRunner((record) => answer(record, dir));
  const context: CellContext = {
    platform,
    route,
    config,
    runner,
    reporter: silent,
    cacheDir: mkdtempSync(path.join(root, 'cache-')),
    workDir,
    env: { PATH: '/usr/bin:/bin', HOME: '/home/runner', NATIVE_MATRIX_PYTHONS: pythons },
    sourceDateEpoch: 315532800,
  };
  const gmp: GmpProvision = {
    source: 'build',
    env: { CPPFLAGS: '-I<gmp>/include', LDFLAGS: '-L<gmp>/lib' },
    libDirs: [route.id === 'windows-msys2' ? msys2Bin(msys2Layout(platform, route).environment) : '<gmp>/lib'],
  };
  const tools: ToolEnv = { dir: '<tools>', python: '<tools>/bin/python', pipRunner: '<tools>/pip-runner.py', bin: (name) => `<tools>/bin/${name}` };
  try {
    if (project.backend === 'maturin' || project.backend === 'setuptools') {
      const versions = (config.matrix.python ?? ['3.12']).filter((v) => v !== '3.13' || !project.abi3.enabled);
      const interpreters = versions.map((version) => interpreterFor(route, version));
      const graph = route.cross ? kind.graph : undefined;
      const [wheel] = await buildWheels({ context, module, project, gmp, tools, interpreters, abi3: project.abi3.enabled, cargoGraph: graph });
      await module.repairWheel(context, wheel!, mkdtempSync(path.join(root, 'repaired-out-')), gmp, tools);
    } else {
      await backendFor(project.backend).buildProgram!(context, module, gmp, config.project.binary!.name!);
    }
  } catch (error) {
    return [...lines(runner), `error: ${error instanceof Error ? error.message : String(error)}`];
  }
  const lines_ = lines(runner);
  const test = settingsFor(config, platform.id).test;
  if (test?.command && project.backend !== 'cargo' && project.backend !== 'make') {
    const interpreter = interpreterFor(route, '3.12');
    const venv = path.join(workDir, 'smoke-3.12', 'venv');
    lines_.push(`test.command: ${fillPlaceholders(test.command, { project: dir, python: [...(interpreter.foreign?.launcher ?? []), venvLayout(venv, route.targetVenv).python] }, route.host.quote)}`);
  }
  return lines_;
}

/** The variables that point a compiler at GMP without flags (MSVC's), shown under the command that has them, with its PATH. */
const COMPILER_VARIABLES = ['INCLUDE', 'LIB', 'PATH'];
/** GCC's, shown beside MSVC's only if set: cl.exe and link.exe would warn about or refuse them. */
const GCC_VARIABLES = ['CPPFLAGS', 'CFLAGS', 'LDFLAGS'];

function lines(runner: FakeRunner): string[] {
  return runner.commands.flatMap((c): string[] => {
    const line = c.options.userShellCommand ? `shell: ${c.file}` : displayCommand(c.file, c.args);
    const gcc = GCC_VARIABLES.filter((name) => c.env?.[name] !== undefined);
    const env = c.env?.INCLUDE === undefined ? [] : [...COMPILER_VARIABLES, ...gcc].map((name) => `  ${name}=${c.env?.[name] ?? '(inherited)'}`);
    return [`$ ${line}`, ...env];
  });
}

/** One section per project kind and setting (build-on, manylinux, a local run), one block per cell of its plan. */
interface NativeRefusal {
  readonly runner: string;
  readonly platform: Platform;
  readonly project: string;
  readonly reason: string;
}

async function contract(): Promise<{ text: string; routes: Set<string>; pairs: Set<string>; refusals: NativeRefusal[] }> {
  const out: string[] = ['# Runner matrix', '', 'Generated by test/unit/runner-matrix.test.ts: the route and the build step of every (runner, platform) pair the planner produces.', ''];
  const routes = new Set<string>();
  const pairs = new Set<string>();
  const refusals: NativeRefusal[] = [];
  for (const kind of PROJECTS) {
    for (const buildOn of Object.keys(SETTINGS)) {
      const dir = projectDir(kind, buildOn);
      const config = configFor(kind, buildOn, dir);
      const project = detectProject(config);
      out.push(`## ${kind.title}, ${buildOn}`, '');
      let cells;
      try {
        cells = planMatrix({ config, catalog, project, today: new Date('2026-12-01') }).cells.filter((c) => !c.sdist);
      } catch (error) {
        out.push(`plan refused: ${error instanceof UserError ? error.message : String(error)}`, '');
        continue;
      }
      for (const cell of cells) {
        const platform: Platform = catalog.platforms.get(cell.platform)!;
        const runner = buildOn === LOCAL ? 'local' : cell.runner;
        const host = buildOn === LOCAL ? ({ os: 'linux', arch: 'x86_64' } as const) : runnerHost(catalog, cell.runner)!;
        if (buildOn !== LOCAL) pairs.add(`${cell.runner} ${cell.platform}`);
        out.push(`### ${runner} (${host.os} ${host.arch}) → ${cell.id}${cell.verify && buildOn !== LOCAL ? `, verified on ${cell.verify}` : ''}`, '');
        const resolution = resolveRoute(host, platform, { ...cell, backend: project.backend, manylinux: config.linux.manylinux });
        if (!resolution.route) {
          if (buildOn !== LOCAL && cell.runner === platform.runner) refusals.push({ runner: cell.runner, platform, project: kind.title, reason: resolution.refusal.reason });
          out.push(`refused (${resolution.refusal.kind}): ${resolution.refusal.reason}`, '');
          continue;
        }
        const route = resolution.route;
        routes.add(route.id);
        const cargoCross = (project.backend === 'maturin' || project.backend === 'cargo') && cargoCrossCompiles(route.cross, RUSTC_HOST[runner], platform.target);
        const forceCross = cargoCross && kind.graph ? Object.keys(forceCrossEnv(kind.graph).env).join(' ') || 'none needed' : 'not a cross build';
        out.push(
          `route: ${route.id} (host ${route.host.os} ${route.host.arch}, ${route.cross ? 'cross' : 'native'}, emulator ${route.emulator}${route.zig ? ', zig' : ''}${route.msvc ? ', C extensions by MSVC' : ''}); cargo cross-compiles: ${cargoCross ? `yes (rustc ${RUSTC_HOST[runner]} → ${platform.target}): ${forceCross}` : 'no'}`,
          '',
          '```',
          ...(await buildStep(route, kind, config, dir)).map(normalize),
          '```',
          '',
        );
      }
    }
  }
  return { text: normalize(out.join('\n')), routes, pairs, refusals };
}

/** Cells a runner refuses today although it is the platform's own: each with why. */
const KNOWN_GAPS: readonly { readonly platform: string; readonly project: string }[] = [];

describe('the runner-matrix contract', async () => {
  const cwdBefore = readdirSync(process.cwd());
  const { text, routes, pairs, refusals } = await contract();

  it('matches runner-matrix.md, line by line', async () => {
    await expect(text).toMatchFileSnapshot('runner-matrix.md');
  });

  it('writes nothing into the directory it runs in', () => {
    expect(readdirSync(process.cwd()).filter((name) => !cwdBefore.includes(name))).toEqual([]);
  });

  it('builds every non-experimental platform on its own runner without a refusal, for every kind of project', () => {
    const unexpected = refusals.filter(({ platform, project }) => !platform.experimental && !KNOWN_GAPS.some((gap) => gap.platform === platform.id && gap.project === project));
    expect(unexpected).toEqual([]);
  });

  it('covers every route the resolver knows, and every platform of the catalog', () => {
    expect([...routes].sort()).toEqual([...ROUTE_IDS].sort());
    for (const platform of catalog.platforms.values())
      expect(
        [...pairs].some((pair) => pair.endsWith(` ${platform.id}`)),
        platform.id,
      ).toBe(true);
  });
});
