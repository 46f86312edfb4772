import { existsSync } from 'node:fs';
import { cp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import { UserError } from '../core/errors.js';
import type { Interpreter } from '../core/interpreters.js';
import type { CellContext } from '../routes/context.js';

// What a C extension cross-built for Windows compiles against. A CPython
// version's headers are the same on every OS but for pyconfig.h, which
// configure writes for the machine; the Windows CPythons the engine runs
// under wine (python-build-standalone) carry no include/ at all. So the host
// CPython of the same version lends its headers, with pyconfig.h replaced by
// the Windows one below (the values of a 64-bit Windows CPython: LLP64, a
// 16-bit wchar_t, NT threads, the API imported from the Python DLL).

/** pyconfig.h of a 64-bit Windows CPython, for the GNU toolchains that cross-build with these headers. */
export const WINDOWS_PYCONFIG_H = `/* pyconfig.h of 64-bit Windows CPython, for cross-building extensions. */
#ifndef Py_CONFIG_H
#define Py_CONFIG_H

#define MS_WIN32
#define MS_WIN64
#define MS_WINDOWS
#define NT_THREADS
#define WITH_THREAD
#define PLATFORM "win32"

/* Extensions import the API from python3.dll or python3XY.dll. */
#define Py_ENABLE_SHARED 1
#define HAVE_DECLSPEC_DLL
/* Without it, PyDoc_STR gives every docstring as "". */
#define WITH_DOC_STRINGS 1

/* LLP64: long is 32 bits, pointers and size_t 64. */
#define SIZEOF_SHORT 2
#define SIZEOF_INT 4
#define SIZEOF_LONG 4
#define SIZEOF_LONG_LONG 8
#define SIZEOF_FLOAT 4
#define SIZEOF_DOUBLE 8
#define SIZEOF_SIZE_T 8
#define SIZEOF_VOID_P 8
#define SIZEOF_TIME_T 8
#define SIZEOF_OFF_T 4
#define SIZEOF_FPOS_T 8
#define SIZEOF_HKEY 8
#define SIZEOF_PID_T 4
#define SIZEOF__BOOL 1
#define SIZEOF_WCHAR_T 2
#define ALIGNOF_SIZE_T 8
#define ALIGNOF_MAX_ALIGN_T 8

#define HAVE_USABLE_WCHAR_T
#define HAVE_WCHAR_H 1
#define HAVE_STDARG_PROTOTYPES
#define HAVE_STDDEF_H 1
#define HAVE_STDLIB_H 1
#define HAVE_ERRNO_H 1
#define HAVE_FCNTL_H 1
#define HAVE_IO_H 1
#define HAVE_COPYSIGN 1
#define HAVE_ROUND 1
#define HAVE_HYPOT 1
#define HAVE_CLOCK 1
#define HAVE_STRFTIME 1
#define HAVE_PUTENV 1
#define DONT_HAVE_SIG_ALARM
#define DONT_HAVE_SIG_PAUSE

#endif /* Py_CONFIG_H */
`;

/** The include directory of a host interpreter. */
async function hostIncludeDir(context: CellContext, native: Interpreter): Promise<string> {
  const { stdout } = await context.runner.run(native.executable, ['-c', 'import sysconfig; print(sysconfig.get_path("include"))'], {
    quiet: true,
    purpose: `finding the headers of Python ${native.version}`,
  });
  return stdout.trim();
}

/**
 * A cached include directory for Windows CPython `native.version`: the host
 * CPython's headers, pyconfig.h the Windows one. Quoted includes look beside
 * Python.h first, so the host's pyconfig.h must not be there at all.
 */
export async function windowsPythonHeaders(context: CellContext, native: Interpreter): Promise<string> {
  const include = await hostIncludeDir(context, native);
  if (!existsSync(path.join(include, 'Python.h'))) {
    throw new UserError({
      key: `platform ${context.platform.id}`,
      message: `Windows extensions for Python ${native.version} are compiled here against the headers of this machine's Python ${native.version} (${native.executable}), and its include directory (${include || 'none reported'}) has no Python.h`,
      fix: `install Python ${native.version}'s headers (Debian/Ubuntu: apt-get install python${native.version}-dev; pyenv and python.org builds include them), or build this cell on ${context.platform.runner}`,
    });
  }
  const names = (await readdir(include, { recursive: true })).map(String).sort();
  const { dir } = await cachedDirectory(
    path.join(context.cacheDir, 'windows-python-headers', cacheKey({ version: native.fullVersion, include, names, pyconfig: WINDOWS_PYCONFIG_H })),
    async (target) => {
      await cp(include, target, { recursive: true, dereference: true });
      await rm(path.join(target, 'pyconfig.h'), { force: true });
      await writeFile(path.join(target, 'pyconfig.h'), WINDOWS_PYCONFIG_H);
    },
  );
  return dir;
}

/**
 * A directory in which a GNU-style `-lNAME` finds each import library
 * `libNAME.dll.a` of `libDir`: zig's linker looks for libNAME.a, NAME.lib
 * and libNAME.dll, never libNAME.dll.a (MinGW's name for them).
 */
export async function importLibraryLinks(context: CellContext, libDir: string): Promise<string> {
  const libraries = (await readdir(libDir)).filter((name) => name.endsWith('.dll.a')).sort();
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'windows-import-libs', cacheKey({ libDir, libraries })), async (target) => {
    for (const name of libraries) await symlink(path.join(libDir, name), path.join(target, name.replace(/\.dll\.a$/, '.a')));
  });
  return dir;
}
