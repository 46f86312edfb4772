import { chmod, copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import type { CellContext } from '../routes/context.js';
import { readToml, table } from '../project/files.js';
import type { ManifestFile, SmokeResult } from './manifest.js';
import { describeFile } from '../core/hashing.js';
import { cleanEnv } from './smoke.js';
import { tarDirectory, untarTo, unzipTo, zipDirectory } from '../core/archive.js';
import type { Backend } from '../backends/types.js';
import type { ToolEnv } from '../core/tools.js';
import { carriedLibraries, staticLibraries } from './carried-libraries.js';
import { stageArchiveLicences } from './licence-files.js';

export interface BinaryBuildInputs {
  readonly context: CellContext;
  readonly module: PlatformModule;
  readonly backend: Backend;
  readonly gmp: GmpProvision;
  readonly outDir: string;
  /** The tool environment, when the cell has one (the Mach-O check reads with it). */
  readonly tools?: ToolEnv;
}

/** The program's name and version, from the config, Cargo.toml or pyproject.toml (a C program may have no version). */
function programIdentity(context: CellContext): { name: string; version?: string } {
  const cargo = readToml(path.join(context.config.project.dir, 'Cargo.toml'));
  const pyproject = readToml(path.join(context.config.project.dir, 'pyproject.toml'));
  const pkg = table(cargo?.package);
  const version = [pkg.version, table(pyproject?.project).version].find((v): v is string => typeof v === 'string');
  const binary = context.config.project.binary;
  const name = binary?.name ?? binary?.package ?? (typeof pkg.name === 'string' ? pkg.name : undefined);
  if (!name) {
    throw new UserError({
      location: context.config.locate(['project']),
      key: 'project.binary.name',
      message: 'the program to package is not known',
      fix: 'set project.binary.name to the name of the cargo binary',
    });
  }
  return { name, version };
}

/**
 * Builds the program with cargo for the cell's target, stages it with the
 * shared libraries it needs (found by walking its imports), archives it as
 * `<name>-<version>-<platform>.<tar.gz|zip>`, and smoke-runs the archive's
 * contents in a clean environment from a fresh directory.
 */
export async function buildBinary({ context, module, backend, gmp, outDir, tools }: BinaryBuildInputs): Promise<ManifestFile> {
  const { platform } = context;
  const { name, version: projectVersion } = programIdentity(context);
  if (!backend.buildProgram) throw new Error(`the ${backend.name} backend builds no program`);
  const built = await backend.buildProgram(context, module, gmp, name);
  // A binary of another workspace package carries that package's version.
  const version = built.version ?? projectVersion;

  const stem = [name, version, platform.id].filter(Boolean).join('-');
  const stage = path.join(await mkdtemp(path.join(context.workDir, 'stage-')), stem);
  await mkdir(path.join(stage, 'bin'), { recursive: true });
  const program = path.join(stage, 'bin', module.programFile(name));
  await copyFile(built.program, program);
  await chmod(program, 0o755);
  const bundled = await module.bundleProgram(context, program, stage, gmp);
  // The licences of what the program carries travel in the archive too.
  const carried = carriedLibraries(context, gmp, bundled, await staticLibraries(context, backend, context.config.project.binary?.package), `${stem}.${module.archiveFormat}`);
  const libraries = await stageArchiveLicences(stage, stem, carried, { name, ...(version ? { version } : {}), generator: `native-matrix ${__VERSION__}`, epochSeconds: context.sourceDateEpoch });

  const archive = path.join(outDir, `${stem}.${module.archiveFormat}`);
  const stageParent = path.dirname(stage);
  if (module.archiveFormat === 'zip') await zipDirectory(stageParent, stem, archive, context.sourceDateEpoch);
  else await tarDirectory(stageParent, stem, archive, context.sourceDateEpoch);

  await module.checkProgramArchive?.(context, archive, tools);
  const notRun = module.notRunHere?.(context);
  const smoke = notRun ? undefined : await smokeProgram(context, module, archive, stem, name);
  context.reporter.status(`${path.basename(archive)}: smoke ${smoke ? (smoke.passed ? 'passed' : 'FAILED') : `not run (${notRun})`}`);
  if (!smoke) return { ...(await describeFile(archive)), kind: 'archive', platformTag: platform.id, bundled, libraries, smokePassed: [], smoke: [] };
  return {
    ...(await describeFile(archive)),
    kind: 'archive',
    platformTag: platform.id,
    bundled,
    libraries,
    smokePassed: smoke.passed ? ['binary'] : [],
    smoke: [smoke],
  };
}

/** Smoke-runs a program archive built earlier (`<name>-<version>-<platform>.<format>`), as its build did: the verify job's. */
export function smokeArchive(context: CellContext, module: PlatformModule, archive: string): Promise<SmokeResult> {
  const stem = path.basename(archive).slice(0, -`.${module.archiveFormat}`.length);
  return smokeProgram(context, module, archive, stem, programIdentity(context).name);
}

/** Unpacks the archive into an empty directory and runs the program there with the smoke arguments. */
async function smokeProgram(context: CellContext, module: PlatformModule, archive: string, stem: string, name: string): Promise<SmokeResult> {
  const started = performance.now();
  const dir = await mkdtemp(path.join(context.workDir, 'smoke-binary-'));
  if (module.archiveFormat === 'zip') await unzipTo(archive, dir);
  else await untarTo(archive, dir);
  const args = context.config.project.binary?.smoke ?? ['--version'];
  const command = module.programCommand(context, path.join(dir, stem, 'bin', module.programFile(name)), args);
  const result = await context.runner.run(command.file, [...command.args], {
    cwd: dir,
    env: cleanEnv(context.env, command.env),
    cleanEnv: true,
    allowFailure: true,
    purpose: 'running the program',
  });
  return {
    passed: result.exitCode === 0,
    seconds: (performance.now() - started) / 1000,
    ...(result.exitCode === 0 ? {} : { output: `exit code ${result.exitCode}:\n${result.all.slice(-4000)}` }),
  };
}
