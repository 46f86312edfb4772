import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { maturinArgs } from '../../src/backends/maturin.js';
import { buildGmpFromSource } from '../../src/platforms/gmp-build.js';
import { interpreterCandidates, findInterpreters } from '../../src/core/interpreters.js';
import { smokeScript } from '../../src/stages/smoke.js';
import { parseWheelName, platformTagMatches, wheelFits } from '../../src/core/wheel-name.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';
import { parseCell } from '../../src/plan/cell.js';
import { linux } from '../../src/platforms/linux.js';
import { parseLdd } from '../../src/platforms/linux-elf.js';
import type { CellContext } from '../../src/routes/context.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { serveTarballs, tarball } from '../helpers/tarballs.js';
import { routeOf } from '../helpers/route.js';

const catalog = loadCatalog();
const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };

function context(yaml: string, runner = new FakeRunner(), platform = 'linux-x86_64'): CellContext {
  const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/srv/project/native-matrix.yml'), { catalog });
  return {
    platform: catalog.platforms.get(platform)!,
    route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get(platform)!, config.linux.manylinux),
    config,
    runner,
    reporter: silent,
    cacheDir: '/cache',
    workDir: '/srv/tmp',
    env: {},
    sourceDateEpoch: 315532800,
  };
}

describe('maturin command line', () => {
  const interpreters = ['3.10', '3.11'].map((version) => ({ version, executable: `/py/${version}/bin/python${version}`, fullVersion: `${version}.1`, freeThreaded: false }));

  it('builds one abi3 wheel with the oldest interpreter, for the cell target, leaving repair to auditwheel', () => {
    const ctx = context('project:\n  path: crates/py\n  features: [abi3]\n  default-features: false\n');
    expect(maturinArgs({ module: linux, context: ctx, interpreters, abi3: true } as never, '/out')).toEqual([
      '-m',
      'maturin',
      'build',
      '--release',
      '--manifest-path',
      '/srv/project/crates/py/Cargo.toml',
      '--target',
      'x86_64-unknown-linux-gnu',
      '--out',
      '/out',
      '--interpreter',
      '/py/3.10/bin/python3.10',
      '--no-default-features',
      '--features',
      'abi3',
      '--zig',
      '--compatibility',
      'manylinux_2_17_x86_64',
      '--auditwheel',
      'skip',
    ]);
  });

  it('links with zig for linux.manylinux, or with the host toolchain for host', () => {
    const tail = (yaml: string, platform?: string) => maturinArgs({ module: linux, context: context(yaml, undefined, platform), interpreters, abi3: true } as never, '/out').slice(-5);
    expect(tail('linux: { manylinux: "2_28" }\n')).toEqual(['--zig', '--compatibility', 'manylinux_2_28_x86_64', '--auditwheel', 'skip']);
    expect(tail('{}\n', 'linux-aarch64')).toEqual(['--zig', '--compatibility', 'manylinux_2_17_aarch64', '--auditwheel', 'skip']);
    expect(tail('linux: { manylinux: host }\n').slice(-4)).toEqual(['--compatibility', 'linux', '--auditwheel', 'skip']);
    expect(tail('linux: { manylinux: host }\n')).not.toContain('--zig');
  });

  it('names a foreign (qemu-run) interpreter by its version: maturin cross-builds with its own sysconfig data', () => {
    const foreign = { ...interpreters[1]!, executable: '/sysroot/usr/bin/python3.11', foreign: { launcher: ['qemu-aarch64'], sysroot: '/sysroot', native: interpreters[1]! } };
    const args = maturinArgs({ module: linux, context: context('{}\n', undefined, 'linux-aarch64'), interpreters: [foreign], abi3: false } as never, '/out');
    expect(args.slice(args.indexOf('--interpreter'), args.indexOf('--interpreter') + 2)).toEqual(['--interpreter', 'python3.11']);
    expect(args).toContain('aarch64-unknown-linux-gnu');
  });

  it('builds one wheel per interpreter when not abi3', () => {
    const args = maturinArgs({ module: linux, context: context('{}\n'), interpreters, abi3: false } as never, '/out');
    expect(args.slice(args.indexOf('--interpreter'), args.indexOf('--interpreter') + 3)).toEqual(['--interpreter', '/py/3.10/bin/python3.10', '/py/3.11/bin/python3.11']);
  });
});

describe('GMP from source', () => {
  it('downloads and verifies the tarballs, configures a fat PIC generic-host build, then MPFR and MPC against it, and reuses the cache', async () => {
    // GMP's and MPFR's licence files as their releases have them; MPC's left out, to show a missing one is not invented.
    const files = {
      'gmp.tar.gz': tarball('gmp-6.3.0', ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3', 'COPYING']),
      'mpfr.tar.gz': tarball('mpfr-4.2.2', ['COPYING', 'COPYING.LESSER']),
      'mpc.tar.gz': tarball('mpc-1.3.1'),
    };
    const server = await serveTarballs(files);
    try {
      const digest = (name: keyof typeof files) => createHash('sha256').update(files[name]).digest('hex');
      const yaml = [
        'gmp:',
        '  source: build',
        '  libraries: [gmp, mpfr, mpc]',
        '  tarballs:',
        ...(['gmp', 'mpfr', 'mpc'] as const).map((l) => `    ${l}: { url: "${server.base}/${l}.tar.gz", sha256: "${digest(`${l}.tar.gz`)}" }`),
        '',
      ].join('\n');
      const sourceDirs: string[] = [];
      const runner = new FakeRunner(({ file, args, cwd }) => {
        if (file === 'tar') expect(spawnSync(file, args, { cwd }).status).toBe(0); // really unpack
        if (file === 'sh') sourceDirs.push(cwd!);
        return undefined;
      });
      const ctx = { ...context(yaml, runner), cacheDir: mkdtempSync(path.join(tmpdir(), 'gmp-cache-')), workDir: mkdtempSync(path.join(tmpdir(), 'gmp-work-')) };
      const build = await buildGmpFromSource(ctx, { host: 'x86_64-pc-linux-gnu', configureFlags: ['--enable-shared', '--enable-static', '--enable-fat', '--with-pic'] });
      expect(build.cacheHit).toBe(false);
      const prefix = build.prefix;
      expect(path.basename(prefix)).toMatch(/^x86_64-pc-linux-gnu-gmp-6\.3\.0-[0-9a-f]{16}$/);
      const jobs = `-j${cpus().length}`;
      expect(runner.lines().filter((line) => !line.startsWith('tar '))).toEqual([
        `sh ./configure --prefix=${prefix} --host=x86_64-pc-linux-gnu --enable-shared --enable-static --enable-fat --with-pic`,
        `make ${jobs}`,
        'make install',
        `sh ./configure --prefix=${prefix} --host=x86_64-pc-linux-gnu --enable-shared --enable-static --enable-fat --with-pic --with-gmp=${prefix}`,
        `make ${jobs}`,
        'make install',
        `sh ./configure --prefix=${prefix} --host=x86_64-pc-linux-gnu --enable-shared --enable-static --enable-fat --with-pic --with-gmp=${prefix} --with-mpfr=${prefix}`,
        `make ${jobs}`,
        'make install',
      ]);
      const configures = runner.commands.filter((c) => c.file === 'sh');
      // GMP 6.3.0's configure needs a pre-C23 dialect with new compilers.
      expect(configures.map((c) => c.env?.CC)).toEqual(['cc -std=gnu17', 'cc', 'cc']);
      // No tuning to this machine's CPU: config.guess is the FSF original.
      expect(readFileSync(path.join(sourceDirs[0]!, 'config.guess'), 'utf8')).toContain('echo generic');
      // configure still wants doc/Makefile.in, which the +dfsg tarball lacks.
      expect(existsSync(path.join(sourceDirs[0]!, 'doc', 'Makefile.in'))).toBe(true);

      const again = new FakeRunner();
      const warm = await buildGmpFromSource({ ...ctx, runner: again }, { host: 'x86_64-pc-linux-gnu', configureFlags: ['--enable-shared', '--enable-static', '--enable-fat', '--with-pic'] });
      // Each library's licence texts are kept in the cached prefix, in the catalog's order, with the version built.
      const texts = (library: string, names: string[]) => names.map((name) => ({ name, path: path.join(prefix, 'share', 'licenses', library, name) }));
      const licences = {
        gmp: { version: '6.3.0', texts: texts('gmp', ['COPYING.LESSERv3', 'COPYINGv2', 'COPYINGv3']) },
        mpfr: { version: '4.2.2', texts: texts('mpfr', ['COPYING.LESSER', 'COPYING']) },
        mpc: { version: '1.3.1', texts: [] },
      };
      expect(build.licences).toEqual(licences);
      expect(readFileSync(licences.gmp.texts[1]!.path, 'utf8')).toBe('COPYINGv2\n');
      expect(warm).toEqual({ prefix, cacheHit: true, licences });
      expect(again.commands).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses a tarball whose sha256 does not match, and leaves no cache entry', async () => {
    const server = await serveTarballs({ 'gmp.tar.gz': tarball('gmp-6.3.0') });
    try {
      const url = `${server.base}/gmp.tar.gz`;
      const ctx = {
        ...context(`gmp:\n  source: build\n  tarballs:\n    gmp: { url: "${url}", sha256: "${'0'.repeat(64)}" }\n`),
        cacheDir: mkdtempSync(path.join(tmpdir(), 'gmp-cache-')),
        workDir: mkdtempSync(path.join(tmpdir(), 'gmp-work-')),
      };
      const error = await buildGmpFromSource(ctx, { host: 'x86_64-pc-linux-gnu', configureFlags: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(
        new RegExp(`^gmp\\.tarballs\\.gmp: ${url.replace(/[.]/g, '\\.')} has sha256 [0-9a-f]{64}, not the expected 0{64}; check the URL and the sha256 in the config \\(gmp\\.tarballs\\)$`),
      );
      expect(readdirSync(path.join(ctx.cacheDir, 'gmp'))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('interpreter discovery', () => {
  it('looks on PATH, in the runner tool cache and under pyenv, in that order', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pythons-'));
    const make = (file: string) => {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '');
    };
    make(path.join(root, 'bin/python3.12'));
    make(path.join(root, 'toolcache/Python/3.12.7/x64/bin/python3.12'));
    make(path.join(root, 'toolcache/Python/3.13.1/x64-freethreaded/bin/python3.13t'));
    make(path.join(root, 'pyenv/versions/3.12.1/bin/python3.12'));
    make(path.join(root, 'pyenv/versions/3.12.10/bin/python3.12'));
    const env = { PATH: path.join(root, 'bin'), RUNNER_TOOL_CACHE: path.join(root, 'toolcache'), PYENV_ROOT: path.join(root, 'pyenv') };
    expect(interpreterCandidates('3.12', { env }).candidates).toEqual([
      path.join(root, 'bin/python3.12'),
      path.join(root, 'toolcache/Python/3.12.7/x64/bin/python3.12'),
      path.join(root, 'pyenv/versions/3.12.10/bin/python3.12'),
      path.join(root, 'pyenv/versions/3.12.1/bin/python3.12'),
    ]);
    expect(interpreterCandidates('3.13t', { env }).candidates).toEqual([path.join(root, 'toolcache/Python/3.13.1/x64-freethreaded/bin/python3.13t')]);
  });

  it('checks each candidate and names every place it looked when none fits', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pythons-'));
    mkdirSync(path.join(root, 'bin'));
    writeFileSync(path.join(root, 'bin/python3.14'), '');
    const runner = new FakeRunner(() => ({ stdout: '3.13.2 cpython 0\n' })); // a wrongly named interpreter
    const error = await findInterpreters(['3.14'], { runner, env: { PATH: path.join(root, 'bin'), PYENV_ROOT: path.join(root, 'pyenv') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(
      `python: not found: Python 3.14 (looked on PATH (python3.14), ${root}/pyenv/versions/3.14.*); install it, e.g. with actions/setup-python (python-version: the cell's python) on GitHub, or \`pyenv install <version>\` locally, or narrow the build with --python`,
    );
  });
});

describe('smoke script', () => {
  it('imports the module, proves it came from the installed wheel, then runs the statements', () => {
    expect(smokeScript('qsymlike', ["assert qsymlike.factorial(3) == '6'"]).split('\n')).toEqual([
      'import importlib, os, sys',
      '_module = importlib.import_module("qsymlike")',
      '_file = os.path.realpath(getattr(_module, "__file__", None) or "")',
      'assert _file.startswith(os.path.realpath(sys.prefix)), f"imported from {_file}, not from the installed wheel"',
      'import qsymlike',
      "assert qsymlike.factorial(3) == '6'",
      'print("smoke ok:", "qsymlike", "from", _file)',
    ]);
  });
});

describe('wheel names and tags', () => {
  it('parses wheel file names', () => {
    expect(parseWheelName('qsymlike-0.1.0-cp310-abi3-manylinux_2_34_x86_64.whl')).toEqual({
      distribution: 'qsymlike',
      version: '0.1.0',
      pythonTag: 'cp310',
      abiTag: 'abi3',
      platformTag: 'manylinux_2_34_x86_64',
    });
    expect(parseWheelName('x-1.0-1-cp312-cp312-win_amd64.whl').platformTag).toBe('win_amd64');
  });

  it('matches wheels to interpreters', () => {
    const v = (version: string) => catalog.pythons.get(version)!;
    const abi3 = parseWheelName('q-1-cp310-abi3-manylinux_2_34_x86_64.whl');
    expect(wheelFits(abi3, v('3.13'))).toBe(true);
    expect(wheelFits(abi3, v('3.9'))).toBe(false);
    expect(wheelFits(abi3, v('3.13t'))).toBe(false);
    expect(wheelFits(parseWheelName('q-1-cp313-cp313t-manylinux_2_34_x86_64.whl'), v('3.13t'))).toBe(true);
    expect(wheelFits(parseWheelName('q-1-cp313-cp313-manylinux_2_34_x86_64.whl'), v('3.13t'))).toBe(false);
  });

  it('matches platform tags to the catalog pattern, legacy manylinux names included', () => {
    expect(platformTagMatches('manylinux_2_34_x86_64', 'manylinux_*_x86_64')).toBe(true);
    expect(platformTagMatches('manylinux2014_x86_64', 'manylinux_*_x86_64')).toBe(true);
    expect(platformTagMatches('linux_x86_64', 'manylinux_*_x86_64')).toBe(false);
    expect(platformTagMatches('manylinux_2_34_aarch64', 'manylinux_*_x86_64')).toBe(false);
    expect(platformTagMatches('win_amd64', 'win_amd64')).toBe(true);
  });
});

describe('ldd output', () => {
  it('lists resolved libraries and refuses unresolved ones', () => {
    expect(parseLdd('\tlinux-vdso.so.1 (0x00007ffd)\n\tlibgmp.so.10 => /lib/x86_64-linux-gnu/libgmp.so.10 (0x00007f00)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f11)\n')).toEqual([
      { name: 'libgmp.so.10', resolved: '/lib/x86_64-linux-gnu/libgmp.so.10' },
    ]);
    expect(() => parseLdd('\tlibmpfr.so.6 => not found\n')).toThrow(/needs libmpfr\.so\.6/);
  });
});

describe('cells from JSON', () => {
  it('accepts a cell of the plan and refuses anything else with the fix', () => {
    const cell = {
      id: 'linux-x86_64-abi3',
      platform: 'linux-x86_64',
      os: 'linux',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      target: 'x86_64-unknown-linux-gnu',
      python: '3.12\n3.13',
      abi3: true,
      wheel: true,
      binary: false,
      experimental: false,
    };
    expect(parseCell(JSON.stringify(cell), 'input cell')).toEqual(cell);
    expect(() => parseCell('{"id": "x"', 'input cell')).toThrow(/^input cell: is not JSON/);
    expect(() => parseCell(JSON.stringify({ ...cell, abi3: 'yes' }), 'input cell')).toThrow('input cell: is not a native-matrix cell (abi3: ');
  });
});
