import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { cachedDirectory, cacheKey } from '../build/cache.js';
import { findInterpreters, probe, type Interpreter } from '../build/interpreters.js';
import { ensureToolEnv, type ToolEnv } from '../build/tools.js';
import { CannotBuildHereError, UserError } from '../errors.js';
import type { CommandRunner } from '../process/runner.js';
import type { CellContext } from './types.js';

/**
 * Building on Linux for another arch: Debian's cross gcc builds, qemu-user
 * runs the result. A foreign CPython comes from the system's multiarch
 * package sources (never installed: unpacked into a sysroot of our cache);
 * crossenv builds extensions for it with a native interpreter.
 */
export interface CrossToolchain {
  /** GNU triple of the cross gcc: `aarch64-linux-gnu`. */
  readonly triple: string;
  readonly qemu: string;
  /** Where the cross gcc's C library lives, which qemu's loader needs for a program. */
  readonly libcRoot: string;
  /** Debian's name for the arch. */
  readonly debianArch: string;
}

const TOOLCHAINS: Readonly<Record<string, CrossToolchain>> = {
  aarch64: { triple: 'aarch64-linux-gnu', qemu: 'qemu-aarch64', libcRoot: '/usr/aarch64-linux-gnu', debianArch: 'arm64' },
};

/** The cross toolchain for an arch, if this host has one in its catalog. */
export const toolchainFor = (arch: string): CrossToolchain | undefined => TOOLCHAINS[arch];

/** The toolchain when the cell's arch differs from the host's. */
export function crossToolchain(context: Pick<CellContext, 'host' | 'platform'>): CrossToolchain | undefined {
  return context.host.arch !== context.platform.arch ? TOOLCHAINS[context.platform.arch] : undefined;
}

/** Debian's packages of a CPython: the interpreter, its standard library, and the headers extensions compile against. */
export function pythonPackages(version: string, arch: string): { runtime: string[]; headers: string } {
  return {
    runtime: [`python${version}-minimal:${arch}`, `libpython${version}-minimal:${arch}`, `libpython${version}-stdlib:${arch}`],
    headers: `libpython${version}-dev:${arch}`,
  };
}

/** `Candidate: 3.11.2-6+deb12u9` of `apt-cache policy PACKAGE`, or undefined when apt has none. */
export function parseAptCandidate(output: string): string | undefined {
  const candidate = /^\s*Candidate:\s*(\S+)/m.exec(output)?.[1];
  return candidate && candidate !== '(none)' ? candidate : undefined;
}

/**
 * `apt-cache depends` output as a graph: each package block's (pre-)dependencies
 * among packages of `arch`. Virtual packages (`<…>`) and other arches (the
 * arch-independent perl, tzdata, … that the stdlib merely suggests using) are
 * left out: the interpreter never loads them.
 */
export function parseAptDepends(output: string, arch: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (/^\S/.test(line)) {
      const name = line.trim();
      current = graph.get(name) ?? [];
      graph.set(name, current);
      continue;
    }
    const dependency = /^\s*\|?(?:Pre)?Depends:\s+([^\s<>]+)$/.exec(line)?.[1];
    if (current && dependency?.endsWith(`:${arch}`) && !current.includes(dependency)) current.push(dependency);
  }
  return graph;
}

/** Every package reachable from `roots` in `graph`, sorted. */
export function dependencyClosure(graph: ReadonlyMap<string, readonly string[]>, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(graph.get(name) ?? []));
  }
  return [...seen].sort();
}

/** `'URL' FILE SIZE SHA256:…` lines of `apt-get download --print-uris`. */
export function parsePrintUris(output: string): { url: string; file: string; sha256: string }[] {
  return [...output.matchAll(/^'([^']+)'\s+(\S+)\s+\d+\s+SHA256:([0-9a-f]{64})$/gm)].map((m) => ({ url: m[1]!, file: m[2]!, sha256: m[3]! }));
}

/** The runtime closure of `roots` among packages of `arch`: the libraries the interpreter loads. */
async function runtimeClosure(runner: CommandRunner, roots: readonly string[], arch: string): Promise<string[]> {
  // One recursive listing (apt loads its cache once), walked along `arch` edges only.
  const { stdout } = await runner.run(
    'apt-cache',
    ['depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', ...roots],
    { quiet: true, purpose: 'apt-cache depends' },
  );
  return dependencyClosure(parseAptDepends(stdout, arch), roots);
}

const ADD_ARCH_FIX = (arch: string) => `run \`sudo dpkg --add-architecture ${arch} && sudo apt-get update\` (Ubuntu also needs its ports mirror for ${arch} in the apt sources)`;

/** Why this host's package sources cannot provide CPython `version` for `arch`, or undefined. */
async function unavailableReason(context: CellContext, toolchain: CrossToolchain, versions: readonly string[]): Promise<string | undefined> {
  const { runner, platform } = context;
  const arch = toolchain.debianArch;
  if (!existsSync('/usr/bin/apt-cache')) return `${platform.id} wheels are cross-built against Debian/Ubuntu's ${arch} CPython packages, and this system has no apt`;
  const foreign = (await runner.run('dpkg', ['--print-foreign-architectures'], { quiet: true, allowFailure: true })).stdout.split(/\s+/);
  if (!foreign.includes(arch)) return `${platform.id} wheels are cross-built against this system's ${arch} CPython packages, and dpkg has no ${arch} architecture: ${ADD_ARCH_FIX(arch)}`;
  const missing: string[] = [];
  for (const version of versions) {
    const { stdout } = await runner.run('apt-cache', ['policy', pythonPackages(version, arch).runtime[0]!], { quiet: true, allowFailure: true });
    if (version.endsWith('t') || !parseAptCandidate(stdout)) missing.push(version);
  }
  if (missing.length === 0) return undefined;
  return `${platform.id} wheels are cross-built against this system's ${arch} CPython packages, which have no Python ${missing.join(', ')}; narrow the build with --python to the versions apt offers (\`apt-cache policy 'python3.*-minimal:${arch}'\`)`;
}

/**
 * A directory holding CPython `version` for `toolchain`'s arch with its
 * runtime libraries and headers, unpacked from the apt sources' packages
 * (`dpkg-deb -x`, nothing installed) and cached under their exact versions.
 */
async function pythonSysroot(context: CellContext, toolchain: CrossToolchain, version: string): Promise<string> {
  const { runner } = context;
  const arch = toolchain.debianArch;
  const { runtime, headers } = pythonPackages(version, arch);
  const packages = [...(await runtimeClosure(runner, runtime, arch)), headers];
  const uris = parsePrintUris((await runner.run('apt-get', ['download', '--print-uris', ...packages], { quiet: true, purpose: 'apt-get download --print-uris' })).stdout);
  const key = cacheKey({ arch, packages: uris.map(({ file, sha256 }) => ({ file, sha256 })) });
  const { dir, hit } = await cachedDirectory(path.join(context.cacheDir, 'sysroots', `${arch}-python${version}-${key}`), async (target) => {
    const debs = path.join(target, '.debs');
    await mkdir(debs);
    await runner.run('apt-get', ['download', '-q', ...packages], { cwd: debs, purpose: `downloading the ${arch} Python ${version} packages` });
    const root = path.join(target, 'root');
    for (const deb of (await readdir(debs)).sort()) await runner.run('dpkg-deb', ['-x', path.join(debs, deb), root], { purpose: `unpacking ${deb}` });
    await rm(debs, { recursive: true, force: true });
  });
  context.reporter.info(`${arch} Python ${version}: ${packages.length} Debian packages ${hit ? 'from the cache' : 'unpacked'} in ${dir}`);
  return path.join(dir, 'root');
}

/**
 * CPythons of the cell's arch for a cross build: each runs under qemu-user
 * from its sysroot, and is paired with a native interpreter of the same
 * version for the build tools.
 */
export async function foreignInterpreters(context: CellContext, toolchain: CrossToolchain, versions: readonly string[]): Promise<Interpreter[]> {
  const reason = await unavailableReason(context, toolchain, versions);
  if (reason) throw new CannotBuildHereError(context.platform, reason);
  const hosts = await findInterpreters(versions, { runner: context.runner, env: context.env });
  const interpreters: Interpreter[] = [];
  for (const host of hosts) {
    const sysroot = await pythonSysroot(context, toolchain, host.version);
    const executable = path.join(sysroot, 'usr', 'bin', `python${host.version}`);
    const foreign = { launcher: [toolchain.qemu, '-L', sysroot], sysroot, host };
    const interpreter = await probe(executable, host.version, context.runner, foreign);
    if (!interpreter) {
      throw new UserError({ key: `cell ${context.platform.id}`, message: `the ${toolchain.debianArch} Python ${host.version} in ${sysroot} does not run under ${toolchain.qemu}`, fix: `check that qemu-user is installed (apt-get install qemu-user) and run \`${toolchain.qemu} -L ${sysroot} ${executable} -V\`` });
    }
    interpreters.push(interpreter);
  }
  return interpreters;
}

/** The target's sysconfig data, under the name its own interpreter imports (`_sysconfigdata__linux_aarch64-linux-gnu`). */
async function sysconfigdataFile(sysroot: string, version: string, triple: string): Promise<string> {
  const dir = path.join(sysroot, 'usr', 'lib', `python${version}`);
  const names = (await readdir(dir)).filter((name) => name.startsWith('_sysconfigdata_') && name.endsWith(`_${triple}.py`));
  const chosen = names.find((name) => name.includes('_linux_')) ?? names[0];
  if (!chosen) throw new UserError({ key: 'python', message: `no _sysconfigdata_*_${triple}.py in ${dir}`, fix: `check the libpython${version}-minimal package of the apt sources` });
  return path.join(dir, chosen);
}

/**
 * crossenv's `cross-python` for a foreign interpreter: the native interpreter
 * of its version, reporting the target's platform, sysconfig, headers and
 * cross compiler to build backends. Created once per build.
 */
export async function crossPython(context: CellContext, toolchain: CrossToolchain, interpreter: Interpreter): Promise<string> {
  const foreign = interpreter.foreign;
  if (!foreign) throw new Error(`crossPython needs a foreign interpreter (got ${interpreter.executable})`);
  const dir = path.join(context.workDir, `crossenv-${interpreter.version}`);
  const python = path.join(dir, 'bin', 'cross-python');
  if (existsSync(python)) return python;
  // crossenv must run on a native interpreter of the target's version.
  const crossenv: ToolEnv = await ensureToolEnv({ runner: context.runner, host: foreign.host, tools: ['crossenv'], cacheDir: context.cacheDir });
  await context.runner.run(crossenv.python, [
    '-m',
    'crossenv',
    interpreter.executable,
    dir,
    '--sysroot',
    foreign.sysroot,
    '--sysconfigdata-file',
    await sysconfigdataFile(foreign.sysroot, interpreter.version, toolchain.triple),
    '--cc',
    `${toolchain.triple}-gcc`,
    // Builds run the tool environment's pinned pip.
    '--without-pip',
  ], { purpose: 'creating the cross-build environment (crossenv)' });
  return python;
}
