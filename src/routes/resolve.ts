import type { Platform } from '../catalog/catalog.js';
import type { Manylinux } from '../config/types.js';
import type { BuildBackend } from '../project/detect.js';
import type { Host } from '../core/host.js';
import { BACKEND_ROUTES } from './backend-routes.js';
import { hostFacts } from '../core/host.js';
import type { Refusal, Route, RouteId } from './route.js';

// The one place that decides how a host builds a platform. Every question of
// "can this machine build that, and how" (the build, the planner's runners,
// the config's cross rules) is answered here, from the host, the platform,
// the config and what the cell builds.

/** What a cell asks of its host. */
export interface BuildRequest {
  readonly wheel: boolean;
  readonly binary: boolean;
  readonly backend: BuildBackend;
  /** linux.manylinux: the glibc Linux files are built for, or `host`. */
  readonly manylinux: Manylinux;
}

export type Resolution = { readonly route: Route; readonly refusal?: undefined } | { readonly route?: undefined; readonly refusal: Refusal };

/** The arches another arch's Linux is cross-built for (with a cross gcc or zig) and run under qemu-user. */
const QEMU_TARGETS: Readonly<Partial<Record<Host['arch'], Host['arch']>>> = { x86_64: 'aarch64' };

interface Choice {
  readonly id: RouteId;
  readonly emulator: Route['emulator'];
}

/** The route for the host and platform, before what the cell builds is asked about; or why there is none. */
function chooseRoute(host: Host, platform: Platform, manylinux: Manylinux): Choice | string {
  const sameArch = host.arch === platform.arch;
  switch (platform.os) {
    case 'linux':
      if (platform.target.endsWith('-musl')) return `${platform.id} is experimental and not built by this version: a musllinux wheel can only be smoke-tested by a musl CPython`;
      if (host.os !== 'linux') return `${platform.id} is built on Linux (this host runs ${host.os})`;
      if (sameArch) return { id: manylinux === 'host' ? 'linux-native' : 'linux-zig', emulator: 'none' };
      if (QEMU_TARGETS[host.arch] === platform.arch) return { id: 'linux-qemu', emulator: 'qemu' };
      return `${platform.id} needs an ${platform.arch} host (this one is ${host.arch})`;
    case 'windows':
      if (host.os === 'windows') return sameArch ? { id: 'windows-msys2', emulator: 'none' } : `${platform.id} needs a ${platform.arch} Windows host`;
      if (host.os === 'linux' && host.arch === 'x86_64' && platform.arch === 'x86_64') return { id: 'windows-wine', emulator: 'wine' };
      return `${platform.id} is built on Windows, or cross-built on an x86_64 Linux host with mingw-w64`;
    case 'macos':
      if (host.os === 'linux' && host.arch === 'x86_64') return { id: 'macos-zig', emulator: 'none' };
      if (host.os !== 'macos') return `${platform.id} is built on macOS (this host runs ${host.os})`;
      return sameArch ? { id: 'macos-native', emulator: 'none' } : `${platform.id} needs an ${platform.arch === 'aarch64' ? 'arm64' : 'x86_64'} Mac`;
  }
}

/** How `host` builds `platform` for `request`, or why it cannot and which runner does. */
export function resolveRoute(host: Host, platform: Platform, request: BuildRequest): Resolution {
  const refuse = (kind: Refusal['kind'], reason: string): Resolution => ({ refusal: { kind, reason, runsOn: platform.runner } });
  const choice = chooseRoute(host, platform, request.manylinux);
  if (typeof choice === 'string') return refuse('host', choice);
  const route: Route = Object.freeze({
    id: choice.id,
    host: hostFacts(host),
    platform,
    cross: choice.id === 'linux-qemu' || choice.id === 'windows-wine' || choice.id === 'macos-zig',
    emulator: choice.emulator,
    targetVenv: platform.os === 'windows' ? 'windows' : 'posix',
    zig: (platform.os === 'linux' && request.manylinux !== 'host') || choice.id === 'macos-zig',
  });
  const rules = BACKEND_ROUTES[request.backend];
  for (const [wanted, rule, what] of [
    [request.wheel, rules.wheel, 'wheels'],
    [request.binary, rules.binary, 'programs'],
  ] as const) {
    if (!wanted) continue;
    const reason = rule ? rule(route) : `${request.backend} builds no ${what}`;
    if (reason) return refuse('build', `${platform.id}: ${reason}`);
  }
  return { route };
}
