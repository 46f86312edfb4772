import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWheels } from '../helpers/build-wheels.js';
import type { Interpreter } from '../../src/core/interpreters.js';
import { smokeWheel } from '../../src/stages/smoke.js';
import { chooseToolHost, ensureToolEnv } from '../../src/core/tools.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { buildMany } from '../../src/commands/build-many.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { CannotBuildHereError } from '../../src/core/errors.js';
import { linux } from '../../src/platforms/linux.js';
import { dependencyClosure, mergeUsr, parseAptCandidate, parseAptDepends, parsePrintUris } from '../../src/platforms/debian-sysroot.js';
import { crossWheelBuilder, foreignInterpreters, toolchainFor } from '../../src/platforms/linux-cross.js';
import type { CellContext } from '../../src/routes/context.js';
import type { CommandRecord, RunResult } from '../../src/core/process/runner.js';
import { fixture } from '../helpers/engine.js';
import { hostFacts } from '../../src/core/host.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { routeOf } from '../helpers/route.js';

/** What a PEP 517 build and a maturin build ask of a cross build's interpreters. */
const PEP517 = { compilesAgainstInterpreters: true };
const MATURIN = { compilesAgainstInterpreters: false };

const catalog = loadCatalog();
const aarch64 = catalog.platforms.get('linux-aarch64')!;
const X86_64_LINUX = { os: 'linux', arch: 'x86_64' } as const;
const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };
const toolchain = toolchainFor('aarch64')!;

// Real outputs of this host's apt for Debian 12 with the arm64 architecture added.
const POLICY_311 = [
  'python3.11-minimal:arm64:',
  '  Installed: (none)',
  '  Candidate: 3.11.2-6+deb12u9',
  '  Version table:',
  '     3.11.2-6+deb12u9 500',
  '        500 http://deb.debian.org/debian-security bookworm-security/main arm64 Packages',
].join('\n');
// `apt-cache depends --recurse` of the runtime packages, trimmed.
const DEPENDS_RECURSIVE = [
  'python3.11-minimal:arm64',
  '  PreDepends: libc6:arm64',
  '  Depends: libpython3.11-minimal:arm64',
  '  Depends: libexpat1:arm64',
  '  Depends: zlib1g:arm64',
  'libpython3.11-minimal:arm64',
  '  Depends: libc6:arm64',
  '  Depends: libssl3:arm64',
  'libpython3.11-stdlib:arm64',
  '  Depends: libpython3.11-minimal:arm64',
  ' |Depends: <media-types:arm64>',
  '    media-types',
  '  Depends: <mime-support:arm64>',
  '    mime-support',
  '  Depends: libc6:arm64',
  '  Depends: libffi8:arm64',
  'libc6:arm64',
  '  Depends: libgcc-s1:arm64',
  'libexpat1:arm64',
  '  Depends: libc6:arm64',
  'zlib1g:arm64',
  '  Depends: libc6:arm64',
  'libssl3:arm64',
  '  Depends: libc6:arm64',
  'media-types',
  'mime-support',
  '  Depends: mailcap',
  '  Depends: media-types',
  'mailcap',
  '  Depends: perl',
  'libffi8:arm64',
  '  Depends: libc6:arm64',
  'libgcc-s1:arm64',
  '  Depends: gcc-12-base:arm64',
  '  Depends: libc6:arm64',
  'gcc-12-base:arm64',
].join('\n');
/** What each fake package holds, as `dpkg-deb -x` would unpack it: paths relative to the root, `->` for symlinks. */
const PACKAGE_FILES: Record<string, string[]> = {
  'libc6:arm64': ['lib/aarch64-linux-gnu/ld-linux-aarch64.so.1', 'lib/ld-linux-aarch64.so.1 -> aarch64-linux-gnu/ld-linux-aarch64.so.1', 'lib/aarch64-linux-gnu/libc.so.6'],
  'zlib1g:arm64': ['usr/lib/aarch64-linux-gnu/libz.so.1'],
  'python3.11-minimal:arm64': ['usr/bin/python3.11'],
  'libpython3.11-dev:arm64': ['usr/include/python3.11/Python.h'],
};

/** Fake .deb files (their content names the package), and apt/dpkg answering for them. */
class FakeDebian {
  /** Bumped to publish a new version of zlib1g. */
  zlibVersion = 1;

  private file(name: string) {
    return `${name.split(':')[0]}_${name === 'zlib1g:arm64' ? this.zlibVersion : 1}_arm64.deb`;
  }

  private content(name: string) {
    return `${name} ${name === 'zlib1g:arm64' ? this.zlibVersion : 1}`;
  }

  private uri(name: string) {
    const file = this.file(name);
    return `'http://deb.debian.org/debian/pool/main/x/${file}' ${file} 100 SHA256:${createHash('sha256').update(this.content(name)).digest('hex')}`;
  }

  /** Answers as Debian 12 with arm64 added would, with Python 3.11 only. */
  readonly script = ({ file, args, cwd }: CommandRecord) => {
    const command = [file, ...args].join(' ');
    const packages = args.filter((a) => a.endsWith(':arm64'));
    if (command === 'dpkg --print-foreign-architectures') return { stdout: 'arm64\n' };
    if (command === 'apt-cache policy python3.11-minimal:arm64') return { stdout: POLICY_311 };
    if (command.startsWith('apt-cache policy')) return { stdout: '' };
    if (command.startsWith('apt-cache depends --recurse')) return { stdout: DEPENDS_RECURSIVE };
    if (file === 'apt-get' && args.includes('--print-uris')) return { stdout: packages.map((name) => this.uri(name)).join('\n') };
    if (file === 'apt-get' && args.includes('download')) {
      for (const name of packages) writeFileSync(path.join(cwd!, this.file(name)), this.content(name));
      return undefined;
    }
    if (file === 'dpkg-deb') {
      const [, deb, root] = args as [string, string, string];
      const [name] = readFileSync(deb, 'utf8').split(' ');
      for (const entry of PACKAGE_FILES[name!] ?? []) {
        const [relative, target] = entry.split(' -> ') as [string, string | undefined];
        mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
        if (target) symlinkSync(target, path.join(root, relative));
        else writeFileSync(path.join(root, relative), name!);
      }
      return undefined;
    }
    if (args.includes('-c') && file.endsWith('python3.11')) return { stdout: '3.11.9 cpython 0\n' };
    if (file === 'qemu-aarch64' && args.includes('-c')) return { stdout: '3.11.2 cpython 0\n' };
    return undefined;
  };

  runner(override?: (record: CommandRecord) => Partial<RunResult> | undefined) {
    return new FakeRunner((record) => override?.(record) ?? this.script(record));
  }
}

const debian = new FakeDebian();
const debianRunner = () => debian.runner();

function context(runner: FakeRunner, cacheDir: string, env: NodeJS.ProcessEnv = {}, manylinux = '2_17'): CellContext {
  const config = validateConfig(parseYamlConfig(`matrix:\n  platforms: [linux-aarch64]\nlinux:\n  manylinux: "${manylinux}"\n`, 'native-matrix.yml', '/srv/project/native-matrix.yml'), { catalog });
  return {
    platform: aarch64,
    route: routeOf(X86_64_LINUX, aarch64, config.linux.manylinux),
    config,
    runner,
    reporter: silent,
    cacheDir,
    workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
    env,
    sourceDateEpoch: 315532800,
  };
}

/** A pyenv tree with a native python3.11 (the fake runner answers its probe). */
function pyenvWith311(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-pyenv-'));
  mkdirSync(path.join(root, 'versions', '3.11.9', 'bin'), { recursive: true });
  writeFileSync(path.join(root, 'versions', '3.11.9', 'bin', 'python3.11'), '');
  return root;
}

describe('apt output', () => {
  it('reads the candidate version, or none', () => {
    expect(parseAptCandidate(POLICY_311)).toBe('3.11.2-6+deb12u9');
    expect(parseAptCandidate('python3.12-minimal:arm64:\n  Installed: (none)\n  Candidate: (none)\n')).toBeUndefined();
    expect(parseAptCandidate('')).toBeUndefined();
  });

  it('walks only the dependencies of the foreign arch, past virtual and arch-independent packages', () => {
    const graph = parseAptDepends(DEPENDS_RECURSIVE, 'arm64');
    expect(graph.get('libpython3.11-stdlib:arm64')).toEqual(['libpython3.11-minimal:arm64', 'libc6:arm64', 'libffi8:arm64']);
    expect(graph.get('mime-support')).toEqual([]);
    expect(dependencyClosure(graph, ['python3.11-minimal:arm64', 'libpython3.11-stdlib:arm64'])).toEqual([
      'gcc-12-base:arm64',
      'libc6:arm64',
      'libexpat1:arm64',
      'libffi8:arm64',
      'libgcc-s1:arm64',
      'libpython3.11-minimal:arm64',
      'libpython3.11-stdlib:arm64',
      'libssl3:arm64',
      'python3.11-minimal:arm64',
      'zlib1g:arm64',
    ]);
  });

  it('reads the download URIs with their digests', () => {
    const line =
      "'http://deb.debian.org/debian-security/pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6%2bdeb12u9_arm64.deb' python3.11-minimal_3.11.2-6+deb12u9_arm64.deb 1861676 SHA256:617855dbf3299e03873926c75d61feaf3d36924586aecc1951a0b965a95bc694";
    expect(parsePrintUris(`${line}\n`)).toEqual([
      {
        url: 'http://deb.debian.org/debian-security/pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6%2bdeb12u9_arm64.deb',
        file: 'python3.11-minimal_3.11.2-6+deb12u9_arm64.deb',
        sha256: '617855dbf3299e03873926c75d61feaf3d36924586aecc1951a0b965a95bc694',
      },
    ]);
  });
});

describe('merged /usr', () => {
  it('moves /lib, /bin and /sbin under /usr, merging directories, and links them back', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nm-usr-'));
    const put = (relative: string, content = relative) => {
      mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
      writeFileSync(path.join(root, relative), content);
    };
    put('lib/aarch64-linux-gnu/libc.so.6');
    put('usr/lib/aarch64-linux-gnu/libz.so.1');
    put('lib/aarch64-linux-gnu/libz.so.1', 'older copy');
    symlinkSync('aarch64-linux-gnu/libc.so.6', path.join(root, 'lib/libc-link'));
    put('usr/bin/python3.11');
    put('sbin/ldconfig');
    await mergeUsr(root);
    expect(['bin', 'sbin', 'lib'].map((dir) => readlinkSync(path.join(root, dir)))).toEqual(['usr/bin', 'usr/sbin', 'usr/lib']);
    expect(readFileSync(path.join(root, 'lib/aarch64-linux-gnu/libc.so.6'), 'utf8')).toBe('lib/aarch64-linux-gnu/libc.so.6');
    expect(readFileSync(path.join(root, 'usr/lib/aarch64-linux-gnu/libz.so.1'), 'utf8')).toBe('usr/lib/aarch64-linux-gnu/libz.so.1');
    expect(lstatSync(path.join(root, 'usr/lib/libc-link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(root, 'lib/libc-link'), 'utf8')).toBe('lib/aarch64-linux-gnu/libc.so.6');
    expect(readFileSync(path.join(root, 'sbin/ldconfig'), 'utf8')).toBe('sbin/ldconfig');
    await mergeUsr(root); // idempotent
    expect(readlinkSync(path.join(root, 'lib'))).toBe('usr/lib');
  });

  it('keeps climbing links pointing where they did, merges into linked directories, and replaces stray top-level links', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nm-usr-'));
    mkdirSync(path.join(root, 'usr/share/zoneinfo'), { recursive: true });
    writeFileSync(path.join(root, 'usr/share/zoneinfo/UTC'), 'utc');
    mkdirSync(path.join(root, 'lib/tz'), { recursive: true });
    symlinkSync('../../usr/share/zoneinfo/UTC', path.join(root, 'lib/tz/UTC'));
    // usr/lib/python3 is a link to a directory; lib/python3 must merge into it, not vanish.
    mkdirSync(path.join(root, 'usr/lib/python3.11'), { recursive: true });
    symlinkSync('python3.11', path.join(root, 'usr/lib/python3'));
    mkdirSync(path.join(root, 'lib/python3'), { recursive: true });
    writeFileSync(path.join(root, 'lib/python3/site.py'), 'site');
    // A dangling /bin and a /sbin pointing at the host.
    mkdirSync(path.join(root, 'usr/bin'));
    mkdirSync(path.join(root, 'usr/sbin'));
    symlinkSync('nowhere', path.join(root, 'bin'));
    symlinkSync('/usr/sbin', path.join(root, 'sbin'));
    await mergeUsr(root);
    expect(readFileSync(path.join(root, 'lib/tz/UTC'), 'utf8')).toBe('utc');
    expect(readlinkSync(path.join(root, 'usr/lib/tz/UTC'))).toBe('../../share/zoneinfo/UTC');
    expect(readFileSync(path.join(root, 'usr/lib/python3.11/site.py'), 'utf8')).toBe('site');
    expect(['bin', 'sbin', 'lib'].map((dir) => readlinkSync(path.join(root, dir)))).toEqual(['usr/bin', 'usr/sbin', 'usr/lib']);
  });
});

describe('the interpreter the tool environment is made with', () => {
  const py = (version: string, fullVersion: string): Interpreter => ({ version, executable: `/py/${version}`, fullVersion, freeThreaded: version.endsWith('t') });
  const search = { runner: new FakeRunner(), env: {} };

  it('is the newest of the cell that the tools support, a GIL build first', async () => {
    expect((await chooseToolHost([py('3.9', '3.9.18'), py('3.12', '3.12.1'), py('3.11', '3.11.7')], ['3.9', '3.14'], search)).version).toBe('3.12');
    expect((await chooseToolHost([py('3.12', '3.12.1'), py('3.13t', '3.13.1')], [], search)).version).toBe('3.12');
    expect((await chooseToolHost([py('3.9', '3.9.18'), py('3.13t', '3.13.1')], [], search)).version).toBe('3.13t');
  });

  it('passes over an interpreter whose venv cannot bootstrap pip (no ensurepip, as the embedded python-build-standalone)', async () => {
    const runner = new FakeRunner(({ file, args }) => (file === '/py/3.14' && args.join(' ').includes('ensurepip') ? { exitCode: 1, stderr: "ModuleNotFoundError: No module named 'ensurepip'" } : {}));
    expect((await chooseToolHost([py('3.13', '3.13.1'), py('3.14', '3.14.6')], [], { runner, env: {} })).version).toBe('3.13');
    expect(runner.commands.map((c) => c.file)).toEqual(['/py/3.14', '/py/3.13']);
  });

  it('is found on the machine for a cell of older Pythons, or the error says what to install', async () => {
    const pyenv = mkdtempSync(path.join(tmpdir(), 'nm-pyenv-'));
    mkdirSync(path.join(pyenv, 'versions/3.12.4/bin'), { recursive: true });
    writeFileSync(path.join(pyenv, 'versions/3.12.4/bin/python3.12'), '');
    const runner = new FakeRunner(({ file }) => (file.endsWith('python3.12') ? { stdout: '3.12.4 cpython 0\n' } : { exitCode: 1 }));
    const found = await chooseToolHost([py('3.9', '3.9.18')], ['3.9', '3.10', '3.11', '3.12', '3.13'], { runner, env: { PYENV_ROOT: pyenv, PATH: '' } });
    expect(found).toMatchObject({ version: '3.12', fullVersion: '3.12.4' });
    const error = await chooseToolHost([py('3.9', '3.9.18')], ['3.13'], { runner, env: { PYENV_ROOT: pyenv, PATH: '' } }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      "python: the build tools need Python 3.10 or newer, and the cell has only 3.9, with no newer CPython on this machine; install a newer CPython too (e.g. list 3.13 in actions/setup-python's python-version as well)",
    );
  });
});

describe('the pinned pip of a tool environment', () => {
  it('is run through pip/__pip-runner__.py, wherever the environment lays out site-packages', async () => {
    const py = (version: string, executable: string): Interpreter => ({ version, executable, fullVersion: `${version.replace('t', '')}.1`, freeThreaded: version.endsWith('t') });
    const posix = await ensureToolEnv({ runner: new FakeRunner(), host: py('3.13t', '/py/bin/python3.13t'), tools: [], cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')) });
    expect(posix.pipRunner).toBe(path.join(posix.dir, 'lib/python3.13t/site-packages/pip/__pip-runner__.py'));
    const windows = await ensureToolEnv({
      runner: new FakeRunner(),
      host: py('3.12', 'C:/py/python.exe'),
      tools: [],
      cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')),
      machine: hostFacts({ os: 'windows', arch: 'x86_64' }),
    });
    expect(windows.pipRunner.replaceAll('\\', '/')).toBe(`${windows.dir}/Lib/site-packages/pip/__pip-runner__.py`);
  });
});

describe('foreign CPython from the apt sources', () => {
  it('unpacks the runtime closure and the headers into a cached sysroot with a merged /usr, and runs the interpreter under qemu', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const runner = debianRunner();
    const [python] = await foreignInterpreters(context(runner, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11'], PEP517);
    const sysroot = python!.foreign!.sysroot;
    expect(python).toMatchObject({
      version: '3.11',
      fullVersion: '3.11.2',
      executable: path.join(sysroot, 'usr/bin/python3.11'),
      foreign: { launcher: ['qemu-aarch64', '-L', sysroot], native: { fullVersion: '3.11.9' } },
    });
    const lines = runner.lines();
    expect(lines.slice(0, 3)).toEqual(['apt-cache --version', 'dpkg --print-foreign-architectures', 'apt-cache policy python3.11-minimal:arm64']);
    expect(lines[3]).toMatch(/\/versions\/3\.11\.9\/bin\/python3\.11 -c /); // the native twin
    // The -dev package's own dependencies (libc6-dev, …) are not followed.
    expect(lines[4]).toBe(
      'apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances python3.11-minimal:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64',
    );
    const packages =
      'gcc-12-base:arm64 libc6:arm64 libexpat1:arm64 libffi8:arm64 libgcc-s1:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64 libssl3:arm64 python3.11-minimal:arm64 zlib1g:arm64 libpython3.11-dev:arm64';
    expect(lines.slice(5, 7)).toEqual([`apt-get -o Acquire::ForceHash=SHA256 download --print-uris ${packages}`, `apt-get -o Acquire::ForceHash=SHA256 download -q ${packages}`]);
    // apt runs in an empty scratch directory, which is gone afterwards.
    const scratch = runner.commands[5]!.cwd!;
    expect(runner.commands[6]!.cwd).toBe(scratch);
    expect(existsSync(scratch)).toBe(false);
    const unpacked = runner.commands.filter((c) => c.file === 'dpkg-deb');
    expect(unpacked).toHaveLength(11);
    expect(unpacked.every((c) => c.args[0] === '-x' && c.args[2] === sysroot)).toBe(true);
    expect(lines.at(-1)).toBe(`qemu-aarch64 -L ${sysroot} ${sysroot}/usr/bin/python3.11 -c ${runner.commands.at(-1)!.args.at(-1)}`);
    // Merged /usr: the loader's path resolves, /lib's files joined /usr/lib's, and no .deb is kept.
    expect(readlinkSync(path.join(sysroot, 'lib'))).toBe('usr/lib');
    expect(readFileSync(path.join(sysroot, 'lib/ld-linux-aarch64.so.1'), 'utf8')).toBe('libc6:arm64');
    expect(readFileSync(path.join(sysroot, 'usr/lib/aarch64-linux-gnu/libz.so.1'), 'utf8')).toBe('zlib1g:arm64');
    expect(readFileSync(path.join(sysroot, 'usr/lib/aarch64-linux-gnu/libc.so.6'), 'utf8')).toBe('libc6:arm64');
    expect(readFileSync(path.join(sysroot, 'usr/include/python3.11/Python.h'), 'utf8')).toBe('libpython3.11-dev:arm64');

    // Same package versions: the cache is used, nothing downloaded again.
    const again = debianRunner();
    const [cached] = await foreignInterpreters(context(again, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11'], PEP517);
    expect(cached!.foreign!.sysroot).toBe(sysroot);
    expect(again.commands.filter((c) => c.file === 'dpkg-deb')).toEqual([]);

    // A new zlib1g in the apt sources: a new sysroot.
    debian.zlibVersion = 2;
    try {
      const updated = debianRunner();
      const [fresh] = await foreignInterpreters(context(updated, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11'], PEP517);
      expect(fresh!.foreign!.sysroot).not.toBe(sysroot);
      expect(updated.commands.filter((c) => c.file === 'dpkg-deb')).toHaveLength(11);
    } finally {
      debian.zlibVersion = 1;
    }
  });

  it('refuses a package list whose files apt cannot all name with a digest, and a download that differs from the list', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const unlisted = debian.runner((record) => (record.args.includes('--print-uris') ? { stdout: '' } : undefined));
    const error = await foreignInterpreters(context(unlisted, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11'], PEP517).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^arm64 python3\.11: apt listed 0 package files with a SHA256 for the 11 packages gcc-12-base:arm64, .*; run `apt-get update`/);

    const changed = debian.runner((record) => {
      if (record.file !== 'apt-get' || record.args.includes('--print-uris')) return undefined;
      debian.script(record);
      writeFileSync(path.join(record.cwd!, 'libc6_1_arm64.deb'), 'not what was listed');
      return {};
    });
    const mismatch = await foreignInterpreters(context(changed, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11'], PEP517).catch((e: unknown) => e);
    expect((mismatch as Error).message).toMatch(/^arm64 python3\.11: apt downloaded libc6_1_arm64\.deb with sha256 [0-9a-f]{64}, not the [0-9a-f]{64} it listed; run `apt-get update`/);
    // Nothing half-made is kept.
    expect(existsSync(path.join(cacheDir, 'sysroots')) ? readdirSync(path.join(cacheDir, 'sysroots')) : []).toEqual([]);
  });

  it('says when there is no apt, how to add the arch when dpkg lacks it, and which versions apt lacks', async () => {
    const noApt = new FakeRunner(({ file }) => (file === 'apt-cache' ? { exitCode: 127 } : undefined));
    expect(((await foreignInterpreters(context(noApt, '/nonexistent'), toolchain, ['3.11'], PEP517).catch((e: unknown) => e)) as CannotBuildHereError).reason).toBe(
      "linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, and it has no apt",
    );

    const noArch = new FakeRunner(({ file }) => (file === 'dpkg' ? { stdout: 'i386\n' } : undefined));
    const error = await foreignInterpreters(context(noArch, '/nonexistent'), toolchain, ['3.11'], PEP517).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CannotBuildHereError);
    expect((error as Error).message).toBe(
      "platform linux-aarch64: cannot be built on this machine: linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, and dpkg has no arm64 architecture: run `sudo dpkg --add-architecture arm64 && sudo apt-get update` (Ubuntu also needs its ports mirror for arm64 in the apt sources); build it on its runner (ubuntu-24.04-arm)",
    );

    const missing = await foreignInterpreters(context(debianRunner(), '/nonexistent'), toolchain, ['3.11', '3.12', '3.13t'], PEP517).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CannotBuildHereError);
    expect((missing as CannotBuildHereError).reason).toBe(
      "linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, which have no Python 3.12, 3.13t; narrow the build with --python to the versions apt offers (`apt-cache policy 'python3.*-minimal:arm64'`)",
    );
  });
});

describe('foreign CPython for a maturin wheel', () => {
  it("takes an embedded interpreter, else apt's, else builds for the version and warns that it is not smoke-tested here", async () => {
    const pythons = mkdtempSync(path.join(tmpdir(), 'nm-pythons-'));
    const embedded = path.join(pythons, 'linux-aarch64-3.14', 'bin', 'python3.14');
    mkdirSync(path.dirname(embedded), { recursive: true });
    writeFileSync(embedded, '');
    const runner = debian.runner((record) => (record.file === 'qemu-aarch64' && record.args.includes(embedded) ? { stdout: '3.14.6 cpython 0\n' } : undefined));
    const warnings: { message: string; fix?: string }[] = [];
    const cell = {
      ...context(runner, mkdtempSync(path.join(tmpdir(), 'nm-cache-')), { NATIVE_MATRIX_PYTHONS: pythons }),
      reporter: { ...silent, warning: (w: { message: string; fix?: string }) => warnings.push(w) },
    };
    const [py311, py312, py314] = await foreignInterpreters(cell, toolchain, ['3.11', '3.12', '3.14'], MATURIN);
    // No native twin is needed: maturin is told the version by name.
    expect(py311).toMatchObject({ version: '3.11', fullVersion: '3.11.2', foreign: { buildAs: 'python3.11' } });
    expect(py311!.foreign!.native).toBeUndefined();
    expect(py311!.untested).toBeUndefined();
    expect(py312).toMatchObject({ version: '3.12', executable: 'python3.12', untested: 'no CPython of this version and arch to run under qemu-user here', foreign: { buildAs: 'python3.12' } });
    // python-build-standalone runs against the cross toolchain's C library.
    expect(py314).toMatchObject({ version: '3.14', executable: embedded, fullVersion: '3.14.6', foreign: { launcher: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'], buildAs: 'python3.14' } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe('Python 3.12 is built for but not smoke-tested on this machine (no CPython of this version and arch to run under qemu-user here)');
    expect(warnings[0]!.fix).toContain('$NATIVE_MATRIX_PYTHONS/linux-aarch64-<version>/');
  });
});

describe('building and smoke-testing for a foreign interpreter', () => {
  const sysroot = mkdtempSync(path.join(tmpdir(), 'nm-sysroot-'));
  mkdirSync(path.join(sysroot, 'usr/lib/python3.11'), { recursive: true });
  for (const name of ['_sysconfigdata__aarch64-linux-gnu.py', '_sysconfigdata__linux_aarch64-linux-gnu.py', '_sysconfigdata__x86_64-linux-gnu.py'])
    writeFileSync(path.join(sysroot, 'usr/lib/python3.11', name), '');
  const native: Interpreter = { version: '3.11', executable: '/py/3.11.9/bin/python3.11', fullVersion: '3.11.9', freeThreaded: false };
  const foreign: Interpreter = {
    version: '3.11',
    executable: `${sysroot}/usr/bin/python3.11`,
    fullVersion: '3.11.2',
    freeThreaded: false,
    foreign: { launcher: ['qemu-aarch64', '-L', sysroot], sysroot, native },
  };
  const tools = { dir: '/t', python: '/t/bin/python', pipRunner: '/t/lib/python3.11/site-packages/pip/__pip-runner__.py', bin: (n: string) => `/t/bin/${n}`, uv: '/t/bin/uv' };

  it('creates a crossenv with the native twin, the target sysconfig and the cross compilers, without a pip of its own', async () => {
    const runner = new FakeRunner();
    const ctx = context(runner, mkdtempSync(path.join(tmpdir(), 'nm-cache-')), {}, 'host');
    const builder = await crossWheelBuilder(ctx, toolchain, foreign);
    // The host's CC or LDSHARED, if exported, cannot reach the target's build.
    expect(builder).toEqual({
      python: path.join(ctx.workDir, 'crossenv-3.11', 'bin', 'cross-python'),
      env: { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LDSHARED: undefined, LDCXXSHARED: undefined },
    });
    // For an older glibc the builder sets no compiler: zig's for the target, from the GMP provision, compile and link.
    const zigCtx = context(new FakeRunner(), mkdtempSync(path.join(tmpdir(), 'nm-cache-')));
    expect((await crossWheelBuilder(zigCtx, toolchain, foreign)).env).toEqual({});
    const lines = runner.lines();
    // uv is fetched first; here (a fake runner) it brings no binary, so pip makes the tool environment.
    expect(lines[0]).toMatch(/^\/py\/3\.11\.9\/bin\/python3\.11 -m pip install .* --target .*\/uv\/[0-9a-f]{16} uv==[\d.]+$/);
    expect(lines[1]).toMatch(/^\/py\/3\.11\.9\/bin\/python3\.11 -m venv --clear .*\/tools\/[0-9a-f]{16}$/);
    expect(lines[2]).toMatch(/\/bin\/python -m pip install --disable-pip-version-check --no-input --quiet crossenv==1\.6\.2 pip==25\.3$/);
    expect(runner.commands[3]!.args).toEqual([
      '-m',
      'crossenv',
      `${sysroot}/usr/bin/python3.11`,
      path.join(ctx.workDir, 'crossenv-3.11'),
      '--sysroot',
      sysroot,
      '--sysconfigdata-file',
      path.join(sysroot, 'usr/lib/python3.11/_sysconfigdata__linux_aarch64-linux-gnu.py'),
      '--cc',
      'aarch64-linux-gnu-gcc',
      '--cxx',
      'aarch64-linux-gnu-g++',
      '--without-pip',
    ]);
    // On the arch's own host, the interpreter builds for itself.
    expect(await linux.wheelBuilder({ ...ctx, route: routeOf({ os: 'linux', arch: 'aarch64' }, aarch64) }, native)).toEqual({ python: native.executable, env: {} });
  });

  it('builds a PEP 517 wheel with the pinned pip run by the cross-python, in the cross environment', async () => {
    const runner = new FakeRunner(({ args }) => {
      if (args[1] === 'wheel') writeFileSync(path.join(args[args.indexOf('--wheel-dir') + 1]!, 'gmpcext-0.1.0-cp311-cp311-linux_aarch64.whl'), '');
      return undefined;
    });
    const ctx = context(runner, mkdtempSync(path.join(tmpdir(), 'nm-cache-')), {}, 'host');
    const gmp = { source: 'build' as const, libraries: ['gmp' as const], libDirs: ['/gmp/lib'], env: { CPPFLAGS: '-I/gmp/include', LDFLAGS: '-L/gmp/lib' } };
    const [wheel] = await buildWheels({ context: ctx, module: linux, project: { backend: 'setuptools', abi3: { enabled: false } }, gmp, tools, interpreters: [foreign], abi3: false });
    expect(path.basename(wheel!)).toBe('gmpcext-0.1.0-cp311-cp311-linux_aarch64.whl');
    const build = runner.commands.at(-1)!;
    expect(build.file).toBe(path.join(ctx.workDir, 'crossenv-3.11', 'bin', 'cross-python'));
    expect(build.args).toEqual([tools.pipRunner, 'wheel', '--no-deps', '--disable-pip-version-check', '--wheel-dir', expect.stringContaining(`${ctx.workDir}/wheels-`), '/srv/project']);
    // The project and the cache (the sysroot's Python headers) mapped before GMP's flags; the native twin's prefix is not the target's.
    expect(build.env).toMatchObject({
      CPPFLAGS: `-ffile-prefix-map=/srv/project=. -ffile-prefix-map=${ctx.cacheDir}=/native-matrix -I/gmp/include`,
      LDFLAGS: '-L/gmp/lib',
      CC: 'aarch64-linux-gnu-gcc',
      LDSHARED: undefined,
    });

    // For glibc 2.17 (the default), the extension is compiled and linked by zig for the target, from the GMP provision's environment.
    const zigCtx = context(runner, mkdtempSync(path.join(tmpdir(), 'nm-cache-')));
    const zigGmp = { ...gmp, env: { ...gmp.env, CC: '/zig/aarch64/cc', CXX: '/zig/aarch64/c++', LDSHARED: '/zig/aarch64/cc -shared' } };
    await buildWheels({ context: zigCtx, module: linux, project: { backend: 'setuptools', abi3: { enabled: false } }, gmp: zigGmp, tools, interpreters: [foreign], abi3: false });
    expect(runner.commands.at(-1)!.env).toMatchObject({ CC: '/zig/aarch64/cc', CXX: '/zig/aarch64/c++', LDSHARED: '/zig/aarch64/cc -shared' });
    expect(runner.commands.find((c) => c.args.includes('crossenv') && c.args.includes(path.join(zigCtx.workDir, 'crossenv-3.11')))!.args).toEqual(
      expect.arrayContaining(['--cc', 'aarch64-linux-gnu-gcc']),
    );

    // maturin (with zig) cross-builds for the foreign interpreter, named by its version.
    await buildWheels({ context: zigCtx, module: linux, project: { backend: 'maturin', abi3: { enabled: false } }, gmp, tools, interpreters: [foreign], abi3: false }).catch(() => undefined);
    const maturin = runner.commands.find((c) => c.args.includes('maturin'))!;
    expect(maturin.args.slice(maturin.args.indexOf('--interpreter'), maturin.args.indexOf('--interpreter') + 2)).toEqual(['--interpreter', 'python3.11']);
    expect(maturin.args).toEqual(expect.arrayContaining(['--zig', '--compatibility', 'manylinux_2_17_aarch64']));
  });

  it('runs every smoke step under qemu, with the pinned pip run by the foreign interpreter', async () => {
    const runner = new FakeRunner();
    const ctx = context(runner, '/cache');
    const result = await smokeWheel({ context: ctx, tools, interpreter: foreign, wheelDir: '/out', distribution: 'gmpcext', importName: 'gmpcext' });
    expect(result).toMatchObject({ python: '3.11', interpreter: '3.11.2', passed: true });
    const venv = path.join(runner.commands[0]!.args.at(-1)!);
    expect(runner.commands.map((c) => [c.file, ...c.args.slice(0, 5)])).toEqual([
      ['qemu-aarch64', '-L', sysroot, `${sysroot}/usr/bin/python3.11`, '-m', 'venv'],
      ['qemu-aarch64', '-L', sysroot, `${venv}/bin/python`, '/t/lib/python3.11/site-packages/pip/__pip-runner__.py', 'install'],
      // The wheel's requirements (none here), then the import.
      ['qemu-aarch64', '-L', sysroot, `${venv}/bin/python`, '-I', '-c'],
      ['qemu-aarch64', '-L', sysroot, `${venv}/bin/python`, '-I', '-c'],
    ]);
    expect(runner.commands.every((c) => c.options.cleanEnv)).toBe(true);
  });
});

describe('test.command for a foreign interpreter', () => {
  it("finds `python` and `python3` on PATH running the environment's interpreter under the emulator", async () => {
    const sysroot = '/sysroot';
    const interpreter: Interpreter = {
      version: '3.11',
      executable: `${sysroot}/usr/bin/python3.11`,
      fullVersion: '3.11.2',
      freeThreaded: false,
      foreign: { launcher: ['qemu-aarch64', '-L', sysroot], sysroot },
    };
    const runner = new FakeRunner();
    const config = validateConfig(parseYamlConfig('matrix:\n  platforms: [linux-aarch64]\ntest:\n  command: python -m unittest\n', 'native-matrix.yml', '/srv/project/native-matrix.yml'), { catalog });
    const ctx = { ...context(runner, '/cache'), config };
    const tools = { python: '/t/bin/python', pipRunner: '/t/pip-runner.py', dir: '/t', bin: (name: string) => `/t/bin/${name}`, tools: [] } as unknown as Parameters<typeof smokeWheel>[0]['tools'];
    const wheelDir = mkdtempSync(path.join(tmpdir(), 'nm-out-'));
    writeFileSync(path.join(wheelDir, 'gmpcext-0.1.0-cp311-cp311-manylinux_2_17_aarch64.whl'), '');
    const result = await smokeWheel({ context: ctx, tools, interpreter, wheelDir, distribution: 'gmpcext', importName: 'gmpcext' });
    expect(result.test).toMatchObject({ passed: true });
    const test = runner.commands.at(-1)!;
    expect(test.file).toBe('python -m unittest');
    const venv = runner.commands[0]!.args.at(-1)!;
    const [first, second] = String(test.env!.PATH).split(path.delimiter);
    expect(second).toBe(path.join(venv, 'bin'));
    for (const name of ['python', 'python3']) {
      expect(readFileSync(path.join(first!, name), 'utf8')).toBe(`#!/bin/sh\nexec 'qemu-aarch64' '-L' '/sysroot' '${venv}/bin/python' "$@"\n`);
      expect(lstatSync(path.join(first!, name)).mode & 0o111).toBe(0o111);
    }
  });
});

describe('native-matrix run on an x86_64 host', () => {
  // What is foreign depends on the host: this is the x86_64 Linux view.
  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    "skips a linux-aarch64 wheel cell whose Pythons apt cannot provide, keeping an earlier run's output; build fails with the reason",
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'nm-run-'));
      const configPath = path.join(dir, 'native-matrix.yml');
      writeFileSync(configPath, 'matrix:\n  platforms: [linux-aarch64]\n  python: ["3.12"]\npublish:\n  sdist: false\n');
      const outRoot = path.join(dir, 'out');
      mkdirSync(path.join(outRoot, 'linux-aarch64'), { recursive: true });
      writeFileSync(path.join(outRoot, 'linux-aarch64', 'manifest.json'), '{"from": "an earlier run"}');
      const options = { workingDirectory: fixture('gmp-cext'), configPath, outRoot, runner: debianRunner(), env: { PYENV_ROOT: pyenvWith311() } };
      const run = await buildMany({ ...options, skipForeign: true }, silent);
      expect(run.outcomes).toEqual([]);
      expect(run.failed).toEqual([]);
      expect(run.skipped.map((s) => [s.cell.id, s.reason])).toEqual([
        [
          'linux-aarch64',
          "linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, which have no Python 3.12; narrow the build with --python to the versions apt offers (`apt-cache policy 'python3.*-minimal:arm64'`)",
        ],
      ]);
      expect(readFileSync(path.join(outRoot, 'linux-aarch64', 'manifest.json'), 'utf8')).toBe('{"from": "an earlier run"}');

      const build = await buildMany({ ...options, skipForeign: false }, silent);
      expect(build.failed.map((f) => f.error.message)).toEqual([
        expect.stringMatching(/^platform linux-aarch64: cannot be built on this machine: .* no Python 3\.12; .*; build it on its runner \(ubuntu-24\.04-arm\)$/),
      ]);
    },
  );
});
