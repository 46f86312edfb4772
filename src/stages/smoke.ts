import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { parseWheelName, wheelFits } from '../core/wheel-name.js';
import path from 'node:path';
import type { CellContext } from '../routes/context.js';
import { pythonCommand, type Interpreter } from '../core/interpreters.js';
import type { ToolEnv } from '../core/tools.js';
import type { SmokeResult, TestResult } from './manifest.js';
import { installerFor } from '../core/installer.js';
import { settingsFor } from '../config/settings.js';
import { fillPlaceholders, userEnvironment } from '../backends/user-build.js';
import { UserError } from '../core/errors.js';
import { posixQuote } from '../core/process/runner.js';
import { venvLayout } from '../core/venv.js';

const OUTPUT_TAIL = 4000;

/** Variables a clean smoke environment keeps: enough to run, nothing from the build. */
const KEPT_VARIABLES = ['PATH', 'PYTHONDONTWRITEBYTECODE', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'SYSTEMDRIVE', 'WINDIR', 'USERPROFILE', 'LANG', 'LC_ALL'];

export function cleanEnv(env: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const kept = Object.fromEntries(KEPT_VARIABLES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!]));
  return { ...kept, ...extra };
}

/**
 * The script a smoke test runs: import the module, prove it came from the
 * installed wheel rather than a source tree, then the config's statements.
 */
export function smokeScript(importName: string, statements: readonly string[]): string {
  return [
    'import importlib, os, sys',
    `_module = importlib.import_module(${JSON.stringify(importName)})`,
    '_file = os.path.realpath(getattr(_module, "__file__", None) or "")',
    'assert _file.startswith(os.path.realpath(sys.prefix)), f"imported from {_file}, not from the installed wheel"',
    `import ${importName}`,
    ...statements,
    `print("smoke ok:", ${JSON.stringify(importName)}, "from", _file)`,
  ].join('\n');
}

export interface WheelSmokeInputs {
  readonly context: CellContext;
  /** The tool environment: its uv or pip installs into the smoke environment. */
  readonly tools: ToolEnv;
  readonly interpreter: Interpreter;
  /** The directory holding the repaired wheels, the only place the wheel may come from. */
  readonly wheelDir: string;
  readonly distribution: string;
  readonly importName: string;
}

/** The wheel's own requirements, as installed (markers left for the installer; extras' requirements left out). */
const REQUIREMENTS_SCRIPT = (distribution: string) =>
  `import importlib.metadata as m, json; print(json.dumps([r for r in (m.requires(${JSON.stringify(distribution)}) or []) if "extra ==" not in r.replace("extra==", "extra ==")]))`;

/**
 * Installs the wheel into a fresh virtual environment from the cell's output
 * alone (no index, no dependencies), then its dependencies and test.requires
 * from the package index the user's environment names, imports it from an
 * empty directory with a clean environment, and runs test.command there. The
 * environment has no pip of its own: uv, or the tool environment's pip run by
 * the interpreter, installs into it (installerFor chooses). A foreign
 * interpreter runs every step under its emulator.
 */
export async function smokeWheel({ context, tools, interpreter, wheelDir, distribution, importName }: WheelSmokeInputs): Promise<SmokeResult> {
  const started = performance.now();
  const { runner, config } = context;
  const env = cleanEnv(context.env);
  const installer = installerFor(interpreter, tools);
  const test = settingsFor(config, context.platform.id).test;
  const base = await mkdtemp(path.join(context.workDir, `smoke-${interpreter.version}-`));
  const venv = path.join(base, 'venv');
  const emptyDir = path.join(base, 'cwd');
  // Made by the cell's interpreter: a Windows CPython's layout, under wine too.
  const python = venvLayout(venv, context.route.targetVenv).python;
  await mkdir(emptyDir);
  const output: string[] = [];
  const failed = (purpose: string): SmokeResult => ({
    python: interpreter.version,
    interpreter: interpreter.fullVersion,
    passed: false,
    seconds: (performance.now() - started) / 1000,
    output: `${purpose} failed:\n${output.join('').slice(-OUTPUT_TAIL)}`,
  });
  const step = async ([file, args]: readonly [string, readonly string[]], purpose: string, stepEnv = env, quiet = false) => {
    const result = await runner.run(file, args, { cwd: emptyDir, env: stepEnv, cleanEnv: true, allowFailure: true, quiet, purpose });
    output.push(result.all);
    return result;
  };

  if ((await step(installer.createVenv(venv), 'creating the smoke environment')).exitCode !== 0) return failed('creating the smoke environment');
  const onlyTheWheel = ['--no-index', '--no-deps', '--find-links', wheelDir, '--only-binary', ':all:', distribution];
  if ((await step(installer.install(python, onlyTheWheel), 'installing the wheel')).exitCode !== 0) return failed('installing the wheel');
  const listed = await step(pythonCommand(interpreter, python, ['-I', '-c', REQUIREMENTS_SCRIPT(distribution)]), "reading the wheel's requirements", env, true);
  if (listed.exitCode !== 0) return failed("reading the wheel's requirements");
  const requirements = [...(JSON.parse(listed.stdout.trim().split('\n').pop() || '[]') as string[]), ...(test?.requires ?? [])];
  if (requirements.length > 0) {
    const installed = await step(installer.install(python, requirements), 'installing its requirements from the package index', { ...env, ...installer.indexEnv(context.env) });
    if (installed.exitCode !== 0) return failed('installing its requirements from the package index');
  }
  if ((await step(pythonCommand(interpreter, python, ['-I', '-c', smokeScript(importName, config.project.smoke)]), 'importing it')).exitCode !== 0) return failed('importing it');
  const smokeSeconds = (performance.now() - started) / 1000;
  const result: SmokeResult = { python: interpreter.version, interpreter: interpreter.fullVersion, passed: true, seconds: smokeSeconds };
  if (!test?.command) return result;
  const wheel = await wheelFor(wheelDir, distribution, interpreter);
  return { ...result, test: await runTests({ context, interpreter, wheel, venv, python, dir: emptyDir, command: test.command, sources: test.sources }) };
}

/** The wheel of `wheelDir` that the installer picked for the interpreter, for test.command's {wheel}. */
async function wheelFor(wheelDir: string, distribution: string, interpreter: Interpreter): Promise<string> {
  const [major, minor] = interpreter.version.replace(/t$/, '').split('.').map(Number);
  const python = { major: major!, minor: minor!, freeThreaded: interpreter.freeThreaded };
  const name = (await readdir(wheelDir))
    .filter((file) => file.endsWith('.whl'))
    .find((file) => {
      const parsed = parseWheelName(file);
      return parsed.distribution === distribution && wheelFits(parsed, python);
    });
  return name ? path.join(wheelDir, name) : '';
}

interface TestRunInputs {
  readonly context: CellContext;
  readonly interpreter: Interpreter;
  readonly wheel: string;
  readonly venv: string;
  readonly python: string;
  /** The empty directory the command runs in. */
  readonly dir: string;
  readonly command: string;
  readonly sources: readonly string[];
}

/**
 * Copies test.sources into the empty directory and runs test.command there,
 * through the shell, with the environment's python first on PATH and the
 * user's build.environment (never the runner's secrets, which the runner
 * keeps back), so the tests import the installed wheel, not the source tree.
 */
async function runTests({ context, interpreter, wheel, venv, python, dir, command, sources }: TestRunInputs): Promise<TestResult> {
  const started = performance.now();
  const project = context.config.project.dir;
  for (const source of sources) {
    const from = path.join(project, source);
    if (!existsSync(from)) {
      throw new UserError({
        location: context.config.locate(['test', 'sources']),
        key: 'test.sources',
        message: `${source} does not exist in ${project}`,
        fix: 'list files or directories of the project',
      });
    }
    await cp(from, path.join(dir, source), { recursive: true });
  }
  const launcher = interpreter.foreign?.launcher ?? [];
  const line = fillPlaceholders(command, { project, wheel, python: [...launcher, python] }, context.route.host.quote);
  const binDir = path.dirname(python);
  // A foreign interpreter cannot run by itself: `python` and `python3` on PATH run it under its emulator.
  const emulatedBin = launcher.length > 0 ? await emulatedPythonCommands(path.join(path.dirname(venv), 'emulated-bin'), [...launcher, python]) : undefined;
  const userEnv = userEnvironment(context);
  const result = await context.runner.run(line, [], {
    cwd: dir,
    env: { ...userEnv, PATH: [emulatedBin, binDir, context.env.PATH].filter(Boolean).join(path.delimiter), VIRTUAL_ENV: venv, PYTHONPATH: undefined, PYTHONHOME: undefined },
    userShellCommand: true,
    allowFailure: true,
    purpose: 'test.command',
  });
  return {
    passed: result.exitCode === 0,
    seconds: (performance.now() - started) / 1000,
    ...(result.exitCode === 0 ? {} : { output: `exit code ${result.exitCode}:\n${result.all.slice(-OUTPUT_TAIL)}` }),
  };
}

/** `python` and `python3` scripts in `dir` that run `command` (an emulator, its options and the interpreter) with their arguments. */
async function emulatedPythonCommands(dir: string, command: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const quoted = command.map(posixQuote).join(' ');
  for (const name of ['python', 'python3']) {
    await writeFile(path.join(dir, name), `#!/bin/sh\nexec ${quoted} "$@"\n`);
    await chmod(path.join(dir, name), 0o755);
  }
  return dir;
}
