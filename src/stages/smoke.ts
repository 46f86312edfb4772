import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { CellContext, PlatformModule } from '../platforms/types.js';
import { pythonCommand, type Interpreter } from './interpreters.js';
import type { ToolEnv } from './tools.js';
import type { SmokeResult } from './manifest.js';

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
  readonly platform: PlatformModule;
  /** The tool environment, whose pip installs into the smoke environment. */
  readonly tools: ToolEnv;
  readonly interpreter: Interpreter;
  /** The directory holding the repaired wheels, the only index pip may use. */
  readonly wheelDir: string;
  readonly distribution: string;
  readonly importName: string;
}

/**
 * Installs the wheel into a fresh virtual environment from `wheelDir` alone
 * (no index), and imports it from an empty directory with a clean environment.
 * The environment has no pip of its own (the interpreter runs the tool
 * environment's pip): nothing in it but the interpreter and the wheel, and no
 * seconds spent bootstrapping pip for every Python. A foreign interpreter
 * runs every step under its emulator.
 */
export async function smokeWheel({ context, platform, tools, interpreter, wheelDir, distribution, importName }: WheelSmokeInputs): Promise<SmokeResult> {
  const started = performance.now();
  const { runner, config } = context;
  const env = cleanEnv(context.env);
  const base = await mkdtemp(path.join(context.workDir, `smoke-${interpreter.version}-`));
  const venv = path.join(base, 'venv');
  const emptyDir = path.join(base, 'cwd');
  const python = platform.venvPython(venv);
  const steps: [[string, string[]], string][] = [
    [pythonCommand(interpreter, interpreter.executable, ['-m', 'venv', '--without-pip', venv]), 'creating the smoke environment'],
    [
      pythonCommand(interpreter, python, [tools.pipRunner, 'install', '--no-index', '--find-links', wheelDir, '--only-binary', ':all:', '--disable-pip-version-check', '--no-input', distribution]),
      'installing the wheel',
    ],
    [pythonCommand(interpreter, python, ['-I', '-c', smokeScript(importName, config.project.smoke)]), 'importing it'],
  ];
  await mkdir(emptyDir);
  const output: string[] = [];
  for (const [[file, args], purpose] of steps) {
    const result = await runner.run(file, args, { cwd: emptyDir, env, cleanEnv: true, allowFailure: true, purpose });
    output.push(result.all);
    if (result.exitCode !== 0) {
      return {
        python: interpreter.version,
        interpreter: interpreter.fullVersion,
        passed: false,
        seconds: (performance.now() - started) / 1000,
        output: `${purpose} failed:\n${output.join('').slice(-OUTPUT_TAIL)}`,
      };
    }
  }
  return { python: interpreter.version, interpreter: interpreter.fullVersion, passed: true, seconds: (performance.now() - started) / 1000 };
}
