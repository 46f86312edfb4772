import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import { BACKEND_ROUTES } from '../routes/backend-routes.js';
import type { CellContext } from '../routes/context.js';
import { addRustTarget, cargoEnv, cargoFeatureArgs, cargoStepEnv } from './cargo-env.js';
import type { Backend, BuiltProgram } from './types.js';
import { buildSettings } from './user-build.js';

// cargo: a Rust program of the project (or of a workspace package), built
// for the cell's target as its user runs cargo.

interface CargoMetadata {
  readonly target_directory: string;
  readonly packages: readonly { readonly name: string; readonly version: string }[];
}

/** cargo build for the cell's target; returns the built program, and its package's version when project.binary.package names one. */
async function buildProgram(context: CellContext, module: PlatformModule, gmp: GmpProvision, name: string): Promise<BuiltProgram> {
  const { config, runner, platform } = context;
  const manifestPath = path.join(config.project.dir, 'Cargo.toml');
  // In the project's directory, as its user runs cargo: its .cargo/config.toml and rust-toolchain.toml apply.
  const cwd = config.project.dir;
  const metadata = await runner.run('cargo', ['metadata', '--format-version', '1', '--no-deps', '--manifest-path', manifestPath], { cwd, quiet: true, purpose: 'cargo metadata' });
  const { target_directory: targetDir, packages } = JSON.parse(metadata.stdout) as CargoMetadata;
  const binaryPackage = config.project.binary?.package;
  const version = binaryPackage === undefined ? undefined : packages.find((p) => p.name === binaryPackage)?.version;
  if (binaryPackage !== undefined && version === undefined) {
    throw new UserError({
      location: config.locate(['project', 'binary', 'package']),
      key: 'project.binary.package',
      message: `the cargo workspace of ${manifestPath} has no package "${binaryPackage}"`,
      fix: `use one of ${packages.map((p) => p.name).join(', ')}`,
    });
  }
  await addRustTarget(context, gmp.env);
  // cargo itself, or a front end such as cargo-zigbuild (`x86_64-unknown-linux-gnu.2.17`), which still writes under the plain target's name.
  const cargo = gmp.cargo ?? { file: 'cargo', subcommand: 'build', target: platform.target };
  await runner.run(
    cargo.file,
    [
      cargo.subcommand,
      '--release',
      '--manifest-path',
      manifestPath,
      '--target',
      cargo.target,
      ...(binaryPackage ? ['--package', binaryPackage] : []),
      '--bin',
      name,
      ...cargoFeatureArgs(config),
      ...buildSettings(context).args,
    ],
    { cwd, env: await cargoStepEnv(context, gmp, cargoEnv(context, gmp)), purpose: `cargo ${cargo.subcommand}` },
  );
  return { program: path.join(targetDir, platform.target, 'release', module.programFile(name)), ...(version ? { version } : {}) };
}

export const cargo: Backend = {
  name: 'cargo',
  routes: BACKEND_ROUTES.cargo,
  wheelTools: [],
  compilesAgainstInterpreters: false,
  graphFeatureArgs: cargoFeatureArgs,
  buildProgram,
};
