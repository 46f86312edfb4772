import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { discardedWarning } from '../core/cache.js';
import { UserError } from '../core/errors.js';
import { findInterpreters, type Interpreter } from '../core/interpreters.js';
import { ensureToolEnv } from '../core/tools.js';
import type { CellContext } from '../routes/context.js';
import { importLibrariesFor, pythonImportLibraries } from './python-import-libs.js';
import type { WheelBuilder, WheelBuildFor } from './types.js';
import { importLibraryLinks, windowsPythonHeaders } from './windows-headers.js';
import { zigPath } from './zig.js';

// Building a PEP 517 project's Windows wheel on Linux: the project's own
// backend (setuptools, …), run by this machine's CPython of the same version,
// compiles and links with `zig cc -target x86_64-windows-gnu`. zig links the
// UCRT, as Windows CPython itself does (Debian's mingw-w64 gcc links
// msvcrt.dll), and lld takes the import libraries made from the DLLs'
// exports. The interpreter reports the target the way CPython's own cross
// builds do, which setuptools and packaging honour:
// - _PYTHON_HOST_PLATFORM=win-amd64: the platform tag (win_amd64);
// - _PYTHON_SYSCONFIGDATA_NAME: a sysconfig of the target, with its
//   EXT_SUFFIX (.cp311-win_amd64.pyd), SOABI (the abi tag), compilers and
//   include directory (the version's headers with Windows' pyconfig.h);
// - importlib.machinery.EXTENSION_SUFFIXES, where setuptools finds the
//   suffix of abi3 modules (.pyd on Windows).
// The Python DLL is linked through LDSHARED: python3.dll for an abi3 build,
// python3XY.dll otherwise. crossenv, which does this for Linux targets,
// knows no Windows target.

/**
 * A .pth file's import runs at the start of every process of the
 * environment; the target is set only in the build backend's (which pip
 * runs through pyproject_hooks' _in_process.py), so pip itself stays a Linux
 * program that installs the build requirements for Linux.
 */
export const hookModule = (target: { hostPlatform: string; sysconfigdata: string; dir: string; extSuffix: string }) => `# native-matrix: this environment's build backend builds Windows extensions.
import os
import sys

if sys.argv and os.path.basename(sys.argv[0]) == "_in_process.py":
    import importlib.machinery

    os.environ["_PYTHON_HOST_PLATFORM"] = ${JSON.stringify(target.hostPlatform)}
    os.environ["_PYTHON_SYSCONFIGDATA_NAME"] = ${JSON.stringify(target.sysconfigdata)}
    sys.path.append(${JSON.stringify(target.dir)})
    importlib.machinery.EXTENSION_SUFFIXES[:] = [${JSON.stringify(target.extSuffix)}, ".pyd"]
`;

/** Writes the target's sysconfig data: the host interpreter's own, with what differs on Windows over it. */
const SYSCONFIGDATA_SCRIPT = `import json, pprint, sys, sysconfig
target, overrides = sys.argv[1], json.loads(sys.argv[2])
try:
    variables = dict(__import__(sysconfig._get_sysconfigdata_name()).build_time_vars)
except (AttributeError, ImportError):
    variables = dict(sysconfig.get_config_vars())
variables.update(overrides)
with open(target, "w") as f:
    f.write("# The build configuration of Windows CPython, for cross-building extensions.\\nbuild_time_vars = " + pprint.pformat(variables) + "\\n")
`;

const SYSCONFIGDATA = '_sysconfigdata_native_matrix_windows';

/** The host CPython of the interpreter's version, which runs the build backend: its twin when it has one, else found on this machine. */
async function hostInterpreter(context: CellContext, interpreter: Interpreter): Promise<Interpreter> {
  if (interpreter.foreign?.native) return interpreter.foreign.native;
  const [native] = await findInterpreters([interpreter.version], { runner: context.runner, env: context.env, host: context.route.host });
  return native!;
}

/**
 * zig builds MinGW's C runtime for the target once per installation (minutes
 * on a small machine), keyed by where it is installed: every build of one
 * run (all its cells and versions) uses the same one, from an environment
 * of its own that only the first build's host interpreter chooses.
 */
const zigOfRun = new Map<string, Promise<string>>();

function zigFor(context: CellContext, host: Interpreter): Promise<string> {
  let zig = zigOfRun.get(context.cacheDir);
  if (!zig) {
    zig = (async () => {
      const made = await ensureToolEnv({ runner: context.runner, host, tools: ['ziglang'], cacheDir: context.cacheDir, machine: context.route.host });
      if (made.discarded) context.reporter.warning(discardedWarning(made.discarded));
      return zigPath(context, made);
    })();
    zig.catch(() => zigOfRun.delete(context.cacheDir));
    zigOfRun.set(context.cacheDir, zig);
  }
  return zig;
}

/** The builder of one interpreter's Windows wheel on Linux: `abi3` links python3.dll, otherwise python3XY.dll. */
export async function windowsCrossWheelBuilder(context: CellContext, interpreter: Interpreter, { abi3, gmp }: WheelBuildFor): Promise<WheelBuilder> {
  const { platform } = context;
  // A free-threaded CPython's extensions need its own pyconfig.h (Py_GIL_DISABLED), and no Windows one runs here to prove them.
  if (interpreter.freeThreaded) {
    throw new UserError({
      key: `platform ${platform.id}`,
      message: `C extensions for free-threaded Python ${interpreter.version} are not cross-built on Linux`,
      fix: `build this cell on ${platform.runner} (windows.build-on: windows), or leave ${interpreter.version} out for ${platform.id} (matrix.exclude)`,
    });
  }
  const triple = `${platform.arch}-w64-mingw32`;
  const native = await hostInterpreter(context, interpreter);
  const zig = await zigFor(context, native);
  const headers = await windowsPythonHeaders(context, native);
  const made = await pythonImportLibraries(context, `${triple}-dlltool`, `${triple}-objdump`, [interpreter.version], abi3);
  const pythonLibrary = path.join(made.dir, importLibrariesFor(interpreter.version, abi3).libraries[0]!);
  const linkDirs = [];
  for (const dir of (gmp?.env.LIBRARY_PATH ?? '').split(path.delimiter).filter(Boolean)) linkDirs.push(await importLibraryLinks(context, dir));

  const zigTarget = `${platform.arch}-windows-gnu`;
  const cc = `${zig} cc -target ${zigTarget} -fno-sanitize=undefined`;
  const cxx = `${zig} c++ -target ${zigTarget} -fno-sanitize=undefined`;
  // -s: no debug sections in the .pyd (as MSVC keeps them apart, in a .pdb).
  const link = ['-s', pythonLibrary, ...linkDirs.map((dir) => `-L${dir}`)].join(' ');
  const compilers = { CC: cc, CXX: cxx, LDSHARED: `${cc} -shared ${link}`, LDCXXSHARED: `${cxx} -shared ${link}`, AR: `${zig} ar` };
  const nodot = interpreter.version.replace('.', '');
  const platformTag = platform['wheel-tag'];
  const extSuffix = `.cp${nodot}-${platformTag}.pyd`;

  const dir = path.join(context.workDir, `windows-build-${interpreter.version}${abi3 ? '-abi3' : ''}`);
  const python = path.join(dir, 'venv', 'bin', 'python');
  const env = compilers;
  if (existsSync(python)) return { python, env };
  await mkdir(dir, { recursive: true });
  const overrides = {
    ...compilers,
    BLDSHARED: compilers.LDSHARED,
    ARFLAGS: 'rcs',
    CFLAGS: '-O2 -DNDEBUG',
    OPT: '-DNDEBUG',
    CCSHARED: '',
    LDFLAGS: '',
    CPPFLAGS: '',
    EXT_SUFFIX: extSuffix,
    SOABI: `cp${nodot}-${platformTag}`,
    SHLIB_SUFFIX: '.pyd',
    INCLUDEPY: headers,
    CONFINCLUDEPY: headers,
    // Linking the Python DLL is LDSHARED's: setuptools must not add -lpython3.X.
    Py_ENABLE_SHARED: 0,
    LIBPYTHON: '',
    MACHDEP: 'win32',
    HOST_GNU_TYPE: triple,
    MULTIARCH: '',
  };
  await context.runner.run(native.executable, ['-c', SYSCONFIGDATA_SCRIPT, path.join(dir, `${SYSCONFIGDATA}.py`), JSON.stringify(overrides)], {
    quiet: true,
    purpose: `writing the Windows build configuration of Python ${interpreter.version}`,
  });
  await context.runner.run(native.executable, ['-m', 'venv', '--without-pip', path.join(dir, 'venv')], { purpose: `creating the Windows build environment of Python ${interpreter.version}` });
  const { stdout } = await context.runner.run(python, ['-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'], { quiet: true, purpose: 'finding site-packages' });
  const site = stdout.trim();
  // The hook goes into the build environment's own site-packages, nowhere else.
  if (!path.isAbsolute(site) || path.relative(dir, site).startsWith('..')) {
    throw new Error(`the Windows build environment's site-packages (${JSON.stringify(site)}) is not inside ${dir}`);
  }
  await writeFile(path.join(site, '_native_matrix_windows_target.py'), hookModule({ hostPlatform: platformTag.replace('_', '-'), sysconfigdata: SYSCONFIGDATA, dir, extSuffix }));
  await writeFile(path.join(site, 'native-matrix-windows-target.pth'), 'import _native_matrix_windows_target\n');
  context.reporter.info(
    `Python ${interpreter.version} for ${platform.id}: built by ${native.executable} with zig (${zigTarget}), against its headers with Windows' pyconfig.h, linking ${made.from.join(', ')}`,
  );
  return { python, env };
}
