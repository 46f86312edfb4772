import path from 'node:path';
import type { VenvFlavour } from './venv.js';

// The machine that runs the commands, and its own facts: every path joined,
// every shell word quoted and every virtual environment laid out as it does.

/** The machine the build runs on (not the one it builds for), in the catalog's one arch vocabulary. */
export interface Host {
  readonly os: 'linux' | 'macos' | 'windows';
  readonly arch: 'x86_64' | 'aarch64';
}

/** What the machine that runs the commands is like: its paths, its shell, its own Python's environments. */
export interface HostFacts extends Host {
  /** Joins and splits the host's paths. */
  readonly path: path.PlatformPath;
  /** The layout of a virtual environment made by the host's own Python. */
  readonly venv: VenvFlavour;
  /** `.exe` on Windows. */
  readonly executableSuffix: string;
  /** The variable that names the user's home directory (cargo's home is under it). */
  readonly homeVariable: 'HOME' | 'USERPROFILE';
  /** Quotes one word for the shell that user commands (test.command, build.before-build) run in here. */
  readonly quote: (word: string) => string;
}

/** POSIX sh: anything beyond the safe characters goes in single quotes (a backslash is not safe: sh eats it). */
const shQuote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** cmd.exe: double quotes, with a double quote doubled; backslashes are path separators there. (`%` expands even inside quotes: no quoting keeps it.) */
const cmdQuote = (word: string): string => (/^[\w@+=:,./\\-]+$/.test(word) ? word : `"${word.replace(/"/g, '""')}"`);

export function hostFacts(host: Host): HostFacts {
  const windows = host.os === 'windows';
  return Object.freeze({
    os: host.os,
    arch: host.arch,
    path: windows ? path.win32 : path.posix,
    venv: windows ? 'windows' : 'posix',
    executableSuffix: windows ? '.exe' : '',
    homeVariable: windows ? 'USERPROFILE' : 'HOME',
    quote: windows ? cmdQuote : shQuote,
  });
}

export function currentHost(): Host {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macos' : 'linux';
  return { os, arch: process.arch === 'arm64' ? 'aarch64' : 'x86_64' };
}

/** This machine's facts. */
export const thisHost = (): HostFacts => hostFacts(currentHost());
