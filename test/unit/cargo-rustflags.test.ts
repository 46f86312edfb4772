import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cfgMatches, rustLinkDirsEnv } from '../../src/project/cargo-rustflags.js';
import { FakeRunner } from '../helpers/fake-runner.js';

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
  const result = await rustLinkDirsEnv({ runner, projectDir: dir, target: TARGET, env: { ...env, ...extraEnv }, dirs: ['/deps/lib'] });
  return { result, commands: runner.lines() };
};

describe('GMP\'s link directory in the rustflags cargo uses', () => {
  it('joins build.rustflags (the config files\' and ours) when no target rustflags apply', async () => {
    expect((await linkDirs(undefined)).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    expect((await linkDirs('[build]\nrustflags = ["--cfg", "mine"]\n')).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    // Another OS's target rustflags do not apply here.
    const windowsOnly = await linkDirs('[target.\'cfg(windows)\']\nrustflags = ["-C", "target-feature=+crt-static"]\n');
    expect(windowsOnly.result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
    expect(windowsOnly.commands).toEqual([`rustc --print cfg --target ${TARGET}`]);
  });

  it('joins the target\'s rustflags when the config files give it some, which cargo prefers to build.rustflags', async () => {
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = ["-C", "target-cpu=x86-64-v2"]\n`)).result).toEqual({ CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-L native=/deps/lib' });
    expect((await linkDirs('[target.\'cfg(all(unix, target_arch = "x86_64"))\']\nrustflags = ["--cfg", "fast"]\n')).result).toEqual({ CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-L native=/deps/lib' });
  });

  it('carries a rustflags string of the config along, which the variable would replace (cargo joins only lists)', async () => {
    expect((await linkDirs('[build]\nrustflags = "--cfg mine"\n')).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '--cfg mine -L native=/deps/lib' });
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = "-C target-cpu=native"\n`)).result).toEqual({ CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-C target-cpu=native -L native=/deps/lib' });
    // An empty target list counts as none, as for cargo: build.rustflags apply.
    expect((await linkDirs(`[target.${TARGET}]\nrustflags = []\n[build]\nrustflags = ["--cfg", "mine"]\n`)).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '-L native=/deps/lib' });
  });

  it('reads .cargo/config rather than .cargo/config.toml when both exist, as cargo does', async () => {
    const { dir, env } = project('[build]\nrustflags = "--cfg from-toml"\n');
    writeFileSync(path.join(path.dirname(path.dirname(dir)), '.cargo', 'config'), '[build]\nrustflags = "--cfg from-plain"\n');
    expect(await rustLinkDirsEnv({ runner: rustc(), projectDir: dir, target: TARGET, env, dirs: ['/deps/lib'] })).toEqual({ CARGO_BUILD_RUSTFLAGS: '--cfg from-plain -L native=/deps/lib' });
  });

  it('refuses a directory with white space, which the variables cannot carry', async () => {
    const { dir, env } = project();
    await expect(rustLinkDirsEnv({ runner: rustc(), projectDir: dir, target: TARGET, env, dirs: ['/my cache/lib'] })).rejects.toThrow(/\/my cache\/lib has white space in its path.*NATIVE_MATRIX_CACHE/);
  });

  it('adds to RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS when set, as cargo then reads nothing else', async () => {
    expect((await linkDirs('[build]\nrustflags = ["--cfg", "ignored"]\n', { RUSTFLAGS: '-C debuginfo=1' })).result).toEqual({ RUSTFLAGS: '-C debuginfo=1 -L native=/deps/lib' });
    expect((await linkDirs(undefined, { CARGO_ENCODED_RUSTFLAGS: '-C\x1fdebuginfo=1' })).result).toEqual({ CARGO_ENCODED_RUSTFLAGS: '-C\x1fdebuginfo=1\x1f-L\x1fnative=/deps/lib' });
    expect((await linkDirs(undefined, { CARGO_BUILD_RUSTFLAGS: '--cfg mine' })).result).toEqual({ CARGO_BUILD_RUSTFLAGS: '--cfg mine -L native=/deps/lib' });
  });

  it('adds nothing without directories', async () => {
    const { dir, env } = project();
    expect(await rustLinkDirsEnv({ runner: rustc(), projectDir: dir, target: TARGET, env, dirs: [] })).toEqual({});
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
