import type { Platform } from '../catalog/catalog.js';
import type { Host, HostFacts } from '../core/host.js';
import type { VenvFlavour } from '../core/venv.js';

// How a host builds a target: what the resolver (resolve.ts) chooses once per
// cell, and everything downstream asks instead of comparing OSes and arches.

/**
 * The ways a cell is built:
 * - `linux-native`: the host's own compilers, for the host's glibc (`linux.manylinux: host`).
 * - `linux-zig`: zig as the C compiler and linker, for an older glibc on the host's arch.
 * - `linux-qemu`: another arch's Linux (aarch64 on x86_64), cross-compiled, run under qemu-user.
 * - `windows-wine`: Windows on Linux, cross-compiled with mingw-w64, run under wine.
 * - `windows-msys2`: Windows on Windows, with MSYS2's MinGW toolchain.
 * - `macos-native`: macOS on a Mac of the same arch.
 * - `macos-zig`: macOS on an x86_64 Linux host, cross-compiled and linked by zig; imported on a Mac by the workflow's verify job.
 */
export const ROUTE_IDS = ['linux-native', 'linux-zig', 'linux-qemu', 'windows-wine', 'windows-msys2', 'macos-native', 'macos-zig'] as const;
export type RouteId = (typeof ROUTE_IDS)[number];

export interface Route {
  readonly id: RouteId;
  readonly host: HostFacts;
  readonly platform: Platform;
  /** Whether the compilers make code for another machine than the host (so cargo cross-compiles). */
  readonly cross: boolean;
  /** How the target's interpreters and programs run on the host. */
  readonly emulator: 'none' | 'qemu' | 'wine';
  /** The layout of a virtual environment made by the cell's interpreters (a Windows CPython's under wine). */
  readonly targetVenv: VenvFlavour;
  /** Whether C and Rust code is compiled and linked by zig (an older glibc, or macOS on Linux). */
  readonly zig: boolean;
  /**
   * Whether the cell's wheels are C extensions compiled by MSVC (a PEP 517
   * build on a Windows runner, as Windows CPython builds every extension):
   * the libraries they link must share CPython's C runtime, the UCRT.
   */
  readonly msvc: boolean;
}

/** Why a host cannot build a cell, and where it is built instead. */
export interface Refusal {
  /** `host`: this host builds nothing for the platform; `build`: it has a route, which cannot build what the cell asks for. */
  readonly kind: 'host' | 'build';
  readonly reason: string;
  /** The GitHub runner that builds it. */
  readonly runsOn: string;
}

/** Apple's name for an arch, for the tools that want it (clang's -arch, wheel tags). */
export const appleArch = (arch: Host['arch']): string => (arch === 'aarch64' ? 'arm64' : arch);
