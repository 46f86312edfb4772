import path from 'node:path';
import { settingsFor } from '../config/settings.js';
import type { BuildSettings } from '../config/types.js';
import type { CellContext } from '../routes/context.js';
import type { Interpreter } from '../core/interpreters.js';
import { withoutRunnerSecrets } from '../core/process/runner.js';

// The user's own build settings (config `build`, after `overrides`): their
// variables, their before-build commands and their backend arguments, all
// added to native-matrix's own in this one place.

export function buildSettings(context: CellContext): BuildSettings {
  return settingsFor(context.config, context.platform.id).build;
}

/**
 * `build.environment` with `$NAME` and `${NAME}` expanded from `base` and the
 * variables written before it (as cibuildwheel's environment does, without
 * running commands). The user's values win over native-matrix's.
 */
export function expandEnvironment(variables: Readonly<Record<string, string>>, base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    const lookup = (key: string) => result[key] ?? base[key] ?? '';
    result[name] = value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_match, braced: string | undefined, bare: string | undefined) => lookup((braced ?? bare)!));
  }
  return result;
}

/** Our build variables with the user's on top. */
export function withUserEnvironment(context: CellContext, ours: Readonly<Record<string, string>>): Record<string, string> {
  return { ...ours, ...userEnvironment(context, ours) };
}

/** `build.environment` expanded; `$NAME` never reaches the runner's secrets (they expand to nothing). */
export function userEnvironment(context: CellContext, ours: Readonly<Record<string, string>> = {}): Record<string, string> {
  const base = { ...withoutRunnerSecrets(context.env), ...ours };
  return expandEnvironment(buildSettings(context).environment, base);
}

/**
 * `{project}`, `{python}`… in a user command, each replaced by a path quoted
 * for the shell of the host that runs the command (a list: each word quoted),
 * whatever the platform the cell builds for.
 */
export function fillPlaceholders(command: string, values: Readonly<Record<string, string | readonly string[]>>, quote: (word: string) => string): string {
  return command.replace(/\{(\w+)\}/g, (match, name: string) => {
    if (!(name in values)) return match;
    const value = values[name]!;
    return (typeof value === 'string' ? [value] : value).map(quote).join(' ');
  });
}

/**
 * Runs `build.before-build` in the project directory, before a wheel build,
 * through the shell, with the build's environment and the interpreter being
 * built for first on PATH (so `python` and `pip` are it, as in cibuildwheel).
 */
export async function runBeforeBuild(context: CellContext, env: Readonly<Record<string, string | undefined>>, interpreter: Interpreter): Promise<void> {
  // A foreign interpreter cannot run here: its native twin stands in, and
  // without one (Windows CPython under wine) the host's python3 does; only
  // an interpreter given by its full path goes first on PATH (never `.`).
  const runnable = interpreter.foreign ? interpreter.foreign.native : interpreter;
  const python = runnable && path.isAbsolute(runnable.executable) ? runnable.executable : 'python3';
  const pathValue = [path.isAbsolute(python) ? path.dirname(python) : undefined, env.PATH ?? context.env.PATH].filter(Boolean).join(path.delimiter);
  for (const command of buildSettings(context).beforeBuild) {
    const line = fillPlaceholders(command, { project: context.config.project.dir, python }, context.route.host.quote);
    await context.runner.run(line, [], { cwd: context.config.project.dir, env: { ...env, PATH: pathValue }, userShellCommand: true, purpose: 'build.before-build' });
  }
}
