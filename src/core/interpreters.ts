import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from './errors.js';
import type { CommandRunner } from './process/runner.js';
import { thisHost, type HostFacts } from './host.js';

/** A CPython interpreter found on this machine. */
export interface Interpreter {
  /** The catalog version it stands for: `3.12`, `3.13t`. */
  readonly version: string;
  readonly executable: string;
  /** Full version, e.g. 3.12.1. */
  readonly fullVersion: string;
  readonly freeThreaded: boolean;
  /** Why this host builds for it but cannot run it to smoke-test (e.g. no Windows CPython of the version under wine). */
  readonly untested?: string;
  /** Set for an interpreter of another arch, which this host runs under an emulator. */
  readonly foreign?: ForeignRuntime;
}

/** How this host runs, and builds for, an interpreter of another arch. */
export interface ForeignRuntime {
  /** The command prefix that runs its programs here: `qemu-aarch64 -L <sysroot>`. */
  readonly launcher: readonly string[];
  /** The root of its file system: its headers, libraries and standard library. */
  readonly sysroot: string;
  /** A native interpreter of the same version, which runs the build tools for it. */
  readonly native?: Interpreter;
  /** What maturin's `--interpreter` is told instead (`python3.14`), when it knows the target's configuration itself. */
  readonly buildAs?: string;
}

/** `[file, args]` that run `python args` here, through the launcher of a foreign interpreter. */
export function pythonCommand(interpreter: Pick<Interpreter, 'foreign'>, python: string, args: readonly string[]): [string, string[]] {
  const launcher = interpreter.foreign?.launcher;
  return launcher ? [launcher[0]!, [...launcher.slice(1), python, ...args]] : [python, [...args]];
}

export interface InterpreterSearch {
  readonly runner: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
  /** The machine searched, as its interpreters are laid out: `bin/python3.X`, or `python.exe` on Windows (this machine unless said). */
  readonly host?: HostFacts;
}

// The second line is the interpreter's own executable: a pyenv shim (a shell
// script that looks up the version on every call) is replaced by it.
const PROBE = 'import sys, sysconfig, platform; print(platform.python_version(), sys.implementation.name, int(bool(sysconfig.get_config_var("Py_GIL_DISABLED")))); print(sys.executable)';

/** Candidate paths for one version, in order: PATH, the runner's tool cache, pyenv. */
export function interpreterCandidates(version: string, { env = process.env, host = thisHost() }: Omit<InterpreterSearch, 'runner'>): { candidates: string[]; places: string[] } {
  const freeThreaded = version.endsWith('t');
  const plain = version.replace(/t$/, '');
  const exe = host.executableSuffix;
  // setup-python's and pyenv's Windows CPython: python.exe at the top of its directory, as in a Windows venv's layout.
  const windowsLayout = host.venv === 'windows';
  const candidates: string[] = [];
  const places: string[] = [];

  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  places.push(`PATH (python${version}${exe})`);
  for (const dir of pathDirs) candidates.push(path.join(dir, `python${version}${exe}`));

  const toolCache = env.RUNNER_TOOL_CACHE || env.AGENT_TOOLSDIRECTORY;
  if (toolCache) {
    const root = path.join(toolCache, 'Python');
    places.push(`${root}/${plain}.*`);
    for (const dir of matchingVersions(root, plain)) {
      for (const archDir of listDir(path.join(root, dir))) {
        const isThreadedDir = archDir.endsWith('-freethreaded');
        if (isThreadedDir !== freeThreaded) continue;
        const base = path.join(root, dir, archDir);
        candidates.push(windowsLayout ? path.join(base, freeThreaded ? `python${plain}t.exe` : 'python.exe') : path.join(base, 'bin', `python${version}`));
      }
    }
  }

  const pyenvRoot = env.PYENV_ROOT || path.join(homedir(), '.pyenv');
  const versionsDir = path.join(pyenvRoot, 'versions');
  places.push(`${versionsDir}/${plain}.*${freeThreaded ? 't' : ''}`);
  for (const dir of matchingVersions(versionsDir, plain, freeThreaded)) {
    candidates.push(windowsLayout ? path.join(versionsDir, dir, 'python.exe') : path.join(versionsDir, dir, 'bin', `python${version}`));
  }
  return { candidates: candidates.filter((c) => existsSync(c)), places };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Directories named `3.12.4` (or `3.13.1t` for pyenv's free-threaded builds), newest first. */
function matchingVersions(root: string, plain: string, freeThreaded?: boolean): string[] {
  const pattern = new RegExp(`^${plain.replace('.', '\\.')}\\.(\\d+)${freeThreaded === undefined ? '' : freeThreaded ? 't' : ''}$`);
  return listDir(root)
    .filter((name) => pattern.test(name))
    .sort((a, b) => Number(pattern.exec(b)![1]) - Number(pattern.exec(a)![1]));
}

/** Finds and checks an interpreter for each version; a missing one is an error that says where we looked. */
export async function findInterpreters(versions: readonly string[], search: InterpreterSearch): Promise<Interpreter[]> {
  const found: Interpreter[] = [];
  const missing: string[] = [];
  // Each version probed at once: a probe through a pyenv shim takes a while.
  const probed = await Promise.all(versions.map((version) => firstInterpreter(version, search)));
  for (const [i, version] of versions.entries()) {
    const interpreter = probed[i];
    if (interpreter) found.push(interpreter);
    else missing.push(`Python ${version} (looked on ${interpreterCandidates(version, search).places.join(', ')})`);
  }
  if (missing.length > 0) {
    throw new UserError({
      key: 'python',
      message: `not found: ${missing.join('; ')}`,
      fix: "install it, e.g. with actions/setup-python (python-version: the cell's python) on GitHub, or `pyenv install <version>` locally, or narrow the build with --python",
    });
  }
  return found;
}

/**
 * The full version (3.12.7) of the interpreter each version would use here,
 * or `none`: the cache is keyed on them, so that a new patch release of an
 * interpreter never reuses tool environments made with the old one.
 */
export async function interpreterVersions(versions: readonly string[], search: InterpreterSearch): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const version of versions) found[version] = (await firstInterpreter(version, search))?.fullVersion ?? 'none';
  return found;
}

/** The first candidate that is the CPython `version`. */
async function firstInterpreter(version: string, search: InterpreterSearch): Promise<Interpreter | undefined> {
  for (const candidate of interpreterCandidates(version, search).candidates) {
    const interpreter = await probe(candidate, version, search.runner);
    if (interpreter) return interpreter;
  }
  return undefined;
}

/** Runs `executable` (through `foreign`'s launcher) and returns it when it is the CPython `version`. */
export async function probe(executable: string, version: string, runner: CommandRunner, foreign?: ForeignRuntime): Promise<Interpreter | undefined> {
  const result = await runner.run(...pythonCommand({ foreign }, executable, ['-c', PROBE]), { quiet: true, allowFailure: true });
  if (result.exitCode !== 0) return undefined;
  const [first = '', real] = result.stdout.trim().split(/\r?\n/);
  const [fullVersion, implementation, threaded] = first.trim().split(' ');
  const freeThreaded = threaded === '1';
  if (implementation !== 'cpython' || !fullVersion) return undefined;
  const [major, minor] = fullVersion.split('.');
  if (`${major}.${minor}${freeThreaded ? 't' : ''}` !== version) return undefined;
  // A foreign interpreter names its path inside the emulated machine: it keeps the one run.
  const own = !foreign && real?.trim() && path.isAbsolute(real.trim()) ? real.trim() : executable;
  return { version, executable: own, fullVersion, freeThreaded, ...(foreign ? { foreign } : {}) };
}
