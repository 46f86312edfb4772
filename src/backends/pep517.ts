import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Interpreter } from '../core/interpreters.js';
import { BACKEND_ROUTES } from '../routes/backend-routes.js';
import type { CellContext } from '../routes/context.js';
import { cPathMapFlags, cPathMaps } from './build-paths.js';
import { buildEnv } from './cargo-env.js';
import { wheelOutput } from './wheel-output.js';
import { cargo } from './cargo.js';
import type { Backend, WheelBuildInputs } from './types.js';
import { buildSettings, runBeforeBuild, withUserEnvironment } from './user-build.js';

// setuptools and any other PEP 517 backend (scikit-build-core, meson-python,
// …), driven through the pinned pip: the project's own build decides what is
// compiled, against each target interpreter's headers and sysconfig.

/**
 * The environment of a PEP 517 wheel build for one interpreter: `env` (ours
 * with the user's build.environment on top) with the paths of this machine
 * kept out of what it compiles.
 */
export function pep517StepEnv(context: CellContext, env: Readonly<Record<string, string | undefined>>, interpreter: Interpreter): Record<string, string | undefined> {
  // cl.exe has no documented equivalent of -ffile-prefix-map (/d1trimfile: is
  // undocumented, and /pathmap: is C#'s): an MSVC build keeps its paths.
  if (context.route.msvc) return { ...env };
  const maps = cPathMaps({ projectDir: context.config.project.dir, cacheDir: context.cacheDir, interpreter });
  return { ...env, ...cPathMapFlags({ CPPFLAGS: context.env.CPPFLAGS, ...env }, maps) };
}

/**
 * Variables in GCC's language (`-I`, `-L`, `-ffile-prefix-map=`), which GMP's
 * provision gives a MinGW or Unix compiler. meson and CMake hand CPPFLAGS,
 * CFLAGS and LDFLAGS to cl.exe and link.exe, which warn (D9002, LNK4044) or,
 * under /WX, fail: an MSVC build finds GMP through INCLUDE and LIB instead.
 */
const GCC_VARIABLES = ['CPPFLAGS', 'CFLAGS', 'CXXFLAGS', 'LDFLAGS', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'LIBRARY_PATH'];

/** Our variables for the cell's compiler: without GCC's when MSVC compiles. */
export function compilerVariables(context: Pick<CellContext, 'route'>, ours: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(ours).filter(([name]) => !context.route.msvc || !GCC_VARIABLES.includes(name)));
}

/** Each interpreter builds the wheel for itself (a foreign one through the platform's cross-building stand-in); an abi3 wheel is built once. */
async function buildWheels(inputs: WheelBuildInputs): Promise<string[]> {
  const { context, module, tools, interpreters, abi3, gmp } = inputs;
  const outDir = await mkdtemp(path.join(context.workDir, 'wheels-'));
  // The user's build.environment on top of ours (with what the target's
  // compiler needs to find GMP), for every step of the build.
  const compilerEnv = (await module.pep517Env?.(context, gmp)) ?? {};
  const env = withUserEnvironment(context, compilerVariables(context, { ...buildEnv(context, gmp), ...compilerEnv }));
  const output = wheelOutput(outDir, 'PEP 517', { onWheel: inputs.onWheel });
  for (const interpreter of abi3 ? interpreters.slice(0, 1) : interpreters) {
    const builder = await module.wheelBuilder(context, interpreter, { abi3, gmp });
    await runBeforeBuild(context, { ...env, ...builder.env }, interpreter);
    // setuptools builds in the project's build/ and reuses what it finds
    // there: objects of another compiler or glibc target, or another
    // arch's. Each build gets a scratch build directory instead.
    const setuptoolsConfig = path.join(await mkdtemp(path.join(context.workDir, 'setuptools-')), 'setup.cfg');
    // setuptools reads it with ConfigParser's interpolation: a % in the path (TMPDIR) is written %%.
    await writeFile(setuptoolsConfig, `[build]\nbuild_base = ${path.join(path.dirname(setuptoolsConfig), 'build').replace(/%/g, '%%')}\n`);
    await context.runner.run(
      builder.python,
      [tools.pipRunner, 'wheel', '--no-deps', '--disable-pip-version-check', '--wheel-dir', outDir, ...buildSettings(context).args, context.config.project.dir],
      {
        cwd: context.config.project.dir,
        env: { ...pep517StepEnv(context, { ...env, ...builder.env }, interpreter), DIST_EXTRA_CONFIG: setuptoolsConfig },
        purpose: `building the wheel for Python ${interpreter.version}`,
      },
    );
    await output.collect();
  }
  return output.all();
}

async function buildSdist(context: CellContext, tools: { python: string }, scratch: string): Promise<void> {
  await context.runner.run(tools.python, ['-m', 'build', '--sdist', '--outdir', scratch, context.config.project.dir], { cwd: context.config.project.dir, purpose: 'python -m build --sdist' });
}

export const pep517: Backend = {
  name: 'setuptools',
  routes: BACKEND_ROUTES.setuptools,
  wheelTools: [],
  sdistTools: ['build'],
  compilesAgainstInterpreters: true,
  buildWheels,
  buildSdist,
  // A project of kind both builds its program with cargo.
  buildProgram: cargo.buildProgram,
};
