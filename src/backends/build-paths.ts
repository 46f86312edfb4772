import { realpathSync } from 'node:fs';
import path from 'node:path';
import { cargoHome } from '../project/cargo-rustflags.js';
import type { Interpreter } from '../core/interpreters.js';
import type { HostFacts } from '../core/host.js';

// A compiled file must not hold the paths of the machine that built it: the
// same commit built in another checkout, by another user or on another
// runner then gives other bytes, and a re-run release cannot prove it made
// the files it published (https://reproducible-builds.org/docs/build-path/).
// Our maps go before the build's own flags: where two maps match, compilers
// and rustc take the last, so a project's own map wins. Paths with white
// space (the string forms of rustflags and CPPFLAGS are split at it) or, for
// C, with `=` (gcc and clang split the map at its first) are left alone.

const spaced = (value: string) => /\s/.test(value);

/**
 * rustc's arguments that write cargo's home (where registry and git sources
 * live, named by every panic location in a dependency) as `/cargo`. Workspace
 * members are named relative to the workspace, and the standard library as
 * `/rustc/<commit>`, already.
 */
export function rustPathRemapArgs(env: NodeJS.ProcessEnv, host: HostFacts): string[] {
  const home = cargoHome(env, host);
  return spaced(home) ? [] : [`--remap-path-prefix=${home}=/cargo`];
}

/** A directory and the name a compiled file gives it instead. */
export type PathMap = readonly [from: string, to: string];

export interface CBuildPaths {
  readonly projectDir: string;
  /** native-matrix's cache: GMP's headers, zig and its libc headers, sysroots. */
  readonly cacheDir: string;
  /** The interpreter being built for: its headers. */
  readonly interpreter?: Interpreter;
}

/** Prefixes shared by every machine, which need no map (and would rename the system's own headers). */
const SYSTEM_PREFIXES = new Set(['/', '/usr', '/usr/local']);

/** A path and, when a link leads elsewhere, where it really is (compilers record the real working directory). */
export function withRealPath(dir: string): string[] {
  try {
    const real = realpathSync(dir);
    return real === dir ? [dir] : [dir, real];
  } catch {
    return [dir];
  }
}

/**
 * The maps of a C or C++ build, the broadest first: the project as `.`, the
 * interpreter's prefix as `/python`, the cache as `/native-matrix` (which may
 * hold the interpreter, and sits inside a project when the user puts it
 * there).
 */
export function cPathMaps({ projectDir, cacheDir, interpreter }: CBuildPaths): PathMap[] {
  const maps: PathMap[] = withRealPath(projectDir).map((dir) => [dir, '.'] as const);
  if (interpreter && !interpreter.foreign && path.isAbsolute(interpreter.executable)) {
    // <prefix>/bin/python3: its headers are under <prefix>/include.
    const prefix = path.dirname(path.dirname(interpreter.executable));
    if (!SYSTEM_PREFIXES.has(prefix)) maps.push(...withRealPath(prefix).map((dir) => [dir, '/python'] as const));
  }
  maps.push(...withRealPath(cacheDir).map((dir) => [dir, '/native-matrix'] as const));
  return maps;
}

/**
 * CPPFLAGS for a PEP 517 build with the maps as `-ffile-prefix-map` (debug
 * information and `__FILE__`: setuptools compiles with the interpreter's
 * `-g`), before the build's own CPPFLAGS (`base`). CPPFLAGS rather than
 * CFLAGS: setuptools and meson add it to every compile, while an unset
 * CFLAGS keeps its meaning (autoconf's `-g -O2` default). CMake does not read
 * it, so scikit-build-core projects keep their paths.
 */
export function cPathMapFlags(base: Readonly<Record<string, string | undefined>>, maps: readonly PathMap[]): Record<string, string> {
  const flags = maps.filter(([from, to]) => !spaced(from) && !from.includes('=') && !spaced(to)).map(([from, to]) => `-ffile-prefix-map=${from}=${to}`);
  if (flags.length === 0) return {};
  return { CPPFLAGS: [...flags, base.CPPFLAGS?.trim()].filter(Boolean).join(' ') };
}
