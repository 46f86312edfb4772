import { existsSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import { MANYLINUX_CHOICES } from '../config/schema.js';
import type { Config } from '../config/types.js';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';
import { compareVersions } from '../core/versions.js';

/** The glibc that a cell's Linux files are built for (`linux.manylinux`); undefined for `host`. */
export interface GlibcTarget {
  /** `2.17` */
  readonly version: string;
  /** auditwheel's policy and the wheels' platform tag: `manylinux_2_17_x86_64`. */
  readonly policy: string;
  /** zig's target: `x86_64-linux-gnu.2.17`. */
  readonly zigTarget: string;
  /** cargo-zigbuild's target: `x86_64-unknown-linux-gnu.2.17`. */
  readonly cargoTarget: string;
}

export function glibcTarget({ config, platform }: { readonly config: Pick<Config, 'linux'>; readonly platform: Pick<Platform, 'arch' | 'target'> }): GlibcTarget | undefined {
  const choice = config.linux.manylinux;
  if (choice === 'host') return undefined;
  const version = choice.replace('_', '.');
  return {
    version,
    policy: `manylinux_${choice}_${platform.arch}`,
    zigTarget: `${platform.arch}-linux-gnu.${version}`,
    cargoTarget: `${platform.target}.${version}`,
  };
}

/** One undefined dynamic symbol of an ELF file, with the version it asks for (`GLIBC_2.14`) if any. */
export interface DynamicSymbol {
  readonly name: string;
  readonly version?: string;
  readonly weak: boolean;
  readonly defined: boolean;
}

/** The dynamic symbols in `readelf -W --dyn-syms` output. */
export function parseDynamicSymbols(output: string): DynamicSymbol[] {
  const symbols: DynamicSymbol[] = [];
  for (const line of output.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(tokens[0] ?? '') || tokens.length < 8) continue;
    // Num: Value Size Type Bind Vis [other] Ndx Name [(n)]
    const ndxAt = tokens.findIndex((token, i) => i >= 6 && (token === 'UND' || token === 'ABS' || /^\d+$/.test(token) || token === 'COM'));
    const field = tokens[ndxAt + 1];
    if (ndxAt < 0 || !field) continue;
    const match = /^([^@]+)@{1,2}(.+)$/.exec(field);
    symbols.push({ name: match ? match[1]! : field, ...(match ? { version: match[2]! } : {}), weak: tokens[4] === 'WEAK', defined: tokens[ndxAt] !== 'UND' });
  }
  return symbols;
}

const glibcVersion = (version: string | undefined) => /^GLIBC_(\d+\.\d+(?:\.\d+)?)$/.exec(version ?? '')?.[1];

/** For each symbol the C library defines: the oldest glibc version that has it. */
export function oldestVersions(symbols: readonly DynamicSymbol[]): Map<string, string> {
  const oldest = new Map<string, string>();
  for (const symbol of symbols) {
    const version = glibcVersion(symbol.version);
    if (!symbol.defined || !version) continue;
    const known = oldest.get(symbol.name);
    if (!known || compareVersions(version, known) < 0) oldest.set(symbol.name, version);
  }
  return oldest;
}

/** A symbol that needs a newer glibc than the target. */
export interface GlibcViolation {
  readonly file: string;
  readonly symbol: string;
  /** `2.34` */
  readonly version: string;
}

export interface GlibcReport {
  /** The newest glibc any file needs (`2.17`), or undefined when none needs a versioned glibc symbol. */
  readonly newest?: string;
  readonly violations: readonly GlibcViolation[];
}

/**
 * Every glibc symbol version the ELF files under `root` need, against `limit`.
 * A versioned reference (`memcpy@GLIBC_2.14`) names its version; an
 * unversioned one (zig leaves `closefrom` so when the target's glibc lacks it)
 * is looked up in the C library (`libc`: the symbol → its oldest version).
 */
export async function checkGlibcSymbols(runner: CommandRunner, root: string, limit: string | undefined, libc: ReadonlyMap<string, string>): Promise<GlibcReport> {
  const violations: GlibcViolation[] = [];
  let newest: string | undefined;
  for (const file of await elfFiles(root)) {
    const { stdout } = await runner.run('readelf', ['-W', '--dyn-syms', file], { quiet: true, purpose: 'readelf' });
    for (const symbol of parseDynamicSymbols(stdout)) {
      if (symbol.defined) continue;
      const version = symbol.version ? glibcVersion(symbol.version) : symbol.weak ? undefined : libc.get(symbol.name);
      if (!version) continue;
      if (!newest || compareVersions(version, newest) > 0) newest = version;
      if (limit && compareVersions(version, limit) > 0) violations.push({ file: path.relative(root, file), symbol: symbol.name, version });
    }
  }
  return { ...(newest ? { newest } : {}), violations };
}

/** Regular files under `dir` that start with the ELF magic. */
async function elfFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
      if (bytesRead === 4 && buffer.toString('latin1') === '\x7fELF') found.push(file);
    } finally {
      await handle.close();
    }
  }
  return found.sort();
}

/** Where a Debian/Ubuntu system keeps the C library of an arch: its own, or a cross one. */
const LIBC_DIRS: Readonly<Record<string, readonly string[]>> = {
  x86_64: ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/usr/x86_64-linux-gnu/lib'],
  aarch64: ['/usr/aarch64-linux-gnu/lib', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu'],
};

/**
 * The oldest glibc version of each symbol that libc.so.6 and libm.so.6 of
 * the arch define, from the copy on this machine; empty when it has none
 * (unversioned references then go unchecked).
 */
export async function libcSymbolVersions(runner: CommandRunner, arch: string): Promise<Map<string, string>> {
  const symbols: DynamicSymbol[] = [];
  for (const name of ['libc.so.6', 'libm.so.6']) {
    const file = (LIBC_DIRS[arch] ?? []).map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
    if (!file) continue;
    symbols.push(...parseDynamicSymbols((await runner.run('readelf', ['-W', '--dyn-syms', file], { quiet: true, purpose: 'readelf' })).stdout));
  }
  return oldestVersions(symbols);
}

/** The error for files that need a newer glibc than `linux.manylinux` allows. */
export function glibcError(config: Config, what: string, target: GlibcTarget, violations: readonly GlibcViolation[]): UserError {
  const listed = violations.slice(0, 5).map((v) => `${v.file} needs ${v.symbol} from GLIBC_${v.version}`);
  const more = violations.length > listed.length ? ` (and ${violations.length - listed.length} more)` : '';
  const newest = violations
    .map((v) => v.version)
    .sort(compareVersions)
    .at(-1)!;
  // The oldest choice that has the symbols, else the build machine's glibc.
  const choice = MANYLINUX_CHOICES.find((c) => c !== 'host' && compareVersions(c.replace('_', '.'), newest) >= 0) ?? 'host';
  const symbols = [...new Set(violations.map((v) => v.symbol))].join(', ');
  return new UserError({
    location: config.locate(['linux', 'manylinux']),
    key: 'linux.manylinux',
    message: `${what} needs a newer glibc than ${target.version} (${target.policy}): ${listed.join('; ')}${more}`,
    fix: `set linux.manylinux: "${choice}" (users then need glibc ${choice === 'host' ? "as new as the build machine's" : choice.replace('_', '.')} or newer), or change the code not to use ${symbols}`,
  });
}
