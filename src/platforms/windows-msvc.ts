import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GmpLibrary } from '../config/types.js';
import type { Host } from '../core/host.js';
import { UserError } from '../core/errors.js';
import type { CellContext } from '../routes/context.js';
import { parsePeExportNames } from './pe-files.js';
import { moduleDefinition } from './python-import-libs.js';
import type { GmpProvision } from './types.js';

// C extensions on a Windows runner: Windows CPython builds them with MSVC
// (setuptools, meson-python and the like pick it), and GMP for Windows is
// MinGW's (MSYS2's DLLs: GMP cannot be built with MSVC). MSVC links a DLL
// through an import library in its own format, made here from the DLL's
// export table with llvm-dlltool, as gmpy2 and python-flint do with lib.exe.
// The extension then imports libgmp-10.dll like any DLL, and delvewheel
// bundles it with MinGW's runtime DLLs. The DLLs are UCRT64's (CLANGARM64's
// on arm64), which link the UCRT as CPython and MSVC's code do.
//
// The module definition names every export without DATA: objdump -p does not
// say which are data (gmp_version, __gmp_bits_per_limb). That is safe because
// a DLL build's gmp.h defines __GMP_LIBGMP_DLL as 1, so every declaration of
// the family (mpfr.h and mpc.h follow gmp.h's) is __declspec(dllimport) and
// MSVC reads data through the __imp_ pointer, never the code thunk that
// llvm-dlltool also makes; a gmp.h without it is refused.

/** llvm-dlltool's machine for an arch. */
const DLLTOOL_MACHINE: Readonly<Record<Host['arch'], string>> = { x86_64: 'i386:x86-64', aarch64: 'arm64' };

/**
 * The headers of each library, and only those: MSYS2's include directory
 * also holds MinGW's C library headers, which must never shadow MSVC's.
 * gmpxx.h is left out: libgmpxx is C++ built against libstdc++, which MSVC
 * code cannot link.
 */
const HEADERS: Readonly<Record<GmpLibrary, readonly string[]>> = { gmp: ['gmp.h'], mpfr: ['mpfr.h', 'mpf2mpfr.h'], mpc: ['mpc.h'] };

/** The DLL of a library among `names`: `libgmp-10.dll` for gmp (not `libgmpxx-4.dll`). */
export function libraryDll(names: readonly string[], library: GmpLibrary): string | undefined {
  const pattern = new RegExp(`^lib${library}-\\d+\\.dll$`, 'i');
  return names.find((name) => pattern.test(name));
}

/** Whether a gmp.h is a DLL build's, whose declarations are dllimport. */
export const declaresDllImport = (gmpH: string): boolean => /^#define\s+__GMP_LIBGMP_DLL\s+1\b/m.test(gmpH);

/**
 * The import library's name, as MSVC's linker looks it up: `libraries=['gmp']`
 * (setuptools) or `-lgmp` becomes `gmp.lib`, which is what gmpy2 and
 * python-flint name theirs.
 */
export const msvcLibraryName = (library: GmpLibrary): string => `${library}.lib`;

/** llvm-dlltool's arguments: an MSVC-format import library of `dll` from its module definition. */
export function llvmDlltoolArgs(arch: Host['arch'], def: string, dll: string, lib: string): string[] {
  return ['-m', DLLTOOL_MACHINE[arch], '-d', def, '-D', dll, '-l', lib];
}

/**
 * The variables that point MSVC at the headers and import libraries: cl.exe
 * reads INCLUDE, link.exe reads LIB. setuptools' MSVC compiler keeps them
 * (vcvarsall appends what was set before to its own), and meson and CMake
 * pass them to cl and link untouched, so every PEP 517 backend honours them.
 */
export function msvcEnv(include: string, lib: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const list = (dir: string, before: string | undefined) => [dir, before].filter(Boolean).join(';');
  return { INCLUDE: list(include, env.INCLUDE), LIB: list(lib, env.LIB) };
}

/** What MSYS2 lends an MSVC build. */
export interface Msys2Tools {
  /** The MinGW environment's objdump, which reads the DLLs' export tables. */
  readonly objdump: string;
  /** The MinGW environment's bin directory, where llvm-dlltool is. */
  readonly bin: string;
  /** Its package prefix (`mingw-w64-x86_64`). */
  readonly packagePrefix: string;
  /** Installs MSYS2 packages. */
  install(packages: readonly string[]): Promise<void>;
}

/**
 * The variables of a PEP 517 build with MSVC: the GMP family's headers and
 * MSVC import libraries in the cell's scratch space (`msvc-gmp\include`,
 * `msvc-gmp\lib`), made from the DLLs of `gmp.libDirs` and the headers beside
 * them (`<prefix>\include`), and the runner's own PATH without MSYS2's:
 * meson-python would take MinGW's gcc for the compiler, and MSYS2's link.exe
 * is coreutils'.
 */
export async function msvcGmp(context: CellContext, gmp: Pick<GmpProvision, 'libDirs' | 'source'>, msys2: Msys2Tools): Promise<Record<string, string>> {
  const { config, platform, runner } = context;
  // llvm-dlltool makes the import libraries MSVC's lib.exe would (short import format).
  await msys2.install([`${msys2.packagePrefix}-llvm-tools`]);
  const dlltool = path.win32.join(msys2.bin, 'llvm-dlltool.exe');
  const root = path.join(context.workDir, 'msvc-gmp');
  const include = path.join(root, 'include');
  const lib = path.join(root, 'lib');
  await mkdir(include, { recursive: true });
  await mkdir(lib, { recursive: true });
  for (const library of config.gmp.libraries) {
    const found = gmp.libDirs.flatMap((dir) => {
      const dll = libraryDll(existsSync(dir) ? readdirSync(dir) : [], library);
      return dll ? [{ dir, dll }] : [];
    })[0];
    const fix =
      gmp.source === 'system'
        ? `check that MSYS2's ${msys2.packagePrefix}-${library} package is installed`
        : `read the cell's log for ${library}'s build from source (make install puts a MinGW DLL in <prefix>\\bin), or set gmp.source: system`;
    if (!found) throw new UserError({ key: 'gmp.libraries', message: `${library}'s DLL (lib${library}-N.dll) is not in ${gmp.libDirs.join(', ')}`, fix });
    const headers = path.join(path.dirname(found.dir), 'include');
    for (const header of HEADERS[library]) {
      const source = path.join(headers, header);
      if (existsSync(source)) await copyFile(source, path.join(include, header));
      else if (header === `${library}.h`) throw new UserError({ key: 'gmp.libraries', message: `${library}'s header ${header} is not in ${headers}`, fix });
    }
    if (library === 'gmp' && !declaresDllImport(await readFile(path.join(include, 'gmp.h'), 'utf8'))) {
      throw new UserError({
        key: 'gmp.libraries',
        message: `${path.join(headers, 'gmp.h')} is not a DLL build's (no #define __GMP_LIBGMP_DLL 1): MSVC code would read GMP's data exports through code thunks`,
        fix,
      });
    }
    const dllPath = path.join(found.dir, found.dll);
    const { stdout } = await runner.run(msys2.objdump, ['-p', dllPath], { quiet: true, purpose: `reading the exports of ${found.dll}` });
    const names = parsePeExportNames(stdout);
    if (names.length === 0)
      throw new UserError({
        key: 'gmp.libraries',
        message: `${dllPath} exports nothing that ${path.win32.basename(msys2.objdump)} -p shows`,
        fix: `it is no DLL of the GMP family for this arch: ${fix}`,
      });
    const def = path.join(lib, `${library}.def`);
    await writeFile(def, moduleDefinition(found.dll, names));
    const name = msvcLibraryName(library);
    await runner.run(dlltool, llvmDlltoolArgs(platform.arch, def, found.dll, path.join(lib, name)), { purpose: `making ${name} for ${found.dll}` });
  }
  return { ...msvcEnv(include, lib, context.env), PATH: context.env.PATH ?? context.env.Path ?? '' };
}
