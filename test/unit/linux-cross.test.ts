import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Interpreter } from '../../src/build/interpreters.js';
import { smokeWheel } from '../../src/build/smoke.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { buildMany } from '../../src/commands/build-many.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { CannotBuildHereError } from '../../src/errors.js';
import { linux } from '../../src/platforms/linux.js';
import { crossPython, dependencyClosure, foreignInterpreters, parseAptCandidate, parseAptDepends, parsePrintUris, toolchainFor } from '../../src/platforms/linux-cross.js';
import type { CellContext } from '../../src/platforms/types.js';
import type { CommandRecord } from '../../src/process/runner.js';
import { fixture } from '../helpers/engine.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const catalog = loadCatalog();
const aarch64 = catalog.platforms.get('linux-aarch64')!;
const X86_64_LINUX = { os: 'linux', arch: 'x86_64' } as const;
const silent = { info() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work() };
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
const uri = (file: string, n: number) => `'http://deb.debian.org/debian/pool/main/x/${file}' ${file} 1000 SHA256:${String(n).repeat(64)}`;

function context(runner: FakeRunner, cacheDir: string, env: NodeJS.ProcessEnv = {}): CellContext {
  const config = validateConfig(parseYamlConfig('matrix:\n  platforms: [linux-aarch64]\n', 'native-matrix.yml', '/work/project/native-matrix.yml'), { catalog });
  return { platform: aarch64, host: X86_64_LINUX, config, runner, reporter: silent, cacheDir, workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')), env };
}

/** A pyenv tree with a native python3.11 (the fake runner answers its probe). */
function pyenvWith311(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-pyenv-'));
  mkdirSync(path.join(root, 'versions', '3.11.9', 'bin'), { recursive: true });
  writeFileSync(path.join(root, 'versions', '3.11.9', 'bin', 'python3.11'), '');
  return root;
}

/** Answers as Debian 12 with arm64 added would, with 3.11 only. */
function debianScript({ file, args, cwd }: CommandRecord) {
  const command = [file, ...args].join(' ');
  if (command === 'dpkg --print-foreign-architectures') return { stdout: 'arm64\n' };
  if (command === 'apt-cache policy python3.11-minimal:arm64') return { stdout: POLICY_311 };
  if (command.startsWith('apt-cache policy')) return { stdout: '' };
  if (command.startsWith('apt-cache depends --recurse')) return { stdout: DEPENDS_RECURSIVE };
  if (command.startsWith('apt-get download --print-uris')) return { stdout: args.slice(2).map((p, i) => uri(`${p.split(':')[0]}_1_arm64.deb`, i % 10)).join('\n') };
  if (command.startsWith('apt-get download')) {
    for (const p of args.filter((a) => a.includes(':arm64'))) writeFileSync(path.join(cwd!, `${p.split(':')[0]}_1_arm64.deb`), '');
    return undefined;
  }
  if (args.includes('-c') && file.endsWith('python3.11')) return { stdout: '3.11.9 cpython 0\n' };
  if (file === 'qemu-aarch64' && args.includes('-c')) return { stdout: '3.11.2 cpython 0\n' };
  return undefined;
}
const debianRunner = () => new FakeRunner(debianScript);

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
    const line = "'http://deb.debian.org/debian-security/pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6%2bdeb12u9_arm64.deb' python3.11-minimal_3.11.2-6+deb12u9_arm64.deb 1861676 SHA256:617855dbf3299e03873926c75d61feaf3d36924586aecc1951a0b965a95bc694";
    expect(parsePrintUris(`${line}\n`)).toEqual([
      {
        url: 'http://deb.debian.org/debian-security/pool/updates/main/p/python3.11/python3.11-minimal_3.11.2-6%2bdeb12u9_arm64.deb',
        file: 'python3.11-minimal_3.11.2-6+deb12u9_arm64.deb',
        sha256: '617855dbf3299e03873926c75d61feaf3d36924586aecc1951a0b965a95bc694',
      },
    ]);
  });
});

describe('what an x86_64 Linux host builds for linux-aarch64', () => {
  it('cross-builds binaries and PEP 517 C extensions, not maturin wheels', () => {
    expect(linux.cannotBuildHere(aarch64, { wheel: false, binary: true, backend: 'cargo' }, X86_64_LINUX)).toBeUndefined();
    expect(linux.cannotBuildHere(aarch64, { wheel: true, binary: false, backend: 'setuptools' }, X86_64_LINUX)).toBeUndefined();
    expect(linux.cannotBuildHere(aarch64, { wheel: true, binary: false, backend: 'maturin' }, X86_64_LINUX)).toBe(
      'linux-aarch64 wheels of a maturin project need an aarch64 host (this one is x86_64 and cross-builds only binaries and PEP 517 C extensions); on GitHub the cell runs on ubuntu-24.04-arm',
    );
    expect(linux.cannotBuildHere(catalog.platforms.get('linux-x86_64')!, { wheel: true, binary: false, backend: 'maturin' }, { os: 'linux', arch: 'aarch64' })).toBe(
      'linux-x86_64 needs an x86_64 host (this one is aarch64); on GitHub the cell runs on ubuntu-24.04',
    );
  });
});

describe('foreign CPython from the apt sources', () => {
  it('unpacks the runtime closure and the headers into a cached sysroot, and runs the interpreter under qemu', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const runner = debianRunner();
    const [python] = await foreignInterpreters(context(runner, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11']);
    const sysroot = python!.foreign!.sysroot;
    expect(python).toMatchObject({ version: '3.11', fullVersion: '3.11.2', executable: path.join(sysroot, 'usr/bin/python3.11'), foreign: { launcher: ['qemu-aarch64', '-L', sysroot], host: { fullVersion: '3.11.9' } } });
    const lines = runner.lines();
    expect(lines.slice(0, 2)).toEqual(['dpkg --print-foreign-architectures', 'apt-cache policy python3.11-minimal:arm64']);
    // The -dev package's own dependencies (libc6-dev, …) are not followed.
    expect(lines[2]).toMatch(/\/versions\/3\.11\.9\/bin\/python3\.11 -c /); // the native twin
    expect(lines[3]).toBe('apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances python3.11-minimal:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64');
    const packages =
      'gcc-12-base:arm64 libc6:arm64 libexpat1:arm64 libffi8:arm64 libgcc-s1:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64 libssl3:arm64 python3.11-minimal:arm64 zlib1g:arm64 libpython3.11-dev:arm64';
    expect(lines.slice(4, 6)).toEqual([`apt-get download --print-uris ${packages}`, `apt-get download -q ${packages}`]);
    expect(lines.filter((l) => l.startsWith('dpkg-deb -x'))).toHaveLength(11);
    expect(lines.filter((l) => l.startsWith('dpkg-deb -x')).every((l) => l.endsWith(` ${sysroot}`))).toBe(true);
    expect(lines.at(-1)).toBe(`qemu-aarch64 -L ${sysroot} ${sysroot}/usr/bin/python3.11 -c ${runner.commands.at(-1)!.args.at(-1)}`);
    expect(existsSync(path.join(sysroot, '..', '.debs'))).toBe(false);

    // Same package versions: the cache is used, nothing downloaded again.
    const again = debianRunner();
    await foreignInterpreters(context(again, cacheDir, { PYENV_ROOT: pyenvWith311() }), toolchain, ['3.11']);
    expect(again.lines().filter((l) => l.startsWith('apt-get download -q') || l.startsWith('dpkg-deb'))).toEqual([]);
  });

  it('says how to add the arch when dpkg lacks it, and which versions apt lacks', async () => {
    const noArch = new FakeRunner(({ file }) => (file === 'dpkg' ? { stdout: 'i386\n' } : undefined));
    const error = await foreignInterpreters(context(noArch, '/nonexistent'), toolchain, ['3.11']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CannotBuildHereError);
    expect((error as Error).message).toBe(
      'platform linux-aarch64: cannot be built on this machine: linux-aarch64 wheels are cross-built against this system\'s arm64 CPython packages, and dpkg has no arm64 architecture: run `sudo dpkg --add-architecture arm64 && sudo apt-get update` (Ubuntu also needs its ports mirror for arm64 in the apt sources); build it on its runner (ubuntu-24.04-arm)',
    );

    const missing = await foreignInterpreters(context(debianRunner(), '/nonexistent'), toolchain, ['3.11', '3.12', '3.13t']).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CannotBuildHereError);
    expect((missing as CannotBuildHereError).reason).toBe(
      "linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, which have no Python 3.12, 3.13t; narrow the build with --python to the versions apt offers (`apt-cache policy 'python3.*-minimal:arm64'`)",
    );
  });
});

describe('building and smoke-testing for a foreign interpreter', () => {
  const sysroot = mkdtempSync(path.join(tmpdir(), 'nm-sysroot-'));
  mkdirSync(path.join(sysroot, 'usr/lib/python3.11'), { recursive: true });
  for (const name of ['_sysconfigdata__aarch64-linux-gnu.py', '_sysconfigdata__linux_aarch64-linux-gnu.py', '_sysconfigdata__x86_64-linux-gnu.py']) writeFileSync(path.join(sysroot, 'usr/lib/python3.11', name), '');
  const host: Interpreter = { version: '3.11', executable: '/py/3.11.9/bin/python3.11', fullVersion: '3.11.9', freeThreaded: false };
  const foreign: Interpreter = { version: '3.11', executable: `${sysroot}/usr/bin/python3.11`, fullVersion: '3.11.2', freeThreaded: false, foreign: { launcher: ['qemu-aarch64', '-L', sysroot], sysroot, host } };

  it('creates a crossenv with the native twin, the target sysconfig and the cross gcc, without a pip of its own', async () => {
    const runner = new FakeRunner();
    const ctx = context(runner, mkdtempSync(path.join(tmpdir(), 'nm-cache-')));
    const python = await crossPython(ctx, toolchain, foreign);
    expect(python).toBe(path.join(ctx.workDir, 'crossenv-3.11', 'bin', 'cross-python'));
    const lines = runner.lines();
    expect(lines[0]).toMatch(/^\/py\/3\.11\.9\/bin\/python3\.11 -m venv --clear .*\/tools\/[0-9a-f]{16}$/);
    expect(lines[1]).toMatch(/\/bin\/python -m pip install --disable-pip-version-check --no-input --quiet crossenv==1\.6\.2 pip==26\.3$/);
    expect(runner.commands[2]!.args).toEqual([
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
      '--without-pip',
    ]);
    expect(await linux.wheelBuildPython({ ...ctx, host: { os: 'linux', arch: 'aarch64' } }, host, { dir: '', python: '', pipDir: '', bin: (n) => n })).toBe(host.executable);
  });

  it('runs every smoke step under qemu, with the pinned pip run by the foreign interpreter', async () => {
    const runner = new FakeRunner();
    const ctx = context(runner, '/cache');
    const tools = { dir: '/t', python: '/t/bin/python', pipDir: '/t/lib/python3.11/site-packages/pip', bin: (n: string) => `/t/bin/${n}` };
    const result = await smokeWheel({ context: ctx, platform: linux, tools, interpreter: foreign, wheelDir: '/out', distribution: 'gmpcext', importName: 'gmpcext' });
    expect(result).toMatchObject({ python: '3.11', interpreter: '3.11.2', passed: true });
    const venv = path.join(runner.commands[0]!.args.at(-1)!);
    expect(runner.commands.map((c) => [c.file, ...c.args.slice(0, 5)])).toEqual([
      ['qemu-aarch64', '-L', sysroot, `${sysroot}/usr/bin/python3.11`, '-m', 'venv'],
      ['qemu-aarch64', '-L', sysroot, `${venv}/bin/python`, '/t/lib/python3.11/site-packages/pip', 'install'],
      ['qemu-aarch64', '-L', sysroot, `${venv}/bin/python`, '-I', '-c'],
    ]);
    expect(runner.commands.every((c) => c.options.cleanEnv)).toBe(true);
  });
});

describe('native-matrix run on an x86_64 host', () => {
  // What is foreign depends on the host: this is the x86_64 view.
  it.runIf(process.arch === 'x64')('skips a linux-aarch64 wheel cell whose Pythons apt cannot provide, leaving nothing behind; build fails with the reason', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nm-run-'));
    const configPath = path.join(dir, 'native-matrix.yml');
    writeFileSync(configPath, `project:\n  path: ${fixture('gmp-cext')}\nmatrix:\n  platforms: [linux-aarch64]\n  python: ["3.12"]\n`);
    const outRoot = path.join(dir, 'out');
    const options = { workingDirectory: dir, configPath, outRoot, runner: debianRunner(), env: { PYENV_ROOT: pyenvWith311() } };
    const run = await buildMany({ ...options, skipForeign: true }, silent);
    expect(run.outcomes).toEqual([]);
    expect(run.failed).toEqual([]);
    expect(run.skipped.map((s) => [s.cell.id, s.reason])).toEqual([
      ['linux-aarch64', "linux-aarch64 wheels are cross-built against this system's arm64 CPython packages, which have no Python 3.12; narrow the build with --python to the versions apt offers (`apt-cache policy 'python3.*-minimal:arm64'`)"],
    ]);
    expect(existsSync(path.join(outRoot, 'linux-aarch64'))).toBe(false);

    const build = await buildMany({ ...options, skipForeign: false }, silent);
    expect(build.failed.map((f) => f.error.message)).toEqual([expect.stringMatching(/^platform linux-aarch64: cannot be built on this machine: .* no Python 3\.12; .*; build it on its runner \(ubuntu-24\.04-arm\)$/)]);
  });
});
