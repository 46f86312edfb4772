import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256File } from '../../src/core/hashing.js';
import { embeddedPython } from '../../src/platforms/embedded-pythons.js';
import { ExecaRunner, type CommandRunner, type RunOptions } from '../../src/core/process/runner.js';
import { checkoutProject, corpusConfig, CORPUS, type CorpusProject } from '../helpers/corpus.js';
import { buildFixture, elfFilesUnder, newestGlibc, OLD_USERLAND, PRINT_GLIBC, quietLog, runWithOldGlibc, SmokeMaskingRunner } from '../helpers/engine.js';
import { twineCheck } from '../helpers/python.js';

/**
 * Real projects, as published, built by the engine with a config of ours from
 * outside their trees (test/corpus/), for every platform this machine
 * builds; each (project, platform) is built once and then examined.
 */

// The system's GMP family, hidden from the smoke tests' and the tests'
// interpreters on linux-x86_64: only what a wheel carries can load.
const SYSTEM_LIBRARIES = ['libgmp.so.10', 'libmpfr.so.6', 'libmpc.so.3'].map((name) => realpathSync(path.join('/usr/lib/x86_64-linux-gnu', name)));

/** Runs the commands of a shell script line inside a mount namespace where `hidden` are /dev/null. */
const MASK = 'for f in $NM_MASK; do mount --bind /dev/null "$f" || exit 97; done; exec sh -c "$0"';

/**
 * Records the output of every test.command, and runs it (as the smoke
 * tests' interpreters, through SmokeMaskingRunner) with the system's GMP
 * family hidden when `hidden` is given.
 */
class ProjectTestsRunner implements CommandRunner {
  readonly testOutputs: string[] = [];
  private readonly inner: CommandRunner;
  constructor(
    private readonly base: CommandRunner,
    private readonly hidden: readonly string[] = [],
  ) {
    this.inner = hidden.length > 0 ? new SmokeMaskingRunner(base, hidden) : base;
  }

  async run(file: string, args: readonly string[], options: RunOptions = {}) {
    if (options.purpose !== 'test.command') return this.inner.run(file, args, options);
    const result =
      this.hidden.length > 0
        ? await this.base.run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', MASK, file], {
            ...options,
            userShellCommand: false,
            env: { ...options.env, NM_MASK: this.hidden.join(' ') },
          })
        : await this.base.run(file, args, options);
    this.testOutputs.push(result.all);
    return result;
  }
}

interface Built {
  readonly manifest: Manifest;
  readonly outRoot: string;
  readonly dir: (name: string) => string;
  readonly testOutputs: readonly string[];
  readonly log: readonly string[];
}

async function build(project: CorpusProject, platform: string, python: readonly string[], hidden: readonly string[] = []): Promise<Built> {
  const workingDirectory = await checkoutProject(project);
  const runner = new ProjectTestsRunner(new ExecaRunner(quietLog()), hidden);
  const { manifests, outRoot, log } = await buildFixture(project.name, { workingDirectory, configPath: corpusConfig(project), platform, python, runner });
  expect(manifests).toHaveLength(1);
  const manifest = manifests[0]!;
  return { manifest, outRoot, dir: (name) => path.join(outRoot, manifest.cell.id, name), testOutputs: runner.testOutputs, log };
}

/** pytest's closing line: the counts of passed tests, and that none failed or erred. */
function pytestPassed(output: string): number {
  const summary = output.trim().split('\n').at(-1) ?? '';
  expect(summary, output.slice(-2000)).toMatch(/^\d+ passed/);
  expect(summary).not.toMatch(/failed|error/);
  return Number(/^(\d+) passed/.exec(summary)![1]);
}

function unpacked(wheel: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'corpus-site-'));
  expect(spawnSync('unzip', ['-q', wheel, '-d', dir]).status).toBe(0);
  return dir;
}

/** The NEEDED entries of an ELF file. */
function needed(file: string): string[] {
  const result = spawnSync('readelf', ['-d', file], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return [...result.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

/** The newest glibc any ELF file of an unpacked wheel needs, as `[major, minor]`. */
function newestGlibcOf(dir: string): [number, number] {
  const versions = elfFilesUnder(dir)
    .map(newestGlibc)
    .filter((v): v is string => !!v)
    .map((v) => v.split('.').map(Number) as [number, number]);
  return versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1)!;
}

/** The arm64 CPython the apt sources offer: 3.11 on Debian 12, 3.12 on Ubuntu 24.04. */
function debianArm64Python(): string {
  const version = ['3.11', '3.12', '3.13'].find((v) => /Candidate: \d/.test(spawnSync('apt-cache', ['policy', `python${v}-minimal:arm64`], { encoding: 'utf8' }).stdout));
  expect(version, 'no arm64 CPython in the apt sources: run scripts/install-deps.sh').toBeDefined();
  return version!;
}

/** The sysroot of Debian's arm64 CPython, as the build reported it. */
function arm64Sysroot(log: readonly string[], version: string): string {
  const root = log.map((line) => new RegExp(`^arm64 Python ${version.replace('.', '\\.')}: \\d+ Debian packages .* in (\\S+)$`).exec(line)?.[1]).find(Boolean);
  expect(root, log.join('\n')).toBeDefined();
  return root!;
}

/** Python code run with an unpacked wheel first on sys.path, under qemu-aarch64 with `root` as its loader's prefix. */
function qemuPython(root: string, interpreter: string, site: string, code: string) {
  return spawnSync('qemu-aarch64', ['-L', root, interpreter, '-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${code}`], {
    encoding: 'utf8',
    cwd: site,
    env: { PATH: '/usr/bin:/bin' },
    timeout: 300_000,
  });
}

const GMPY2_COMPUTE = 'import gmpy2; print(gmpy2.mpz(3) ** 50, format(gmpy2.sqrt(gmpy2.mpfr(2)), ".10f"), gmpy2.mpc(1, 1) ** 2)';
const GMPY2_EXPECTED = '717897987691852588770249 1.4142135624 0.0+2.0j';

describe('gmpy2 2.3.2 (setuptools C extension on GMP, MPFR and MPC), its PyPI sdist unmodified', () => {
  describe('linux-x86_64: system GMP family, zig for glibc 2.17, its whole test suite', () => {
    // pyenv's CPythons: python-build-standalone's 3.14 here ships no headers to compile against.
    const PYTHONS = ['3.9', '3.13'];
    let built: Built;
    beforeAll(async () => {
      built = await build(CORPUS.gmpy2, 'linux-x86_64', PYTHONS, SYSTEM_LIBRARIES);
    });

    it('builds one manylinux_2_17 wheel per Python, each carrying libgmp, libmpfr and libmpc, with the sha256 the manifest records', async () => {
      const { manifest } = built;
      expect(manifest).toMatchObject({
        ok: true,
        cell: { id: 'linux-x86_64', abi3: false, python: PYTHONS },
        gmp: { source: 'system', libraries: ['gmp', 'mpfr', 'mpc'] },
        compatibility: 'manylinux_2_17_x86_64',
      });
      expect(manifest.project).toMatchObject({ name: 'gmpy2', version: '2.3.2' });
      expect(manifest.files.map((f) => f.name)).toEqual([
        'gmpy2-2.3.2-cp313-cp313-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
        'gmpy2-2.3.2-cp39-cp39-manylinux2014_x86_64.manylinux_2_17_x86_64.whl',
      ]);
      for (const file of manifest.files) {
        expect(file.bundled).toHaveLength(3);
        for (const library of ['libgmp', 'libmpfr', 'libmpc']) expect(file.bundled).toContainEqual(expect.stringMatching(new RegExp(`^${library}-[0-9a-f]{8}\\.so\\.\\d+`)));
        expect(await sha256File(built.dir(file.name))).toBe(file.sha256);
        // The extension and every library it carries need nothing newer than glibc 2.17.
        const [major, minor] = newestGlibcOf(unpacked(built.dir(file.name)));
        expect(major === 2 && minor <= 17, `needs glibc ${major}.${minor}`).toBe(true);
      }
      const check = twineCheck(manifest.files.map((f) => built.dir(f.name)));
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });

    it("imports each wheel with the system's GMP, MPFR and MPC hidden, and passes gmpy2's whole own test suite in each Python", () => {
      const { manifest, testOutputs } = built;
      // In file-name order: cp313, then cp39.
      expect(manifest.files.map((f) => f.smokePassed)).toEqual([['3.13'], ['3.9']]);
      for (const file of manifest.files) expect(file.smoke).toEqual([expect.objectContaining({ passed: true, test: expect.objectContaining({ passed: true }) })]);
      expect(testOutputs).toHaveLength(PYTHONS.length);
      // 365 passed and 9 skipped on CPython 3.11 when this was written.
      for (const output of testOutputs) expect(pytestPassed(output)).toBeGreaterThanOrEqual(300);
    });

    it("computes with its bundled libraries on glibc 2.31, in Debian 11's own Python 3.9", () => {
      const cp39 = built.manifest.files.find((f) => f.pythonTag === 'cp39')!;
      const site = unpacked(built.dir(cp39.name));
      const run = runWithOldGlibc(path.join(OLD_USERLAND, 'usr/bin/python3.9'), ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(site)}); ${PRINT_GLIBC}; ${GMPY2_COMPUTE}`], site);
      expect(run.stdout.trim().split('\n'), run.stderr).toEqual(['glibc 2.31', GMPY2_EXPECTED]);
    });
  });

  describe('linux-aarch64: cross-built against Debian arm64 CPython, the GMP family built from source for aarch64, tests under qemu', () => {
    let built: Built;
    let version: string;
    beforeAll(async () => {
      version = debianArm64Python();
      // qemu's loader falls back to the host's files: with arm64 GMP libraries installed there, an unbundled wheel would import too.
      for (const pkg of ['libgmp10:arm64', 'libmpfr6:arm64', 'libmpc3:arm64']) {
        expect(spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout, `remove ${pkg} for an honest test`).not.toContain('install ok installed');
      }
      built = await build(CORPUS.gmpy2, 'linux-aarch64', [version]);
    });

    it('builds a manylinux_2_17_aarch64 wheel carrying aarch64 libgmp, libmpfr and libmpc', async () => {
      const { manifest } = built;
      const tag = `cp${version.replace('.', '')}`;
      expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu', python: [version] }, gmp: { source: 'build', libraries: ['gmp', 'mpfr', 'mpc'] } });
      const [wheel] = manifest.files;
      expect(wheel!.name).toBe(`gmpy2-2.3.2-${tag}-${tag}-manylinux2014_aarch64.manylinux_2_17_aarch64.whl`);
      expect(await sha256File(built.dir(wheel!.name))).toBe(wheel!.sha256);
      expect(wheel!.bundled).toHaveLength(3);
      const site = unpacked(built.dir(wheel!.name));
      for (const file of elfFilesUnder(site)) expect(spawnSync('readelf', ['-h', file], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
      const [extension] = readdirSync(path.join(site, 'gmpy2')).filter((name) => name.endsWith('.so'));
      expect(needed(path.join(site, 'gmpy2', extension!))).toEqual(expect.arrayContaining([expect.stringMatching(/^libgmp-/), expect.stringMatching(/^libmpfr-/), expect.stringMatching(/^libmpc-/)]));
    });

    it("passes its smoke test and the documented subset of gmpy2's own tests under qemu-aarch64", () => {
      const [wheel] = built.manifest.files;
      expect(wheel!.smoke).toEqual([expect.objectContaining({ python: version, passed: true, test: expect.objectContaining({ passed: true }) })]);
      expect(built.testOutputs).toHaveLength(1);
      expect(pytestPassed(built.testOutputs[0]!)).toBeGreaterThanOrEqual(150);
    });

    it("computes in Debian's arm64 CPython with only the libraries it carries, and fails to import without them", () => {
      const [wheel] = built.manifest.files;
      const root = arm64Sysroot(built.log, version);
      const site = unpacked(built.dir(wheel!.name));
      const interpreter = path.join(root, `usr/bin/python${version}`);
      const run = qemuPython(root, interpreter, site, `import platform; print(platform.machine()); ${GMPY2_COMPUTE}`);
      expect(run.stdout.trim().split('\n'), run.stderr).toEqual(['aarch64', GMPY2_EXPECTED]);
      rmSync(path.join(site, 'gmpy2.libs'), { recursive: true });
      const broken = qemuPython(root, interpreter, site, 'import gmpy2');
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toMatch(/ImportError: lib(gmp|mpfr|mpc)-[0-9a-f]{8}\.so\.\d+[^:]*: cannot open shared object file/);
    });
  });
});

const PAILLIER_COMPUTE =
  'import paillier; pub, sec = paillier.generate_keypair(2048); print(paillier.decrypt(sec, paillier.add_many(pub, [bytes(b) for b in paillier.encrypt_many(pub, [1.5, 2.25, -0.75])])))';

// The documented subsets of pypaillier's tests run under emulation (test/corpus/pypaillier.yml).
const AARCH64_PAILLIER_TESTS = 62;

/** The extension module of an unpacked pypaillier wheel. */
function paillierExtension(site: string, suffix: string): string {
  const found = readdirSync(site, { recursive: true, encoding: 'utf8' }).filter((name) => /(^|\/)paillier[^/]*$/.test(name) && name.endsWith(suffix));
  expect(found, `no paillier*${suffix} in ${site}`).toHaveLength(1);
  return path.join(site, found[0]!);
}

describe('pypaillier 0.8.0 (maturin, PyO3 0.23, rug with GMP built by gmp-mpfr-sys), its PyPI sdist unmodified', () => {
  describe('linux-x86_64: zig for glibc 2.17, GMP linked statically, its own test suite', () => {
    const PYTHONS = ['3.13'];
    let built: Built;
    beforeAll(async () => {
      built = await build(CORPUS.pypaillier, 'linux-x86_64', PYTHONS, SYSTEM_LIBRARIES);
    });

    it('builds a manylinux_2_17 cp313 wheel whose extension carries GMP inside itself: nothing bundled, no libgmp needed', async () => {
      const { manifest } = built;
      expect(manifest).toMatchObject({
        ok: true,
        cell: { id: 'linux-x86_64', abi3: false, python: PYTHONS },
        compatibility: 'manylinux_2_17_x86_64',
        project: { name: 'pypaillier', version: '0.8.0' },
      });
      const [wheel] = manifest.files;
      expect(wheel).toMatchObject({ name: 'pypaillier-0.8.0-cp313-cp313-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', bundled: [], smokePassed: PYTHONS });
      const file = built.dir(wheel!.name);
      expect(await sha256File(file)).toBe(wheel!.sha256);
      const site = unpacked(file);
      const extension = paillierExtension(site, '.so');
      expect(needed(extension).filter((name) => /gmp|mpfr|mpc/.test(name))).toEqual([]);
      // GMP's own messages, compiled into the extension.
      expect(spawnSync('grep', ['-c', 'GNU MP', extension], { encoding: 'utf8' }).stdout.trim()).not.toBe('0');
      const [major, minor] = newestGlibcOf(site);
      expect(major === 2 && minor <= 17, `needs glibc ${major}.${minor}`).toBe(true);
      const check = twineCheck([file]);
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });

    it("passes its smoke test with the system's GMP hidden, and the documented subset of pypaillier's own tests", () => {
      const [wheel] = built.manifest.files;
      expect(wheel!.smoke).toEqual([expect.objectContaining({ python: '3.13', passed: true, test: expect.objectContaining({ passed: true }) })]);
      expect(built.testOutputs).toHaveLength(1);
      expect(pytestPassed(built.testOutputs[0]!)).toBe(184);
    });
  });
  describe('linux-aarch64: cross-built with zig (gmp-mpfr-sys cross-compiling its GMP), tests under qemu in an arm64 CPython', () => {
    let built: Built;
    let version: string;
    beforeAll(async () => {
      version = debianArm64Python();
      built = await build(CORPUS.pypaillier, 'linux-aarch64', [version]);
    });

    it('builds a manylinux_2_17_aarch64 wheel whose aarch64 extension carries GMP inside itself', async () => {
      const { manifest } = built;
      const tag = `cp${version.replace('.', '')}`;
      expect(manifest).toMatchObject({ ok: true, cell: { id: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu', python: [version] } });
      const [wheel] = manifest.files;
      expect(wheel).toMatchObject({ name: `pypaillier-0.8.0-${tag}-${tag}-manylinux2014_aarch64.manylinux_2_17_aarch64.whl`, bundled: [], smokePassed: [version] });
      expect(await sha256File(built.dir(wheel!.name))).toBe(wheel!.sha256);
      const extension = paillierExtension(unpacked(built.dir(wheel!.name)), '.so');
      expect(spawnSync('readelf', ['-h', extension], { encoding: 'utf8' }).stdout).toMatch(/Machine:\s+AArch64/);
      expect(needed(extension).filter((name) => /gmp|mpfr|mpc/.test(name))).toEqual([]);
    });

    it("passes the documented subset of pypaillier's own tests under qemu-aarch64, and computes in the arm64 CPython it was smoke-tested in", () => {
      const [wheel] = built.manifest.files;
      expect(wheel!.smoke).toEqual([expect.objectContaining({ python: version, passed: true, test: expect.objectContaining({ passed: true }) })]);
      expect(built.testOutputs).toHaveLength(1);
      expect(pytestPassed(built.testOutputs[0]!)).toBeGreaterThanOrEqual(AARCH64_PAILLIER_TESTS);
      // A maturin cell prefers python-build-standalone's arm64 CPython of the version (scripts/install-deps.sh extracts 3.10, 3.11 and 3.14), else Debian's.
      const embedded = embeddedPython(process.env, 'linux-aarch64', version);
      const root = embedded ? '/usr/aarch64-linux-gnu' : arm64Sysroot(built.log, version);
      const site = unpacked(built.dir(wheel!.name));
      const run = qemuPython(root, embedded ?? path.join(root, `usr/bin/python${version}`), site, `import platform; print(platform.machine()); ${PAILLIER_COMPUTE}`);
      expect(run.stdout.trim().split('\n'), run.stderr).toEqual(['aarch64', '3.0']);
    });
  });
  // No windows-x86_64: pypaillier publishes Linux wheels only, and its code
  // takes GMP's mp_size_t for i64, which it is not on Windows (LLP64): rustc
  // refuses src/mont.rs there, as the cell's error shows.
});
