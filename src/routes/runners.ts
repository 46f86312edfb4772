import type { Catalog, Platform } from '../catalog/catalog.js';
import type { Config } from '../config/types.js';
import type { Host } from '../core/host.js';
import { resolveRoute, type BuildRequest } from './resolve.js';
import type { Refusal } from './route.js';

// GitHub's runners as hosts, and which runner builds a platform's cells.

/** The host a runner label is: the OS and arch of the platforms the catalog builds natively on it. */
export function runnerHost(catalog: Catalog, label: string): Host | undefined {
  const platform = [...catalog.platforms.values()].find((p) => p.runner === label);
  return platform && { os: platform.os, arch: platform.arch };
}

/** Every runner label of the catalog, once. */
export const runnerLabels = (catalog: Catalog): string[] => [...new Set([...catalog.platforms.values()].map((p) => p.runner))];

export type RunnerChoice = { readonly runner: string; readonly verify?: string; readonly refusal?: undefined } | { readonly refusal: Refusal };

/** The config keys that move an OS's cells to a Linux runner (`windows.build-on`, `macos.build-on`). */
type BuildOnConfig = Pick<Config, 'windows' | 'macos'>;

/** Whether the config asks for a platform's cells to be cross-built on Linux. */
const BUILT_ON_LINUX: Readonly<Record<Platform['os'], (config: BuildOnConfig) => boolean>> = {
  linux: () => false,
  windows: (config) => config.windows.buildOn === 'linux',
  macos: (config) => config.macos.buildOn === 'linux',
};

/** The config key that decides where a platform's cells are built, for messages. */
export const buildOnKey = (platform: Platform): string[] => [platform.os, 'build-on'];

/**
 * The runner that builds a platform's cells: its own, or with
 * `windows.build-on: linux` or `macos.build-on: linux` a Linux runner the
 * resolver gives a route to (mingw-w64 and wine, or zig, on ubuntu), and then
 * the platform's own runner verifies the files. A Linux runner whose route
 * cannot build what the cell asks is a refusal, not a quiet fallback.
 */
export function plannedRunner(catalog: Catalog, platform: Platform, config: BuildOnConfig, request: BuildRequest): RunnerChoice {
  if (!BUILT_ON_LINUX[platform.os](config)) return { runner: platform.runner };
  const linuxRunners = [...catalog.platforms.values()].filter((p) => p.os === 'linux' && !p.experimental).map((p) => p.runner);
  let refusal: Refusal | undefined;
  for (const runner of new Set(linuxRunners)) {
    const resolution = resolveRoute(runnerHost(catalog, runner)!, platform, request);
    if (resolution.route) return { runner, verify: platform.runner };
    if (resolution.refusal.kind === 'build') refusal ??= resolution.refusal;
  }
  // No Linux runner builds this platform at all (windows-arm64): its own runner does.
  return refusal ? { refusal } : { runner: platform.runner };
}
