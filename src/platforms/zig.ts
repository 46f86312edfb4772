import { chmod, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { posixQuote } from '../core/process/runner.js';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import type { ToolEnv } from '../core/tools.js';
import type { GlibcTarget } from './glibc.js';
import type { CellContext } from '../routes/context.js';

/**
 * zig as C/C++ compiler and linker for an older glibc (or for macOS): `zig cc -target
 * x86_64-linux-gnu.2.17` links against zig's own glibc stubs of that version.
 * zig searches none of the system's include or library directories (which
 * would also bring in the host's libc): the only ones it gets are `deps`,
 * which hold nothing but the GMP family.
 */
export interface ZigToolchain {
  /** The zig executable from the tool environment (ziglang). */
  readonly zig: string;
  readonly cc: string;
  readonly cxx: string;
  readonly ar: string;
  readonly ranlib: string;
}

/** Directories with the GMP family's headers and libraries only. */
export interface DepsDirs {
  readonly include: string;
  readonly lib: string;
}

/** The zig binary of the ziglang package in the tool environment. */
export async function zigPath(context: CellContext, tools: ToolEnv): Promise<string> {
  const { stdout } = await context.runner.run(tools.python, ['-c', 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))'], {
    quiet: true,
    purpose: 'finding zig',
  });
  return stdout.trim();
}

/**
 * Wrapper scripts `cc`, `c++`, `ar` and `ranlib` for the target, in the
 * cache under a key of everything they contain (stable paths: cargo and
 * gmp-mpfr-sys key their caches by the compiler's name).
 */
export async function zigToolchain(context: CellContext, tools: ToolEnv, target: Pick<GlibcTarget, 'zigTarget'>, deps?: DepsDirs): Promise<ZigToolchain> {
  const zig = await zigPath(context, tools);
  // UBSan is zig cc's default for unoptimised code (configure's probes): off,
  // as with gcc. Position-independent code, as distributions' gcc makes by
  // default: a static libgmp (gmp-mpfr-sys's) ends up inside an extension module.
  const flags = ['-target', target.zigTarget, '-fno-sanitize=undefined', '-fPIC', ...(deps ? ['-isystem', deps.include, '-L', deps.lib] : [])];
  const scripts: Record<string, string[]> = { cc: ['cc', ...flags], 'c++': ['c++', ...flags], ar: ['ar'], ranlib: ['ranlib'] };
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'zig', cacheKey({ zig, scripts })), async (target) => {
    await mkdir(target, { recursive: true });
    for (const [name, args] of Object.entries(scripts)) {
      const file = path.join(target, name);
      await writeFile(file, `#!/bin/sh\nexec ${[zig, ...args].map(posixQuote).join(' ')} "$@"\n`);
      await chmod(file, 0o755);
    }
  });
  return { zig, cc: path.join(dir, 'cc'), cxx: path.join(dir, 'c++'), ar: path.join(dir, 'ar'), ranlib: path.join(dir, 'ranlib') };
}

/** Variables that make compilers, build backends, cargo and maturin use the toolchain. */
export function zigEnv(toolchain: ZigToolchain): Record<string, string> {
  return {
    CC: toolchain.cc,
    CXX: toolchain.cxx,
    AR: toolchain.ar,
    RANLIB: toolchain.ranlib,
    // setuptools links extensions with LDSHARED, not CC.
    LDSHARED: `${toolchain.cc} -shared`,
    LDCXXSHARED: `${toolchain.cxx} -shared`,
    CARGO_ZIGBUILD_ZIG_PATH: toolchain.zig,
  };
}

/**
 * Header and shared library files of Debian packages: `/usr/include/**\/*.h`,
 * `/usr/lib/**\/lib*.so`. Not their static archives: Debian's are not
 * position-independent, so nothing zig builds (extension modules, PIE
 * programs) can link them, and on rustc's search path (RUSTFLAGS' directories
 * come before a build script's) libgmp.a would take the place of the one
 * gmp-mpfr-sys builds from its bundled sources.
 */
export function developmentFiles(dpkgList: string): { headers: string[]; libraries: string[] } {
  const files = dpkgList
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return {
    headers: files.filter((file) => file.startsWith('/usr/include/') && file.endsWith('.h')),
    libraries: files.filter((file) => /^\/usr\/lib\/(.*\/)?lib[^/]+\.so$/.test(file)),
  };
}

/**
 * A directory with links to exactly the headers and libraries of the
 * system's GMP packages, for a compiler that must not see the rest of
 * /usr/include and /usr/lib.
 */
export async function systemDepsDirs(context: CellContext, packages: readonly string[]): Promise<DepsDirs> {
  const headers: string[] = [];
  const libraries: string[] = [];
  for (const name of packages) {
    const listed = developmentFiles((await context.runner.run('dpkg', ['-L', name], { quiet: true, purpose: `dpkg -L ${name}` })).stdout);
    headers.push(...listed.headers);
    libraries.push(...listed.libraries);
  }
  if (!libraries.some((file) => /\/libgmp\.so$/.test(file))) {
    throw new UserError({ key: 'gmp.source', message: `the system's ${packages.join(', ')} has no libgmp.so to link`, fix: 'reinstall libgmp-dev, or set gmp.source: build' });
  }
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'zig-deps', cacheKey({ headers, libraries })), async (target) => {
    for (const [sub, files] of [
      ['include', headers],
      ['lib', libraries],
    ] as const) {
      await mkdir(path.join(target, sub), { recursive: true });
      for (const file of files) {
        // gmp.h lives in the multiarch directory; the name is all a compiler asks for.
        const relative = sub === 'include' ? path.relative('/usr/include', file).replace(/^[a-z0-9_]+-linux-gnu\//, '') : path.basename(file);
        await mkdir(path.dirname(path.join(target, sub, relative)), { recursive: true });
        await symlink(file, path.join(target, sub, relative));
      }
    }
  });
  return { include: path.join(dir, 'include'), lib: path.join(dir, 'lib') };
}

/**
 * A directory with links to the shared libraries of `libDir` only (a GMP built
 * from source, whose prefix also holds libgmp.a), for rustc's search path:
 * there, before a build script's own directory, a static libgmp.a would take
 * the place of the one gmp-mpfr-sys builds from its bundled sources.
 */
export async function sharedLibrariesOf(context: CellContext, libDir: string): Promise<string> {
  const libraries = (await readdir(libDir)).filter((name) => /^lib[^/]+\.so(\.\d+)*$/.test(name)).sort();
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'zig-shared', cacheKey({ libDir, libraries })), async (target) => {
    for (const name of libraries) await symlink(path.join(libDir, name), path.join(target, name));
  });
  return dir;
}
