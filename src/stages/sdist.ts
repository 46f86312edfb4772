import { mkdtemp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import type { CellContext } from '../routes/context.js';
import { repackSdist } from '../core/archive.js';
import { buildEnv } from '../backends/cargo-env.js';
import type { Backend } from '../backends/types.js';
import { withUserEnvironment } from '../backends/user-build.js';
import { parseDistributionName, SDIST_SUFFIX } from '../core/dist-name.js';
import type { Interpreter } from '../core/interpreters.js';
import type { ToolEnv, ToolName } from '../core/tools.js';

/** The tools the sdist cell needs beyond the platform's repair tools. */
export const sdistTools = (backend: Backend): ToolName[] => [...(backend.sdistTools ?? []), 'twine'];

/**
 * Builds the source distribution with the project's own backend: `maturin
 * sdist` (which takes in the workspace crates the package needs), or the
 * PEP 517 `build_sdist` of any other backend through `python -m build`.
 * Returns `outDir/NAME-VERSION.tar.gz`, re-packed to be the same bytes for
 * every build of one commit.
 */
export async function buildSdist(context: CellContext, backend: Backend, tools: ToolEnv, outDir: string): Promise<string> {
  const scratch = await mkdtemp(path.join(context.workDir, 'sdist-'));
  if (!backend.buildSdist) {
    throw new UserError({
      key: 'publish.sdist',
      message: `a ${backend.name} project has no Python source distribution`,
      fix: 'set publish.sdist: false, or build the Python package with maturin or a PEP 517 backend',
    });
  }
  await backend.buildSdist(context, tools, scratch);
  const built = (await readdir(scratch)).filter((name) => name.endsWith(SDIST_SUFFIX));
  if (built.length !== 1) throw new Error(`the ${backend.name} sdist build left ${built.length} ${SDIST_SUFFIX} files: ${built.join(', ')}`);
  const name = built[0]!;
  if (!parseDistributionName(name)) {
    throw new UserError({ key: 'publish.sdist', message: `${name} is not named NAME-VERSION${SDIST_SUFFIX}`, fix: 'use a backend that names sdists as PEP 625 asks (maturin ≥ 1, setuptools ≥ 69.3)' });
  }
  const target = path.join(outDir, name);
  await repackSdist(path.join(scratch, name), target, context.sourceDateEpoch, await mkdtemp(path.join(context.workDir, 'sdist-repack-')));
  return target;
}

/**
 * Builds a wheel from the sdist alone, outside the project tree, the way a
 * user's pip does when no wheel fits their machine (GMP provisioned as for
 * the cell), and repairs it into `wheelDir` for the smoke test.
 */
export async function wheelFromSdist(
  inputs: { context: CellContext; module: PlatformModule; gmp: GmpProvision; tools: ToolEnv; interpreter: Interpreter },
  sdist: string,
  wheelDir: string,
): Promise<string> {
  const { context, module, gmp, tools, interpreter } = inputs;
  const unrepaired = await mkdtemp(path.join(context.workDir, 'sdist-wheel-'));
  const builder = await module.wheelBuilder(context, interpreter);
  await context.runner.run(builder.python, [tools.pipRunner, 'wheel', '--no-deps', '--disable-pip-version-check', '--no-input', '--wheel-dir', unrepaired, sdist], {
    cwd: unrepaired,
    // The project's build.environment as for its wheels: the sdist is proven with the settings its wheels are built with.
    env: { ...withUserEnvironment(context, buildEnv(context, gmp)), ...builder.env },
    purpose: `building a wheel from ${path.basename(sdist)} for Python ${interpreter.version}`,
  });
  const [wheel, ...more] = (await readdir(unrepaired)).filter((name) => name.endsWith('.whl'));
  if (!wheel || more.length > 0) throw new Error(`building from ${path.basename(sdist)} left ${more.length + (wheel ? 1 : 0)} wheels`);
  return module.repairWheel(context, path.join(unrepaired, wheel), wheelDir, gmp, tools);
}
