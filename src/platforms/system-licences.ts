import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { LIBRARIES, libraryOfFile, textsIn, type LicenceSource } from '../catalog/libraries.js';
import type { CommandRunner } from '../core/process/runner.js';

// Where the licences of libraries that a package manager installed are found:
// Debian's copyright file (the notices, and the licence by name) with the
// full texts it refers to from /usr/share/common-licenses, and MSYS2's
// share/licenses/<package>/.

/** The upstream version in a Debian version: `2:6.2.1+dfsg1-1.1` → `6.2.1`. */
export function debianUpstreamVersion(version: string): string {
  return version
    .replace(/^\d+:/, '')
    .replace(/-[^-]*$/, '')
    .replace(/[+~].*$/, '');
}

/** A Debian package's version and licence texts, or undefined when it is not installed (or there is no dpkg). */
export async function debianPackageLicences(runner: CommandRunner, pkg: string, library: string): Promise<LicenceSource | undefined> {
  const query = await runner.run('dpkg-query', ['-W', '-f=${Version}\\n', pkg], { quiet: true, allowFailure: true, purpose: `the version of ${pkg}` }).catch(() => undefined);
  const version = query?.exitCode === 0 ? query.stdout.split('\n')[0]!.trim() : '';
  if (!version) return undefined;
  const copyright = path.join('/usr/share/doc', pkg, 'copyright');
  return {
    version: debianUpstreamVersion(version),
    texts: [...(existsSync(copyright) ? [{ name: 'copyright', path: copyright }] : []), ...textsIn('/usr/share/common-licenses', LIBRARIES.get(library)?.commonLicenses ?? [])],
  };
}

/** The Debian GMP family's licences, by library, from the catalog's package names. */
export async function debianLicences(runner: CommandRunner, libraries: readonly string[]): Promise<Record<string, LicenceSource>> {
  const found: Record<string, LicenceSource> = {};
  for (const library of libraries) {
    const pkg = LIBRARIES.get(library)?.debian;
    const source = pkg ? await debianPackageLicences(runner, pkg, library) : undefined;
    if (source) found[library] = source;
  }
  return found;
}

/**
 * The licences of whichever of `names` (runtime DLLs, say) are found first
 * in `dirs`, by the Debian package that installed each.
 */
export async function debianFileLicences(runner: CommandRunner, names: readonly string[], dirs: readonly string[]): Promise<Record<string, LicenceSource>> {
  const found: Record<string, LicenceSource> = {};
  for (const name of names) {
    const library = libraryOfFile(name)?.id;
    const file = dirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
    if (!library || !file) continue;
    const owner = await runner.run('dpkg-query', ['-S', realpathSync(file)], { quiet: true, allowFailure: true, purpose: `the package of ${name}` }).catch(() => undefined);
    // `gcc-mingw-w64-x86-64-win32-runtime: /usr/lib/gcc/…/libgcc_s_seh-1.dll`
    const pkg = owner?.exitCode === 0 ? /^([^:,\s]+)/.exec(owner.stdout)?.[1] : undefined;
    const source = pkg ? await debianPackageLicences(runner, pkg, library) : undefined;
    if (source) found[library] = source;
  }
  return found;
}

/**
 * MSYS2's licences of `libraries` (the GMP family, MinGW's runtime) under
 * its environment directory (`C:\msys64\mingw64`): every file of
 * share/licenses/<package>/, and the version pacman has installed.
 */
export async function msys2Licences(
  runner: CommandRunner,
  envDir: string,
  pacman: string,
  packagePrefix: string,
  libraries: readonly string[],
  join = (...parts: string[]) => path.win32.join(...parts),
): Promise<Record<string, LicenceSource>> {
  const found: Record<string, LicenceSource> = {};
  for (const library of libraries) {
    const name = LIBRARIES.get(library)?.msys2;
    if (!name) continue;
    const dir = join(envDir, 'share', 'licenses', name);
    if (!existsSync(dir)) continue;
    const query = await runner.run(pacman, ['-Q', `${packagePrefix}-${name}`], { quiet: true, allowFailure: true, purpose: `the version of ${name}` }).catch(() => undefined);
    // `mingw-w64-x86_64-gmp 6.3.0-2`: the version without the package release.
    const version = query?.exitCode === 0 ? query.stdout.trim().split(/\s+/)[1]?.replace(/-\d+$/, '') : undefined;
    found[library] = {
      ...(version ? { version } : {}),
      texts: readdirSync(dir)
        .sort()
        .map((file) => ({ name: file, path: join(dir, file) })),
    };
  }
  return found;
}
