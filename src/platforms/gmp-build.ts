// Building the GMP family from source is one way a platform provisions GMP: toolchain work, so it lives with the platforms.
import { cpus } from 'node:os';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import sourcesData from '../../matrix/sources.yml';
import type { GmpLibrary } from '../config/types.js';
import { UserError } from '../core/errors.js';
import { compareVersions } from '../core/versions.js';
import type { CellContext } from '../routes/context.js';
import { cachedDirectory, cacheKey, discardedWarning } from '../core/cache.js';
import { downloadVerified } from '../core/download.js';
import { LIBRARIES, textsIn, type LicenceSource } from '../catalog/libraries.js';

interface SourceEntry {
  readonly url: string;
  readonly sha256: string;
}

/** Known-good source tarballs from matrix/sources.yml. */
const SOURCES = (sourcesData as { sources: Record<GmpLibrary, Record<string, SourceEntry>> }).sources;

/** MPFR and MPC versions used with GMP (the newest in the catalog). */
const newest = (library: GmpLibrary) => Object.keys(SOURCES[library]).sort((a, b) => compareVersions(b, a))[0]!;

const EMPTY_DOC_MAKEFILE = [
  '.DEFAULT:',
  '\t@:',
  'all install check clean distclean mostlyclean maintainer-clean install-data install-exec uninstall installdirs install-strip info dvi pdf html ps tags ctags distdir:',
  '\t@:',
  '',
].join('\n');

/** `.tar.xz`, `.tar.gz`, … of a tarball URL. */
const tarballSuffix = (url: string) => /(\.tar\.[a-z0-9]+|\.t[gx]z)$/.exec(new URL(url).pathname)?.[1] ?? '.tar';

/** MSYS2's configure and make want `C:/…`, not `C:\…`; POSIX paths are unchanged. */
const forwardSlashes = (file: string) => file.replace(/\\/g, '/');

export interface GmpBuildOptions {
  /** GNU host triple, deliberately generic: `x86_64-pc-linux-gnu`, `x86_64-w64-mingw32`. */
  readonly host: string;
  /** The build machine's triple, when configure would guess one that differs from a native host (Apple Silicon). */
  readonly build?: string;
  readonly configureFlags: readonly string[];
  /** Cross compiler, e.g. `x86_64-w64-mingw32-gcc`; default `cc`/`$CC`. */
  readonly cc?: string;
  /** Variables for every step (e.g. MSYS2's PATH on Windows, MACOSX_DEPLOYMENT_TARGET). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * What identifies the toolchain in the cache key, in place of `cc` and
   * `env`, when those are paths that differ between equal toolchains (zig's
   * wrappers, one per tool environment that holds zig).
   */
  readonly toolchainKey?: Readonly<Record<string, unknown>>;
}

export interface GmpBuild {
  readonly prefix: string;
  readonly cacheHit: boolean;
  /** Each library's version and the licence texts of its source, kept in the prefix's share/licenses/<library>/. */
  readonly licences: Readonly<Record<string, LicenceSource>>;
}

/** Where a build keeps a library's licence texts: the files that must travel with what it builds. */
const licenceDir = (prefix: string, library: GmpLibrary) => path.join(prefix, 'share', 'licenses', library);

/** The tarball for a library: the config's own, else the catalog's for that version. */
export function sourceFor(context: Pick<CellContext, 'config'>, library: GmpLibrary): SourceEntry & { version: string } {
  const version = library === 'gmp' ? context.config.gmp.version : newest(library);
  const own = context.config.gmp.tarballs[library];
  if (own) return { ...own, version };
  const known = SOURCES[library][version];
  if (!known) {
    throw new UserError({
      location: context.config.locate(['gmp', 'version']),
      key: 'gmp.version',
      message: `no known source tarball for ${library} ${version} (known: ${Object.keys(SOURCES[library]).join(', ')})`,
      fix: `use a known version, or give gmp.tarballs.${library}: { url, sha256 }`,
    });
  }
  return { ...known, version };
}

/**
 * Builds the GMP family from verified source into a cache entry keyed by the
 * sources, the host triple, the compiler and the flags, and reuses it next
 * time. The build never tunes itself to this machine's CPU: a generic host
 * triple (config.guess replaced by configfsf.guess) and, where the caller
 * asks, --enable-fat.
 */
export async function buildGmpFromSource(context: CellContext, options: GmpBuildOptions): Promise<GmpBuild> {
  const { config, runner, reporter } = context;
  const libraries = config.gmp.libraries;
  const sources = Object.fromEntries(libraries.map((library) => [library, sourceFor(context, library)]));
  const cc = options.cc ?? context.env.CC ?? 'cc';
  // `licences`: entries made before the licence texts were kept lack them, and are rebuilt once.
  const toolchain = options.toolchainKey ? { toolchain: options.toolchainKey } : { cc, env: options.env ?? {} };
  const key = cacheKey({ sources, host: options.host, flags: options.configureFlags, ...toolchain, licences: true });
  const entry = path.join(context.cacheDir, 'gmp', `${options.host}-gmp-${sources.gmp!.version}-${key}`);
  const jobs = String(Math.max(1, cpus().length));

  const { dir, hit, discarded } = await cachedDirectory(entry, async (prefix) => {
    for (const library of libraries) {
      const source = sources[library]!;
      const tarball = await downloadVerified(source.url, source.sha256, path.join(context.cacheDir, 'sources'), `gmp.tarballs.${library}`);
      const buildRoot = path.join(context.workDir, `${library}-build`);
      await mkdir(buildRoot, { recursive: true });
      // Unpacked from a relative name: MSYS2's GNU tar would read `C:\…` as a remote host.
      const local = `source${tarballSuffix(source.url)}`;
      await copyFile(tarball, path.join(buildRoot, local));
      await runner.run('tar', ['-xf', local], { cwd: buildRoot, env: options.env, purpose: `unpacking ${library}` });
      const [top] = (await readdir(buildRoot)).filter((name) => name !== local);
      const srcDir = path.join(buildRoot, top!);
      if (existsSync(path.join(srcDir, 'configfsf.guess'))) {
        // GMP's config.guess names the exact CPU (e.g. skylake), which would
        // tune the library to the CI machine; the FSF original names the family.
        await copyFile(path.join(srcDir, 'configfsf.guess'), path.join(srcDir, 'config.guess'));
      }
      if (library === 'gmp' && !existsSync(path.join(srcDir, 'doc'))) {
        // Debian's +dfsg tarball drops the GFDL manual, but configure still
        // generates doc/Makefile: give it an empty one.
        await mkdir(path.join(srcDir, 'doc'));
        await writeFile(path.join(srcDir, 'doc', 'Makefile.in'), EMPTY_DOC_MAKEFILE);
      }
      const dependencies = library === 'gmp' ? [] : [`--with-gmp=${forwardSlashes(prefix)}`, ...(library === 'mpc' ? [`--with-mpfr=${forwardSlashes(prefix)}`] : [])];
      const configureEnv = {
        ...options.env,
        // GMP 6.3.0's configure probes fail under C23 (the default of GCC 15);
        // pinning the dialect is the known fix.
        CC: library === 'gmp' && compareVersions(source.version, '6.3.0') <= 0 ? `${cc} -std=gnu17` : cc,
      };
      await reporter.group(`Building ${library} ${source.version} for ${options.host}`, async () => {
        await runner.run(
          'sh',
          ['./configure', `--prefix=${forwardSlashes(prefix)}`, `--host=${options.host}`, ...(options.build ? [`--build=${options.build}`] : []), ...options.configureFlags, ...dependencies],
          { cwd: srcDir, env: configureEnv, purpose: `configuring ${library}` },
        );
        await runner.run('make', [`-j${jobs}`], { cwd: srcDir, env: options.env, purpose: `building ${library}` });
        await runner.run('make', ['install'], { cwd: srcDir, env: options.env, purpose: `installing ${library}` });
      });
      // Every copy of the library must come with its licence's text (LGPL-3.0 §4, GPL-2.0 §1).
      await mkdir(licenceDir(prefix, library), { recursive: true });
      for (const text of textsIn(srcDir, LIBRARIES.get(library)!.texts)) await copyFile(text.path, path.join(licenceDir(prefix, library), text.name));
    }
  });
  if (discarded) reporter.warning(discardedWarning(discarded));
  const licences = Object.fromEntries(libraries.map((library) => [library, { version: sources[library]!.version, texts: textsIn(licenceDir(dir, library), LIBRARIES.get(library)!.texts) }]));
  return { prefix: dir, cacheHit: hit, licences };
}
