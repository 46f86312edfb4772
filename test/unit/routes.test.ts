import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import type { Manylinux } from '../../src/config/types.js';
import type { BuildBackend } from '../../src/project/detect.js';
import { resolveRoute } from '../../src/routes/resolve.js';
import { ROUTE_IDS } from '../../src/routes/route.js';
import { currentHost, type Host } from '../../src/core/host.js';
import { cargoCrossCompiles } from '../../src/project/cargo-features.js';

const catalog = loadCatalog();
const platform = (id: string) => catalog.platforms.get(id)!;
const LINUX_X86: Host = { os: 'linux', arch: 'x86_64' };
const LINUX_ARM: Host = { os: 'linux', arch: 'aarch64' };
const MAC_ARM: Host = { os: 'macos', arch: 'aarch64' };
const MAC_INTEL: Host = { os: 'macos', arch: 'x86_64' };
const WINDOWS: Host = { os: 'windows', arch: 'x86_64' };

const wheel = (backend: BuildBackend, manylinux: Manylinux = '2_17') => ({ wheel: true, binary: false, backend, manylinux });
const program = (backend: BuildBackend, manylinux: Manylinux = '2_17') => ({ wheel: false, binary: true, backend, manylinux });
const outcome = (host: Host, id: string, request: ReturnType<typeof wheel>) => {
  const resolution = resolveRoute(host, platform(id), request);
  return resolution.route ? resolution.route.id : `refused (${resolution.refusal.kind}): ${resolution.refusal.reason}`;
};

describe('the route resolver', () => {
  it('builds every platform natively on its own runner, for every kind of project', () => {
    const hosts: Record<string, Host> = { 'ubuntu-24.04': LINUX_X86, 'ubuntu-24.04-arm': LINUX_ARM, 'macos-14': MAC_ARM, 'macos-15-intel': MAC_INTEL, 'windows-2025': WINDOWS };
    for (const p of catalog.platforms.values()) {
      if (p.experimental) continue;
      for (const request of [wheel('maturin'), program('cargo'), program('make'), ...(p.os === 'windows' ? [] : [wheel('setuptools')])]) {
        const resolution = resolveRoute(hosts[p.runner]!, p, request);
        expect(resolution.refusal, `${p.id} on ${p.runner} (${request.backend})`).toBeUndefined();
        expect(resolution.route!.cross, `${p.id} on ${p.runner}`).toBe(false);
      }
    }
  });

  it('chooses the route from the host, the platform and linux.manylinux', () => {
    expect(outcome(LINUX_X86, 'linux-x86_64', wheel('maturin'))).toBe('linux-zig');
    expect(outcome(LINUX_X86, 'linux-x86_64', wheel('maturin', 'host'))).toBe('linux-native');
    expect(outcome(LINUX_X86, 'linux-aarch64', wheel('maturin'))).toBe('linux-qemu');
    expect(outcome(LINUX_X86, 'linux-aarch64', wheel('setuptools', 'host'))).toBe('linux-qemu');
    // A setuptools C extension is cross-built for Windows with zig, its wheels tested under wine.
    expect(outcome(LINUX_X86, 'windows-x86_64', wheel('setuptools'))).toBe('windows-wine');
    expect(outcome(LINUX_X86, 'windows-x86_64', wheel('maturin'))).toBe('windows-wine');
    expect(outcome(LINUX_X86, 'windows-x86_64', program('make'))).toBe('windows-wine');
    expect(outcome(WINDOWS, 'windows-x86_64', wheel('maturin'))).toBe('windows-msys2');
    expect(outcome(MAC_ARM, 'macos-arm64', wheel('maturin'))).toBe('macos-native');
    expect(outcome(MAC_INTEL, 'macos-x86_64', program('cargo'))).toBe('macos-native');
    // macos.build-on: linux: zig on the x86_64 ubuntu runner, for both arches.
    expect(outcome(LINUX_X86, 'macos-x86_64', program('cargo'))).toBe('macos-zig');
    expect(outcome(LINUX_X86, 'macos-arm64', wheel('maturin'))).toBe('macos-zig');
    const zig = resolveRoute(LINUX_X86, platform('macos-arm64'), wheel('maturin')).route!;
    expect([zig.cross, zig.zig, zig.emulator, zig.targetVenv]).toEqual([true, true, 'none', 'posix']);
  });

  it('builds a setuptools C extension for Windows on either host: MSVC on a Windows runner, or cross-built on Linux', () => {
    expect(outcome(WINDOWS, 'windows-x86_64', wheel('setuptools'))).toBe('windows-msys2');
    expect(outcome(LINUX_X86, 'windows-x86_64', wheel('setuptools'))).toBe('windows-wine');
  });

  it('refuses with the reason and the runner that builds the cell instead', () => {
    expect(outcome(LINUX_X86, 'linux-aarch64', wheel('maturin', 'host'))).toBe('refused (build): linux-aarch64: maturin wheels for aarch64 are cross-built with zig only, and linux.manylinux is host');
    expect(outcome(LINUX_ARM, 'linux-x86_64', program('cargo'))).toBe('refused (host): linux-x86_64 needs an x86_64 host (this one is aarch64)');
    expect(outcome(LINUX_ARM, 'windows-x86_64', wheel('maturin'))).toBe('refused (host): windows-x86_64 is built on Windows, or cross-built on an x86_64 Linux host with mingw-w64');
    expect(outcome(MAC_INTEL, 'macos-arm64', wheel('maturin'))).toBe('refused (host): macos-arm64 needs an arm64 Mac');
    expect(outcome(LINUX_ARM, 'macos-x86_64', program('cargo'))).toBe('refused (host): macos-x86_64 is built on macOS (this host runs linux)');
    expect(outcome(LINUX_X86, 'macos-arm64', wheel('setuptools'))).toMatch(/^refused \(build\): macos-arm64: wheels of a setuptools C extension are built for macOS on a Mac: /);
    expect(outcome(LINUX_X86, 'linux-x86_64-musl', wheel('maturin'))).toMatch(/^refused \(host\): linux-x86_64-musl is experimental/);
  });

  it('cross-builds both macOS arches on x86_64 Linux with zig (macos-zig), maturin wheels and programs alike', () => {
    for (const id of ['macos-arm64', 'macos-x86_64']) {
      for (const request of [wheel('maturin'), program('cargo'), program('make')]) {
        const route = resolveRoute(LINUX_X86, platform(id), request).route!;
        expect([route.id, route.cross, route.zig, route.emulator]).toEqual(['macos-zig', true, true, 'none']);
      }
    }
  });

  it('carries the facts of the host that runs the commands, and of the interpreters that run the smoke test', () => {
    const wine = resolveRoute(LINUX_X86, platform('windows-x86_64'), wheel('maturin')).route!;
    expect([wine.cross, wine.emulator, wine.targetVenv, wine.host.venv, wine.host.executableSuffix]).toEqual([true, 'wine', 'windows', 'posix', '']);
    // The host's sh runs test.command: a backslash is quoted for sh, not for cmd.exe.
    expect(wine.host.quote('C:\\venv\\Scripts\\python.exe')).toBe(`'C:\\venv\\Scripts\\python.exe'`);
    const msys2 = resolveRoute(WINDOWS, platform('windows-x86_64'), wheel('maturin')).route!;
    expect([msys2.cross, msys2.emulator, msys2.host.venv, msys2.host.executableSuffix]).toEqual([false, 'none', 'windows', '.exe']);
    expect(msys2.host.quote('C:\\Program Files\\python.exe')).toBe('"C:\\Program Files\\python.exe"');
    expect(resolveRoute(LINUX_X86, platform('linux-aarch64'), wheel('maturin')).route!.emulator).toBe('qemu');
  });

  it("compiles C extensions with MSVC on a Windows runner only: Rust, programs and mingw-w64's cross builds stay GNU", () => {
    const msvc = (host: Host, id: string, request: ReturnType<typeof wheel>) => resolveRoute(host, platform(id), request).route!.msvc;
    expect(msvc(WINDOWS, 'windows-x86_64', wheel('setuptools'))).toBe(true);
    expect(msvc({ os: 'windows', arch: 'aarch64' }, 'windows-arm64', wheel('setuptools'))).toBe(true);
    // kind: both: the wheels are MSVC's, the program (cargo's) gets its own GNU provision.
    expect(msvc(WINDOWS, 'windows-x86_64', { ...wheel('setuptools'), binary: true })).toBe(true);
    expect(msvc(WINDOWS, 'windows-x86_64', wheel('maturin'))).toBe(false);
    expect(msvc(WINDOWS, 'windows-x86_64', program('cargo'))).toBe(false);
    expect(msvc(WINDOWS, 'windows-x86_64', program('make'))).toBe(false);
    expect(msvc(LINUX_X86, 'windows-x86_64', wheel('setuptools'))).toBe(false);
    expect(msvc(LINUX_X86, 'linux-x86_64', wheel('setuptools'))).toBe(false);
  });

  it('builds macos-arm64 natively on macos-14: a crate whose gmp-mpfr-sys lacks force-cross is neither refused nor given it', () => {
    const real = { platform: process.platform, arch: process.arch };
    try {
      // What Node reports on macos-14.
      Object.defineProperty(process, 'platform', { value: 'darwin' });
      Object.defineProperty(process, 'arch', { value: 'arm64' });
      const { route, refusal } = resolveRoute(currentHost(), platform('macos-arm64'), wheel('maturin'));
      expect(refusal).toBeUndefined();
      expect([route!.id, route!.cross]).toEqual(['macos-native', false]);
      // rustc -vV on macos-14 says aarch64-apple-darwin: cargo does not cross-compile, and gmp-mpfr-sys builds as its author wrote it.
      expect(cargoCrossCompiles(route!.cross, 'aarch64-apple-darwin', 'aarch64-apple-darwin')).toBe(false);
    } finally {
      Object.defineProperty(process, 'platform', { value: real.platform });
      Object.defineProperty(process, 'arch', { value: real.arch });
    }
  });

  it('knows every route it can choose', () => {
    const chosen = new Set<string>();
    for (const host of [LINUX_X86, LINUX_ARM, MAC_ARM, MAC_INTEL, WINDOWS]) {
      for (const p of catalog.platforms.values()) {
        for (const request of [wheel('maturin'), wheel('maturin', 'host'), program('make')]) {
          const route = resolveRoute(host, p, request).route;
          if (route) chosen.add(route.id);
        }
      }
    }
    expect([...chosen].sort()).toEqual([...ROUTE_IDS].sort());
  });
});
