import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';
import { readToml, table, type Table } from './files.js';
import type { HostFacts } from '../core/host.js';

// How to give rustc extra flags (the GMP family's link directory, which zig
// does not search otherwise; the remapping of build paths) without taking
// the project's own away. cargo takes the first of: CARGO_ENCODED_RUSTFLAGS,
// RUSTFLAGS, the target's rustflags (target.<triple> and every matching
// target.'cfg(…)' joined), build.rustflags. A variable higher up replaces
// the ones below, while a config variable (CARGO_TARGET_<TRIPLE>_RUSTFLAGS,
// CARGO_BUILD_RUSTFLAGS) joins the same key of the config files. So the
// flags go to whichever of these cargo would use, before the project's own:
// where rustc lets the last of two flags win (--remap-path-prefix), the
// project's wins.

/** cargo's home as cargo finds it on `host`: CARGO_HOME, else `.cargo` in the user's home (USERPROFILE on Windows). */
export function cargoHome(env: NodeJS.ProcessEnv, host: HostFacts): string {
  if (env.CARGO_HOME) return host.path.resolve(env.CARGO_HOME);
  return host.path.join(env[host.homeVariable] || homedir(), '.cargo');
}

/** cargo's per-target linker variable: `CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER`. */
export const cargoLinkerVariable = (target: string) => `CARGO_TARGET_${target.toUpperCase().replace(/-/g, '_')}_LINKER`;

/**
 * The cargo config files that apply in `dir`, the strongest first:
 * `.cargo/config` (or, without it, `.cargo/config.toml`, as cargo chooses) in
 * it and each of its ancestors, then cargo's home.
 */
export function cargoConfigFiles(dir: string, env: NodeJS.ProcessEnv, host: HostFacts): string[] {
  const paths = host.path;
  const dirs: string[] = [];
  for (let current = paths.resolve(dir); ; current = paths.dirname(current)) {
    dirs.push(paths.join(current, '.cargo'));
    if (paths.dirname(current) === current) break;
  }
  dirs.push(cargoHome(env, host));
  return [...new Set(dirs)].flatMap((configDir) => {
    const plain = paths.join(configDir, 'config');
    const toml = paths.join(configDir, 'config.toml');
    return existsSync(plain) ? [plain] : existsSync(toml) ? [toml] : [];
  });
}

/** Evaluates a `cfg(…)` key against `rustc --print cfg` lines (`unix`, `target_os="linux"`); false when it does not parse. */
export function cfgMatches(key: string, cfg: ReadonlySet<string>): boolean {
  const inner = /^cfg\((.*)\)$/s.exec(key.trim())?.[1];
  if (inner === undefined) return false;
  const tokens = [...inner.matchAll(/\s*([A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"|[(),=])/g)].map((m) => m[1]!);
  let at = 0;
  const predicate = (): boolean => {
    const name = tokens[at++];
    if (name === undefined || !/^[A-Za-z_]/.test(name)) throw new SyntaxError(key);
    if (name === 'all' || name === 'any' || name === 'not') {
      if (tokens[at++] !== '(') throw new SyntaxError(key);
      const values: boolean[] = [];
      while (tokens[at] !== ')') {
        values.push(predicate());
        if (tokens[at] === ',') at++;
        else if (tokens[at] !== ')') throw new SyntaxError(key);
      }
      at++;
      if (name === 'not') return !values[0];
      return name === 'all' ? values.every(Boolean) : values.some(Boolean);
    }
    if (tokens[at] !== '=') return cfg.has(name);
    at++;
    return cfg.has(`${name}=${tokens[at++]}`);
  };
  try {
    const value = predicate();
    return at === tokens.length && value;
  } catch {
    return false;
  }
}

/** A rustflags value that cargo counts as given: a non-empty list or string. */
const given = (value: unknown) => (Array.isArray(value) || typeof value === 'string') && value.length > 0;

/** Whether the config files give the target rustflags (which then win over build.rustflags). */
export function targetHasRustflags(configs: readonly Table[], target: string, cfg: ReadonlySet<string>): boolean {
  return configs.some((config) => Object.entries(table(config.target)).some(([key, value]) => given(table(value).rustflags) && (key === target || (key.startsWith('cfg(') && cfgMatches(key, cfg)))));
}

/**
 * The value of a rustflags key written as a string in the strongest config
 * file that sets it: an environment variable replaces such a value (only
 * lists are joined), so it must carry it along.
 */
function stringValue(configs: readonly Table[], lookup: (config: Table) => unknown): string | undefined {
  for (const config of configs) {
    const value = lookup(config);
    if (value === undefined) continue;
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

export interface ExtraRustflagsInputs {
  readonly runner: CommandRunner;
  readonly projectDir: string;
  readonly target: string;
  /** The environment the cargo or maturin step runs with: the machine's, ours and the user's build.environment. */
  readonly env: NodeJS.ProcessEnv;
  /** rustc's arguments to add, none holding white space (cargo splits the string forms at it). */
  readonly args: readonly string[];
  /** The machine the build runs on (cargo's home and config paths). */
  readonly host: HostFacts;
}

/**
 * rustc's arguments that add `dirs` to its native library search path, or
 * with `linkerOnly` to the linker's alone: there a `-lgmp` finds a static
 * libgmp.a, while rustc, looking for the libgmp.a a crate bundles from its
 * own build (gmp-mpfr-sys's), does not take this one in its place.
 */
export function rustLinkDirArgs(dirs: readonly string[], linkerOnly = false): string[] {
  const spaced = dirs.find((dir) => /\s/.test(dir));
  if (spaced) {
    throw new UserError({
      key: 'cache',
      message: `${spaced} has white space in its path, which cargo's rustflags variables cannot carry`,
      fix: 'set NATIVE_MATRIX_CACHE (or XDG_CACHE_HOME) to a directory whose path has no spaces',
    });
  }
  return dirs.flatMap((dir) => (linkerOnly ? ['-C', `link-arg=-L${dir}`] : ['-L', `native=${dir}`]));
}

/** The variables that add `args` to the rustflags cargo would use. */
export async function extraRustflagsEnv({ runner, projectDir, target, env, args, host }: ExtraRustflagsInputs): Promise<Record<string, string>> {
  if (args.length === 0) return {};
  const spaced = args.find((arg) => /\s/.test(arg));
  if (spaced) throw new Error(`rustflags cannot carry an argument with white space: ${spaced}`);
  const join = (current: string | undefined) => [...args, current].filter(Boolean).join(' ');
  if (env.CARGO_ENCODED_RUSTFLAGS !== undefined) return { CARGO_ENCODED_RUSTFLAGS: [...args, env.CARGO_ENCODED_RUSTFLAGS].filter(Boolean).join('\x1f') };
  if (env.RUSTFLAGS !== undefined) return { RUSTFLAGS: join(env.RUSTFLAGS) };
  const configs = cargoConfigFiles(projectDir, env, host)
    .map((file) => readToml(file))
    .filter((config): config is Table => config !== undefined);
  const targetVariable = `CARGO_TARGET_${target.toUpperCase().replace(/[-.]/g, '_')}_RUSTFLAGS`;
  let useTarget = env[targetVariable] !== undefined;
  if (!useTarget && configs.some((config) => Object.values(table(config.target)).some((value) => given(table(value).rustflags)))) {
    // In the project's directory: its rust-toolchain.toml names the rustc.
    const { stdout } = await runner.run(env.RUSTC ?? 'rustc', ['--print', 'cfg', '--target', target], { cwd: projectDir, env, quiet: true, purpose: 'rustc --print cfg' });
    useTarget = targetHasRustflags(
      configs,
      target,
      new Set(
        stdout
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      ),
    );
  }
  if (useTarget) return { [targetVariable]: join(env[targetVariable] ?? stringValue(configs, (config) => table(table(config.target)[target]).rustflags)) };
  return { CARGO_BUILD_RUSTFLAGS: join(env.CARGO_BUILD_RUSTFLAGS ?? stringValue(configs, (config) => table(config.build).rustflags)) };
}
