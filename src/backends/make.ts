import { cp, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import { BACKEND_ROUTES } from '../routes/backend-routes.js';
import type { CellContext } from '../routes/context.js';
import type { Backend, BuiltProgram } from './types.js';
import { buildSettings, withUserEnvironment } from './user-build.js';

// make: a C program with a Makefile that honours CC, CPPFLAGS, LDFLAGS and EXEEXT.

/**
 * make for a C program, in a copy of the source tree (so that a cross build
 * never mixes objects with a native one), with the platform's compiler and
 * the GMP family's include and library directories.
 */
async function buildProgram(context: CellContext, module: PlatformModule, gmp: GmpProvision, name: string): Promise<BuiltProgram> {
  const source = path.join(await mkdtemp(path.join(context.workDir, 'make-')), 'src');
  await cp(context.config.project.dir, source, { recursive: true });
  const program = module.programFile(name);
  const variables = [
    `CC=${module.cCompiler(context, gmp)}`,
    ...(gmp.env.CPPFLAGS ? [`CPPFLAGS=${gmp.env.CPPFLAGS}`] : []),
    ...(gmp.env.LDFLAGS ? [`LDFLAGS=${gmp.env.LDFLAGS}`] : []),
    `EXEEXT=${program.slice(name.length)}`,
  ];
  await context.runner.run('make', ['-C', source, ...variables, ...buildSettings(context).args, program], { env: withUserEnvironment(context, gmp.env), purpose: 'make' });
  return { program: path.join(source, program) };
}

export const make: Backend = {
  name: 'make',
  routes: BACKEND_ROUTES.make,
  wheelTools: [],
  compilesAgainstInterpreters: false,
  buildProgram,
};
