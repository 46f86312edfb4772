import type { Platform } from '../catalog/catalog.js';

/** The machine the build runs on (not the one it builds for). */
export interface Host {
  readonly os: 'linux' | 'macos' | 'windows';
  readonly arch: 'x86_64' | 'aarch64';
}

/** Whether `host` builds `platform` natively: the same OS and arch, in the one arch vocabulary of the catalog and the host. */
export const buildsNatively = (host: Host, platform: Pick<Platform, 'os' | 'arch'>): boolean => host.os === platform.os && host.arch === platform.arch;

export function currentHost(): Host {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macos' : 'linux';
  return { os, arch: process.arch === 'arm64' ? 'aarch64' : 'x86_64' };
}
