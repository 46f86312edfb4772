import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledBuildsKey } from '../../src/github/cache.js';
import {
  interpreterIdentity,
  keyedVariables,
  openTargetDir,
  pruneTargetDirs,
  rustWorkspaceFacts,
  TARGET_MAX_AGE_DAYS,
  TARGET_RECORD,
  targetDirKeys,
  targetDirsUsedSince,
  type RustBuild,
} from '../../src/backends/cargo-targets.js';
import { cachedDirectory, recordsWritten, TREE_RECORD, treeDigests } from '../../src/core/cache.js';
import { findInterpreters, type Interpreter } from '../../src/core/interpreters.js';
import { writeZip } from '../../src/core/archive.js';
import { fetchUvWheel, mayFetchFromPypi, TOOL_PINS, uvWheelFor } from '../../src/core/tools.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { hostFacts } from '../../src/core/host.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'warm-builds-'));
const py = (version: string, patch = '1', executable = `/py/${version}/bin/python${version}`): Interpreter => ({ version, executable, fullVersion: `${version}.${patch}`, freeThreaded: false });

function build(root: string, changes: Partial<RustBuild> & { lock?: string; toolchain?: string } = {}): RustBuild {
  const { lock = 'a'.repeat(64), toolchain = 'rustc 1.95.0 (59807616e 2026-04-14)\nhost: x86_64-unknown-linux-gnu', ...rest } = changes;
  return {
    root,
    facts: { workspace: '/srv/project', lock, toolchain, cargoConfig: {} },
    target: 'x86_64-unknown-linux-gnu',
    profile: 'release',
    args: ['-m', 'maturin', 'build', '--release', '--zig'],
    env: { PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1' },
    tools: { maturin: '1.16.0' },
    ...rest,
  };
}

describe('cargo target directories of a Rust build', () => {
  it('are named by everything that shapes what cargo compiles: the interpreter, the lockfile, the toolchain, the target, the flags', () => {
    const base = build('/cache');
    const key = (b: RustBuild, i = py('3.12')) => targetDirKeys(b, interpreterIdentity(i, false)).key;
    expect(key(base)).toBe(key(build('/cache')));
    const others = [
      key(base, py('3.11')),
      key(base, py('3.12', '2')),
      key(base, py('3.12', '1', '/other/bin/python3.12')),
      targetDirKeys(base, interpreterIdentity(py('3.12'), true)).key,
      key(build('/cache', { lock: 'b'.repeat(64) })),
      key(build('/cache', { toolchain: 'rustc 1.96.0 (0 2026-05-28)\nhost: x86_64-unknown-linux-gnu' })),
      key(build('/cache', { target: 'aarch64-unknown-linux-gnu' })),
      key(build('/cache', { env: { ...base.env, RUSTFLAGS: '-C target-cpu=native' } })),
      key(build('/cache', { args: [...base.args, '--features', 'gmp'] })),
      key(build('/cache', { facts: { ...base.facts, workspace: '/elsewhere/project' } })),
    ];
    expect(new Set([key(base), ...others]).size).toBe(others.length + 1);
    // One family (all but the interpreter): a directory of one Python seeds another's.
    expect(targetDirKeys(base, interpreterIdentity(py('3.11'), false)).family).toBe(targetDirKeys(base, interpreterIdentity(py('3.12'), false)).family);
    expect(targetDirKeys(build('/cache', { lock: 'b'.repeat(64) }), interpreterIdentity(py('3.12'), false)).family).not.toBe(targetDirKeys(base, interpreterIdentity(py('3.12'), false)).family);
  });

  it("key the variables of rustc, cargo, the C toolchain, PyO3 and GMP, and all the step's own; not the target directory, cargo's home or the rest of the machine's", () => {
    const machine = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      RUSTFLAGS: '-C opt-level=3',
      CARGO_TARGET_DIR: '/t',
      CARGO_HOME: '/c',
      CC: 'gcc',
      PYO3_PYTHON: '/py',
      GITHUB_SHA: 'abc',
      CARGO_PROFILE_RELEASE_LTO: 'fat',
      RUNNER_TEMP: '/tmp/r',
    };
    expect(keyedVariables(machine, { GMP_MPFR_SYS_CACHE: '/cache/gmp-mpfr-sys', MY_FLAG: '1', CARGO_TARGET_DIR: '/mine' })).toEqual({
      RUSTFLAGS: '-C opt-level=3',
      CC: 'gcc',
      PYO3_PYTHON: '/py',
      CARGO_PROFILE_RELEASE_LTO: 'fat',
      GMP_MPFR_SYS_CACHE: '/cache/gmp-mpfr-sys',
      MY_FLAG: '1',
    });
  });

  it('are warm the second time; a new one is a copy of its family, times kept; they are pruned by age and per slot, never those in use', async () => {
    const root = path.join(scratch(), 'cargo-target');
    const b = build(root);
    const first = await openTargetDir(b, interpreterIdentity(py('3.11'), false), 'Python 3.11', 1_000);
    expect(first.state).toBe('new');
    // What cargo leaves: an artifact, dated.
    mkdirSync(path.join(first.dir, 'release', 'deps'), { recursive: true });
    const artifact = path.join(first.dir, 'release', 'deps', 'libsyn-0123.rlib');
    writeFileSync(artifact, 'compiled');
    utimesSync(artifact, new Date(500_000), new Date(500_000));
    symlinkSync('deps/libsyn-0123.rlib', path.join(first.dir, 'release', 'libsyn.rlib'));
    expect(await openTargetDir(b, interpreterIdentity(py('3.11'), false), 'Python 3.11', 2_000)).toEqual({ dir: first.dir, key: first.key, state: 'warm' });

    const second = await openTargetDir(b, interpreterIdentity(py('3.12'), false), 'Python 3.12', 3_000);
    expect(second).toMatchObject({ state: 'seeded', from: 'Python 3.11' });
    const copied = path.join(second.dir, 'release', 'deps', 'libsyn-0123.rlib');
    expect(readFileSync(copied, 'utf8')).toBe('compiled');
    expect(statSync(copied).mtimeMs).toBe(500_000);
    expect(JSON.parse(readFileSync(path.join(second.dir, TARGET_RECORD), 'utf8'))).toMatchObject({ key: second.key, label: 'Python 3.12', lastUsed: 3_000 });
    // Another lockfile: a family of its own, from nothing.
    const relocked = await openTargetDir(build(root, { lock: 'b'.repeat(64) }), interpreterIdentity(py('3.11'), false), 'Python 3.11', 4_000);
    expect(relocked.state).toBe('new');
    expect(await targetDirsUsedSince(root, 3_000)).toEqual([second.key, relocked.key].sort());

    // Three lockfiles of Python 3.11: the two most recent are kept, and what is in use.
    const third = await openTargetDir(build(root, { lock: 'c'.repeat(64) }), interpreterIdentity(py('3.11'), false), 'Python 3.11', 5_000);
    expect(await pruneTargetDirs(root, new Set([third.key]), 6_000)).toEqual([first.key]);
    // Unused for longer than TARGET_MAX_AGE_DAYS: removed.
    const later = 4_000 + TARGET_MAX_AGE_DAYS * 86_400_000 + 1;
    expect((await pruneTargetDirs(root, new Set([third.key]), later)).sort()).toEqual([second.key, relocked.key].sort());
    expect(existsSync(third.dir)).toBe(true);
  });

  it('read the workspace root, its lockfile, the toolchain and the config files', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'Cargo.lock'), 'version = 4\n');
    mkdirSync(path.join(dir, 'crates', 'py'), { recursive: true });
    const runner = new FakeRunner(({ file }) => (file === 'cargo' ? { stdout: `${path.join(dir, 'Cargo.toml')}\n` } : { stdout: 'rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\n' }));
    const facts = await rustWorkspaceFacts(runner, path.join(dir, 'crates', 'py'), { HOME: dir }, hostFacts({ os: 'linux', arch: 'x86_64' }));
    expect(facts).toEqual({ workspace: dir, lock: createHash('sha256').update('version = 4\n').digest('hex'), toolchain: 'rustc 1.95.0\nhost: x86_64-unknown-linux-gnu', cargoConfig: {} });
    expect(runner.lines()).toEqual(['cargo locate-project --workspace --message-format plain', 'rustc -vV']);
  });
});

describe('the compiled builds on GitHub', () => {
  it('are keyed by the directories saved, whatever their order', () => {
    expect(compiledBuildsKey('native-matrix-builds-linux-x86_64-0123-', ['b', 'a'])).toBe(compiledBuildsKey('native-matrix-builds-linux-x86_64-0123-', ['a', 'b']));
    expect(compiledBuildsKey('p-', ['a'])).not.toBe(compiledBuildsKey('p-', ['a', 'b']));
  });
});

describe('the tool environment on a cold cache', () => {
  it('takes uv straight from PyPI, by a pinned sha256, unless the machine names its own index or proxy', () => {
    expect(uvWheelFor('linux', 'x64', true)).toEqual({
      url: expect.stringMatching(/^https:\/\/files\.pythonhosted\.org\/.+\/uv-[\d.]+-py3-none-manylinux_2_17_x86_64\..+\.whl$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const [platform, arch] of [
      ['linux', 'arm64'],
      ['darwin', 'arm64'],
      ['darwin', 'x64'],
      ['win32', 'x64'],
    ] as const)
      expect(uvWheelFor(platform, arch, true)).toBeDefined();
    expect(uvWheelFor('linux', 'x64', false)).toBeUndefined();
    const home = scratch();
    expect(mayFetchFromPypi({ HOME: home })).toBe(true);
    expect(mayFetchFromPypi({ HOME: home, PIP_INDEX_URL: 'https://pypi.example.com/simple' })).toBe(false);
    expect(mayFetchFromPypi({ HOME: home, HTTPS_PROXY: 'http://proxy:3128' })).toBe(false);
    mkdirSync(path.join(home, '.pip'));
    writeFileSync(path.join(home, '.pip', 'pip.conf'), '[global]\nindex-url = https://mirror.example.com/simple\n');
    expect(mayFetchFromPypi({ HOME: home })).toBe(false);
  });

  it("writes uv's binary from a wheel whose sha256 is the pinned one, and refuses another", async () => {
    const dir = scratch();
    const wheel = path.join(dir, 'uv.whl');
    const binary = Buffer.from(`#!/bin/sh\necho uv ${'x'.repeat(5000)}\n`);
    await writeZip(
      [
        { name: 'uv/__init__.py', data: Buffer.from(''), mode: 0o100644, compress: true },
        { name: `uv-${TOOL_PINS.uv}.data/scripts/uv`, data: binary, mode: 0o100755, compress: true },
      ],
      wheel,
      315532800,
    );
    const body = readFileSync(wheel);
    const server = createServer((_request, response) => void response.writeHead(200, { 'content-length': body.length }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/uv.whl`;
      const target = path.join(dir, 'cache', 'bin', 'uv');
      await fetchUvWheel({ url, sha256: createHash('sha256').update(body).digest('hex') }, target, hostFacts({ os: 'linux', arch: 'x86_64' }));
      expect(readFileSync(target)).toEqual(binary);
      expect(statSync(target).mode & 0o777).toBe(0o755);
      await expect(fetchUvWheel({ url, sha256: '0'.repeat(64) }, path.join(dir, 'other', 'bin', 'uv'), hostFacts({ os: 'linux', arch: 'x86_64' }))).rejects.toThrow(/not the pinned/);
      expect(existsSync(path.join(dir, 'other'))).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('records a new entry beside its first use, its many files hashed in threads as one by one', async () => {
    const dir = path.join(scratch(), 'tools');
    const fill = (target: string) => {
      for (let i = 0; i < 600; i++) writeFileSync(path.join(target, `f${i}.py`), `print(${i})\n`);
      return Promise.resolve();
    };
    expect(await cachedDirectory(dir, fill, { recordLater: true })).toEqual({ dir, hit: false });
    await recordsWritten();
    const record = JSON.parse(readFileSync(path.join(dir, TREE_RECORD), 'utf8')) as { files: Record<string, string> };
    expect(record.files['f599.py']).toBe(createHash('sha256').update('print(599)\n').digest('hex'));
    expect(await treeDigests(dir)).toEqual(record.files);
    expect(await cachedDirectory(dir, fill)).toEqual({ dir, hit: true });
  });
});

describe('interpreters', () => {
  it('are taken as their real executable, not a pyenv shim', async () => {
    const bin = scratch();
    writeFileSync(path.join(bin, 'python3.12'), '#!/bin/sh\nexec pyenv exec python3.12 "$@"\n');
    const runner = new FakeRunner(() => ({ stdout: '3.12.7 cpython 0\n/home/u/.pyenv/versions/3.12.7/bin/python3.12\n' }));
    const [found] = await findInterpreters(['3.12'], { runner, env: { PATH: bin, PYENV_ROOT: path.join(bin, 'none') } });
    expect(found).toEqual({ version: '3.12', executable: '/home/u/.pyenv/versions/3.12.7/bin/python3.12', fullVersion: '3.12.7', freeThreaded: false });
  });
});
