import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { currentHost } from '../../src/core/host.js';
import { resolveRoute } from '../../src/routes/resolve.js';

const catalog = loadCatalog();

describe('platform catalog', () => {
  it('has the stable platforms and marks the others experimental', () => {
    const stable = [...catalog.platforms.values()].filter((p) => !p.experimental).map((p) => p.id);
    expect(stable).toEqual(['linux-x86_64', 'linux-aarch64', 'macos-x86_64', 'macos-arm64', 'windows-x86_64']);
    expect(catalog.platforms.get('windows-arm64')?.experimental).toBe(true);
    expect(catalog.platforms.get('linux-x86_64-musl')?.experimental).toBe(true);
    expect(catalog.platforms.get('linux-aarch64-musl')?.experimental).toBe(true);
  });

  it('builds Windows with the GNU toolchain from MSYS2, since GMP cannot be built with MSVC', () => {
    const windows = catalog.platforms.get('windows-x86_64')!;
    expect(windows.target).toBe('x86_64-pc-windows-gnu');
    expect(windows.repair).toBe('delvewheel');
    // MINGW64 for Rust (rustup's windows-gnu standard library is msvcrt's); UCRT64, CPython's C runtime, for MSVC's C extensions.
    expect(windows.msys2).toEqual({ root: 'C:\\msys64', environment: 'MINGW64', prefix: 'mingw-w64-x86_64', msvc: { environment: 'UCRT64', prefix: 'mingw-w64-ucrt-x86_64' } });
    // CLANGARM64 links the UCRT already: one environment for both.
    expect(catalog.platforms.get('windows-arm64')!.msys2!.msvc).toBeUndefined();
  });

  it('uses native arm64 runners instead of emulation', () => {
    expect(catalog.platforms.get('linux-aarch64')?.runner).toBe('ubuntu-24.04-arm');
    expect(catalog.platforms.get('macos-arm64')?.runner).toMatch(/^macos-1[4-9]$/);
    expect(catalog.platforms.get('windows-arm64')?.runner).toBe('windows-11-arm');
  });

  it("is built natively on its own runner: the catalog's arch is the host's, in one vocabulary", () => {
    // What Node reports on each GitHub runner the catalog names.
    const RUNNERS: Record<string, { platform: NodeJS.Platform; arch: NodeJS.Architecture }> = {
      'ubuntu-24.04': { platform: 'linux', arch: 'x64' },
      'ubuntu-24.04-arm': { platform: 'linux', arch: 'arm64' },
      'macos-15-intel': { platform: 'darwin', arch: 'x64' },
      'macos-14': { platform: 'darwin', arch: 'arm64' },
      'windows-2025': { platform: 'win32', arch: 'x64' },
      'windows-11-arm': { platform: 'win32', arch: 'arm64' },
    };
    const real = { platform: process.platform, arch: process.arch };
    try {
      for (const platform of catalog.platforms.values()) {
        const runner = RUNNERS[platform.runner];
        expect(runner, `the runner ${platform.runner} of ${platform.id}`).toBeDefined();
        Object.defineProperty(process, 'platform', { value: runner!.platform });
        Object.defineProperty(process, 'arch', { value: runner!.arch });
        const { route, refusal } = resolveRoute(currentHost(), platform, { wheel: false, binary: true, backend: 'cargo', manylinux: '2_17' });
        // musllinux is refused everywhere (no musl CPython to smoke-test with), not for want of a native host.
        if (refusal) expect(refusal.reason, platform.id).toMatch(/experimental and not built by this version/);
        else expect(route.cross, `${platform.id} on ${platform.runner}`).toBe(false);
      }
    } finally {
      Object.defineProperty(process, 'platform', { value: real.platform });
      Object.defineProperty(process, 'arch', { value: real.arch });
    }
  });

  it('names a repair tool that fits each OS', () => {
    for (const platform of catalog.platforms.values()) {
      expect({ linux: 'auditwheel', macos: 'delocate', windows: 'delvewheel' }[platform.os]).toBe(platform.repair);
      if (platform.os === 'macos') expect(platform['deployment-target']).toMatch(/^\d+\.\d+$/);
    }
  });

  it('lists Python 3.9–3.14 and free-threaded 3.13t/3.14t, defaulting to supported non-free-threaded ones', () => {
    expect([...catalog.pythons.keys()]).toEqual(['3.9', '3.10', '3.11', '3.12', '3.13', '3.13t', '3.14', '3.14t']);
    const defaults = [...catalog.pythons.values()].filter((p) => p.isDefault);
    expect(defaults.map((p) => p.version)).toEqual(['3.11', '3.12', '3.13', '3.14']);
    for (const python of defaults) {
      expect(python.freeThreaded).toBe(false);
      expect(python.endOfLife > '2026-11-22').toBe(true);
    }
    expect(catalog.pythons.get('3.9')?.endOfLife).toBe('2025-10-31');
  });

  it('has presets that name only catalog platforms', () => {
    expect(catalog.presets.get('all-stable')).toHaveLength(5);
  });
});
