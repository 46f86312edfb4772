import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cfgMatches, extraRustflagsEnv, rustLinkDirArgs } from '../../src/project/cargo-rustflags.js';
import { cPathMapFlags, cPathMaps, rustPathRemapArgs } from '../../src/backends/build-paths.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { hostFacts } from '../../src/core/host.js';

const LINUX = hostFacts({ os: 'linux', arch: 'x86_64' });

const LINUX_CFG = ['debug_assertions', 'panic="unwind"', 'target_arch="x86_64"', 'target_env="gnu"', 'target_family="unix"', 'target_os="linux"', 'unix'].join('\n');
const TARGET = 'x86_64-unknown-linux-gnu';

/** A project under a fresh root with `.cargo/config.toml` holding `config`, and a cargo home of its own. */
function project(config?: string): { dir: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-rustflags-'));
  const dir = path.join(root, 'crates', 'py');
  mkdirSync(path.join(root, '.cargo'), { recursive: true });
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(path.join(root, '.cargo', 'config.toml'), config);
  return { dir, env: { CARGO_HOME: path.join(root, 'cargo-home') } };
}

const rustc = () => new FakeRunner(({ file }) => (file === 'rustc' ? { stdout: LINUX_CFG } : undefined));
const linkDirs = async (config: string | undefined, extraEnv: NodeJS.ProcessEnv = {}) => {
  const { dir, env } = project(config);
  const runner = rustc();
  const result = await extraRustflagsEnv({ runner, projectDir: dir, target: TARGET, host: LINUX, env: { ...env, ...extraEnv }, args: rustLinkDirArgs(['/deps/lib']) });
  return { result, commands: runner.lines() };
};

describe("GMP's link directory in the rustflags cargo uses", () => {
  it("joins build.rustflags (the config files' and ours) when no target rustflags apply", async () => {
    expect((await linkDirs(undefined)).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    expect((await linkDirs('[build]\nrustflags = ["--cfg", "mine"]\n')).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    // Another OS's target rustflags do not apply here.
    const windowsOnly = await linkDirs('[target.\'cfg(windows)\']\nrustflags = ["-C", "target-feature=+crt-static"]\n');
    expect(windowsOnly.result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    expect(windowsOnly.commands).toEqual([`rustc --print cfg --target ${TARGET}`]);
  });

  it("joins the target's rustflags when the config files give it some, which cargo prefers to build.rustflags", async () => {
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = ["-C", "target-cpu=x86-64-v2"]\n`)).result).toEqual({ CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-L native=/deps/lib' });
    expect((await linkDirs('[target.\'cfg(all(unix, target_arch = "x86_64"))\']\nrustflags = ["--cfg", "fast"]\n')).result).toEqual({
      CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-L native=/deps/lib',
    });
  });

  it('carries a rustflags string of the config along, after ours, which the variable would replace (cargo joins only lists)', async () => {
    expect((await linkDirs('[build]\nrustflags = "--cfg mine"\n')).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib --cfg mine' });
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = "-C target-cpu=native"\n`)).result).toEqual({
      CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-L native=/deps/lib -C target-cpu=native',
    });
    // An empty target list counts as none, as for cargo: build.rustflags apply.
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = []\n[build]\nrustflags = ["--cfg", "mine"]\n`)).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
  });

  it('reads .cargo/config rather than .cargo/config.toml when both exist, as cargo does', async () => {
    const { dir, env } = project('[build]\nrustflags = "--cfg from-toml"\n');
    writeFileSync(path.join(path.dirname(path.dirname(dir)), '.cargo', 'config'), '[build]\nrustflags = "--cfg from-plain"\n');
    expect(await extraRustflagsEnv({ runner: rustc(), projectDir: dir, target: TARGET, host: LINUX, env, args: rustLinkDirArgs(['/deps/lib']) })).toEqual({
      CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib --cfg from-plain',
    });
  });

  it('refuses a directory with white space, which the variables cannot carry', () => {
    expect(() => rustLinkDirArgs(['/my cache/lib'])).toThrow(/\/my cache\/lib has white space in its path.*NATIVE_MATRIX_CACHE/);
  });

  it('adds to RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS when set, as cargo then reads nothing else', async () => {
    expect((await linkDirs('[build]\nrustflags = ["--cfg", "ignored"]\n', { RUSTFLAGS: '-C debuginfo=1' })).result).toEqual({ RUSTFLAGS: '-L native=/deps/lib -C debuginfo=1' });
    expect((await linkDirs(undefined, { CARGO_ENCODED_RUSTFLAGS: '-C\x1fdebuginfo=1' })).result).toEqual({ CARGO_ENCODED_RUSTFLAGS: '-L\x1fnative=/deps/lib\x1f-C\x1fdebuginfo=1' });
    expect((await linkDirs(undefined, { CARGO_BUILD_RUSTFLAGS: '--cfg mine' })).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib --cfg mine' });
  });

  it('adds nothing without directories', async () => {
    const { dir, env } = project();
    expect(await extraRustflagsEnv({ runner: rustc(), projectDir: dir, target: TARGET, host: LINUX, env, args: [] })).toEqual({});
  });
});

describe('build paths kept out of compiled files', () => {
  it("remaps cargo's home, where registry and git sources live, to /cargo", () => {
    expect(rustPathRemapArgs({ CARGO_HOME: '/home/runner/.cargo' }, LINUX)).toEqual(['--remap-path-prefix=/home/runner/.cargo=/cargo']);
    expect(rustPathRemapArgs({ CARGO_HOME: '/home/runner/.cargo/' }, LINUX)).toEqual(['--remap-path-prefix=/home/runner/.cargo=/cargo']);
    // A home with white space cannot travel in cargo's rustflags strings: left alone rather than broken.
    expect(rustPathRemapArgs({ CARGO_HOME: '/home/my user/.cargo' }, LINUX)).toEqual([]);
  });

  it("puts the remap and the link directories before the rustflags cargo uses (rustc takes the last of two matching remaps: the project's wins)", async () => {
    const { dir, env } = project('[build]\nrustflags = "--cfg mine"\n');
    const args = [...rustPathRemapArgs(env, LINUX), ...rustLinkDirArgs(['/deps/lib'])];
    expect(await extraRustflagsEnv({ runner: rustc(), projectDir: dir, target: TARGET, host: LINUX, env, args })).toEqual({
      CARGO_BUILD_RUSTFLAGS: `--remap-path-prefix=${env.CARGO_HOME}=/cargo -L native=/deps/lib --cfg mine`,
    });
    expect(await extraRustflagsEnv({ runner: rustc(), projectDir: dir, target: TARGET, host: LINUX, env: { ...env, CARGO_ENCODED_RUSTFLAGS: '' }, args })).toEqual({
      CARGO_ENCODED_RUSTFLAGS: `--remap-path-prefix=${env.CARGO_HOME}=/cargo\x1f-L\x1fnative=/deps/lib`,
    });
  });

  it("maps the project, the interpreter and the cache in CPPFLAGS, before the build's own (a later map wins), leaving CFLAGS unset", () => {
    const maps = cPathMaps({
      projectDir: '/srv/work/p',
      cacheDir: '/srv/cache/native-matrix',
      interpreter: { version: '3.12', fullVersion: '3.12.7', freeThreaded: false, executable: '/opt/py/3.12.7/bin/python3.12' },
    });
    expect(maps).toEqual([
      ['/srv/work/p', '.'],
      ['/opt/py/3.12.7', '/python'],
      ['/srv/cache/native-matrix', '/native-matrix'],
    ]);
    expect(cPathMapFlags({ CPPFLAGS: '-I/gmp/include -ffile-prefix-map=/srv/work/p/src=/src ' }, maps)).toEqual({
      CPPFLAGS:
        '-ffile-prefix-map=/srv/work/p=. -ffile-prefix-map=/opt/py/3.12.7=/python -ffile-prefix-map=/srv/cache/native-matrix=/native-matrix -I/gmp/include -ffile-prefix-map=/srv/work/p/src=/src',
    });
    // The system's prefix is the same everywhere; a foreign interpreter's headers are in the sysroot, under the cache.
    expect(cPathMaps({ projectDir: '/srv/p', cacheDir: '/c', interpreter: { version: '3.11', fullVersion: '3.11.2', freeThreaded: false, executable: '/usr/bin/python3.11' } })).toEqual([
      ['/srv/p', '.'],
      ['/c', '/native-matrix'],
    ]);
    // Paths the flag cannot carry are left alone.
    expect(
      cPathMapFlags({}, [
        ['/srv/my project', '.'],
        ['/srv/a=b', '.'],
      ]),
    ).toEqual({});
    expect(
      cPathMapFlags({ CPPFLAGS: '-DX' }, [
        ['/srv/my project', '.'],
        ['/c', '/native-matrix'],
      ]),
    ).toEqual({ CPPFLAGS: '-ffile-prefix-map=/c=/native-matrix -DX' });
  });

  it('maps a project reached through a link by its real path too, which the compiler records as its directory', () => {
    const real = mkdtempSync(path.join(tmpdir(), 'nm-real-'));
    const link = path.join(mkdtempSync(path.join(tmpdir(), 'nm-link-')), 'p');
    symlinkSync(real, link);
    expect(cPathMaps({ projectDir: link, cacheDir: '/c' })).toEqual([
      [link, '.'],
      [realpathSync(real), '.'],
      ['/c', '/native-matrix'],
    ]);
  });
});

describe('cfg(…) keys of cargo config', () => {
  const cfg = new Set(LINUX_CFG.split('\n'));
  it('evaluates names, key-value pairs, all, any and not', () => {
    expect(cfgMatches('cfg(unix)', cfg)).toBe(true);
    expect(cfgMatches('cfg(windows)', cfg)).toBe(false);
    expect(cfgMatches('cfg(target_os = "linux")', cfg)).toBe(true);
    expect(cfgMatches('cfg(all(target_os = "linux", target_arch = "aarch64"))', cfg)).toBe(false);
    expect(cfgMatches('cfg(any(windows, target_env="gnu"))', cfg)).toBe(true);
    expect(cfgMatches('cfg(not(target_os = "macos"))', cfg)).toBe(true);
    expect(cfgMatches('x86_64-unknown-linux-gnu', cfg)).toBe(false);
    expect(cfgMatches('cfg(all(unix)', cfg)).toBe(false);
  });
});
