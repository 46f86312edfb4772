import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import { probe, type Interpreter } from '../core/interpreters.js';
import { UserError } from '../core/errors.js';
import type { CellContext } from '../routes/context.js';
import { compileAndRunEnv } from './compile-and-run.js';
import { embeddedPython, embeddedPythonHint } from './embedded-pythons.js';
import BCRYPTPRIMITIVES_SHIM_C from './bcryptprimitives-shim.c';
import BCRYPTPRIMITIVES_SHIM_DEF from './bcryptprimitives-shim.def';

// Running Windows programs on a Linux host under wine: the smoke tests of
// Windows wheels and binaries cross-built there, and the test programs that
// build scripts compile and run (gmp-mpfr-sys's use-system-libs check).

// wine 8 has no bcryptprimitives.dll, which Rust's standard library (1.78+)
// and Go's runtime import; real Windows has it. See the stand-in's source.

/** Variables of every wine run: its own prefix, no noise, no Mono/Gecko installer prompts, nothing extra on the DLL path. */
export function wineEnv(prefix: string): Record<string, string> {
  return { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEPATH: '' };
}

/** The command prefix that runs a Windows program here in `prefix` with `extra` variables, whatever environment the caller passes. */
export function wineLauncher(prefix: string, extra: Readonly<Record<string, string>> = {}): string[] {
  return ['env', ...Object.entries({ ...wineEnv(prefix), ...extra }).map(([name, value]) => `${name}=${value}`), 'wine'];
}

/**
 * Two functions of Windows that wine 8 lacks and CPython's tools call: venv
 * copies with CopyFile2 (shutil falls back to a plain copy without it), and
 * pip's platform queries reach WMI (_wmi; platform falls back without it).
 * Loaded through PYTHONPATH for making the environment and installing into
 * it; the import itself runs isolated (-I), without it.
 */
const WINE_PYTHON_COMPAT = `import sys
import _winapi

if hasattr(_winapi, "CopyFile2"):
    del _winapi.CopyFile2
sys.modules["_wmi"] = None
`;

/** A Unix path as a Windows program under wine sees it (drive Z: is the root). */
export const windowsPathOf = (unixPath: string) => `Z:${path.resolve(unixPath).replaceAll('/', '\\')}`;

/** Builds the bcryptprimitives.dll stand-in (for wine prefixes only) with MinGW's gcc, cached. */
async function bcryptprimitivesShim(context: CellContext, triple: string): Promise<string> {
  const compiler = `${triple}-gcc`;
  const key = cacheKey({ source: BCRYPTPRIMITIVES_SHIM_C, def: BCRYPTPRIMITIVES_SHIM_DEF, compiler });
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'wine-shim', key), async (dir) => {
    await writeFile(path.join(dir, 'shim.c'), BCRYPTPRIMITIVES_SHIM_C);
    await writeFile(path.join(dir, 'shim.def'), BCRYPTPRIMITIVES_SHIM_DEF);
    await context.runner.run(compiler, ['-O2', '-shared', '-s', '-nostdlib', '-o', 'bcryptprimitives.dll', 'shim.c', 'shim.def', '-ladvapi32', '-lkernel32'], {
      cwd: dir,
      purpose: 'building the bcryptprimitives.dll stand-in for wine',
    });
  });
  return path.join(dir, 'bcryptprimitives.dll');
}

/**
 * A fresh wine prefix for this cell (made once, in its scratch space): only
 * wine's own Windows DLLs and the bcryptprimitives.dll stand-in, so a wheel
 * or program run in it finds nothing else but its own files.
 */
export async function ensureWinePrefix(context: CellContext, triple: string): Promise<string> {
  const prefix = path.join(context.workDir, 'wineprefix');
  const system32 = path.join(prefix, 'drive_c', 'windows', 'system32');
  if (existsSync(path.join(system32, 'bcryptprimitives.dll'))) return prefix;
  const shim = await bcryptprimitivesShim(context, triple);
  await context.runner.run('wine', ['wineboot', '--init'], { env: wineEnv(prefix), quiet: true, purpose: 'creating a wine prefix' });
  // wineboot returns before its server has written everything; wait for it.
  await context.runner.run('wineserver', ['--wait'], { env: wineEnv(prefix), quiet: true, allowFailure: true, purpose: 'waiting for wineserver' });
  await mkdir(system32, { recursive: true });
  await copyFile(shim, path.join(system32, 'bcryptprimitives.dll'));
  return prefix;
}

/**
 * Variables that let a cross build's build scripts compile and run Windows
 * test programs: MinGW's gcc in a compile-and-run wrapper as CC, wine in `prefix`, and `dllDirs` (the
 * GMP family's DLLs) on wine's DLL path for those runs only; `libDir` (their
 * import libraries) is searched when linking.
 */
export async function wineBuildScriptEnv(context: CellContext, triple: string, libDir: string, dllDirs: readonly string[]): Promise<Record<string, string>> {
  const prefix = await ensureWinePrefix(context, triple);
  // wine runs the program by its own name, which must end in .exe.
  const compilers = await compileAndRunEnv(context.cacheDir, { name: `${triple}-gcc-wine`, compiler: `${triple}-gcc`, linkArgs: ['-L', libDir], emulator: ['wine'], suffix: '.pe.exe' }, context.env);
  return { ...wineEnv(prefix), WINEPATH: dllDirs.map(windowsPathOf).join(';'), ...compilers };
}

export async function wineInterpreters(context: CellContext, triple: string, versions: readonly string[]): Promise<Interpreter[]> {
  const { platform } = context;
  const where = (version: string) => embeddedPython(context.env, platform.id, version);
  const runnable = (version: string) => where(version) !== undefined;
  const missing = versions.filter((version) => !runnable(version));
  const reason = 'no Windows CPython of this version to run under wine here';
  if (missing.length > 0) {
    context.reporter.warning({
      key: `platform ${platform.id}`,
      message: `Python ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} built for but not smoke-tested on this machine (${reason})`,
      fix: `${embeddedPythonHint(platform.id)}, or let the workflow import the wheels on a Windows runner (windows.build-on: linux does)`,
    });
  }
  const interpreters: Interpreter[] = [];
  let launcher: string[] | undefined;
  for (const version of versions) {
    const buildAs = `python${version}`;
    if (!runnable(version)) {
      interpreters.push({ version, executable: buildAs, fullVersion: version, freeThreaded: version.endsWith('t'), untested: reason, foreign: { launcher: [], sysroot: '', buildAs } });
      continue;
    }
    if (!launcher) {
      const prefix = await ensureWinePrefix(context, triple);
      const compat = path.join(context.workDir, 'wine-python-compat');
      await mkdir(compat, { recursive: true });
      await writeFile(path.join(compat, 'sitecustomize.py'), WINE_PYTHON_COMPAT);
      launcher = wineLauncher(prefix, { PYTHONPATH: windowsPathOf(compat) });
    }
    const executable = where(version)!;
    const interpreter = await probe(executable, version, context.runner, { launcher, sysroot: path.dirname(executable), buildAs });
    if (!interpreter) {
      throw new UserError({
        key: `platform ${platform.id}`,
        message: `the Windows Python ${version} at ${executable} does not run under wine`,
        fix: `check wine (apt-get install wine wine64) and run \`wine ${executable} -V\``,
      });
    }
    interpreters.push(interpreter);
  }
  return interpreters;
}
