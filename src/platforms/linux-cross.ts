import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { findInterpreters, probe, type Interpreter } from '../core/interpreters.js';
import { ensureToolEnv } from '../core/tools.js';
import { CannotBuildHereError, UserError } from '../core/errors.js';
import { probeCrossCompiler, type CrossCompiler } from './cross-probe.js';
import { debianSysroot, parseAptCandidate } from './debian-sysroot.js';
import type { InterpreterNeeds, WheelBuilder } from './types.js';
import type { CellContext } from '../routes/context.js';
import { discardedWarning } from '../core/cache.js';
import { embeddedPython, embeddedPythonHint } from './embedded-pythons.js';
import { glibcTarget } from './glibc.js';

/**
 * Building on Linux for another arch: Debian's cross gcc builds, qemu-user
 * runs the result. A foreign CPython comes from the system's multiarch
 * package sources, unpacked into a sysroot; crossenv builds extensions for
 * it with a native interpreter of the same version.
 */
export interface CrossToolchain {
  /** GNU triple of the cross gcc: `aarch64-linux-gnu`. */
  readonly triple: string;
  readonly qemu: string;
  /** Where the cross gcc's C library lives, which qemu's loader needs for a program. */
  readonly libcRoot: string;
  /** Debian's name for the arch. */
  readonly debianArch: string;
  /** The cross gcc, and what it needs to link (gcc-*-linux-gnu only recommends its C library). */
  readonly compiler: CrossCompiler;
}

const TOOLCHAINS: Readonly<Record<string, CrossToolchain>> = {
  aarch64: {
    triple: 'aarch64-linux-gnu',
    qemu: 'qemu-aarch64',
    libcRoot: '/usr/aarch64-linux-gnu',
    debianArch: 'arm64',
    compiler: { command: 'aarch64-linux-gnu-gcc', packages: ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'] },
  },
};

/** The cross toolchain for an arch, if this host has one in its catalog. */
export const toolchainFor = (arch: string): CrossToolchain | undefined => TOOLCHAINS[arch];

/** The toolchain of the qemu route: another arch's Linux, cross-compiled. */
export function crossToolchain(context: Pick<CellContext, 'route' | 'platform'>): CrossToolchain | undefined {
  return context.route.id === 'linux-qemu' ? TOOLCHAINS[context.platform.arch] : undefined;
}

/** The cross toolchain, proven able to link a program, when the cell's arch differs from the host's. */
export async function provenCrossToolchain(context: CellContext): Promise<CrossToolchain | undefined> {
  const cross = crossToolchain(context);
  if (cross) await probeCrossCompiler(context, cross.compiler);
  return cross;
}

/** Debian's packages of a CPython: the interpreter and its standard library, and the headers extensions compile against. */
export function pythonPackages(version: string, arch: string): { runtime: string[]; headers: string } {
  return {
    runtime: [`python${version}-minimal:${arch}`, `libpython${version}-minimal:${arch}`, `libpython${version}-stdlib:${arch}`],
    headers: `libpython${version}-dev:${arch}`,
  };
}

const ADD_ARCH_FIX = (arch: string) => `run \`sudo dpkg --add-architecture ${arch} && sudo apt-get update\` (Ubuntu also needs its ports mirror for ${arch} in the apt sources)`;

/** Why this system's package sources cannot provide the cell's Pythons for the toolchain's arch, or undefined. */
async function unavailableReason(context: CellContext, toolchain: CrossToolchain, versions: readonly string[]): Promise<string | undefined> {
  const { runner, platform } = context;
  const arch = toolchain.debianArch;
  const against = `${platform.id} wheels are cross-built against this system's ${arch} CPython packages`;
  if ((await runner.run('apt-cache', ['--version'], { quiet: true, allowFailure: true })).exitCode !== 0) return `${against}, and it has no apt`;
  const foreign = await runner.run('dpkg', ['--print-foreign-architectures'], { quiet: true, purpose: 'dpkg --print-foreign-architectures' });
  if (!foreign.stdout.split(/\s+/).includes(arch)) return `${against}, and dpkg has no ${arch} architecture: ${ADD_ARCH_FIX(arch)}`;
  const missing: string[] = [];
  for (const version of versions) {
    if (version.endsWith('t')) {
      missing.push(version); // Debian has no free-threaded interpreter packages to cross-build for
      continue;
    }
    const policy = await runner.run('apt-cache', ['policy', pythonPackages(version, arch).runtime[0]!], { quiet: true, purpose: 'apt-cache policy' });
    if (!parseAptCandidate(policy.stdout)) missing.push(version);
  }
  if (missing.length === 0) return undefined;
  return `${against}, which have no Python ${missing.join(', ')}; narrow the build with --python to the versions apt offers (\`apt-cache policy 'python3.*-minimal:${arch}'\`)`;
}

/**
 * CPythons of the cell's arch for a cross build, each run under qemu-user.
 * A PEP 517 build compiles against the interpreter's own headers and
 * sysconfig, so it needs Debian's packages of every version (crossenv, with a
 * native interpreter of the same version for the build tools); throws
 * CannotBuildHereError when apt cannot provide them. maturin knows each
 * target's configuration itself: it builds for every version, and the smoke
 * test runs in Debian's interpreter or an embedded (python-build-standalone)
 * one where there is one; the others are reported as not smoke-tested here.
 */
export async function foreignInterpreters(context: CellContext, toolchain: CrossToolchain, versions: readonly string[], { compilesAgainstInterpreters }: InterpreterNeeds): Promise<Interpreter[]> {
  if (compilesAgainstInterpreters) {
    const reason = await unavailableReason(context, toolchain, versions);
    if (reason) throw new CannotBuildHereError(context.platform, reason);
    const natives = await findInterpreters(versions, { runner: context.runner, env: context.env });
    const interpreters: Interpreter[] = [];
    for (const native of natives) interpreters.push(await debianInterpreter(context, toolchain, native.version, native));
    return interpreters;
  }
  const interpreters: Interpreter[] = [];
  const untested: string[] = [];
  for (const version of versions) {
    const interpreter =
      (await embeddedInterpreter(context, toolchain, version)) ?? ((await unavailableReason(context, toolchain, [version])) ? undefined : await debianInterpreter(context, toolchain, version));
    if (interpreter) {
      interpreters.push(interpreter);
      continue;
    }
    untested.push(version);
    const buildAs = `python${version}`;
    interpreters.push({ version, executable: buildAs, fullVersion: version, freeThreaded: version.endsWith('t'), untested: UNTESTED, foreign: { launcher: [], sysroot: '', buildAs } });
  }
  if (untested.length > 0) {
    const arch = toolchain.debianArch;
    context.reporter.warning({
      key: `platform ${context.platform.id}`,
      message: `Python ${untested.join(', ')} ${untested.length > 1 ? 'are' : 'is'} built for but not smoke-tested on this machine (${UNTESTED})`,
      fix: `${embeddedPythonHint(context.platform.id)}, or add apt's ${arch} packages of it (\`apt-cache policy 'python3.*-minimal:${arch}'\`); on GitHub the cell runs on ${context.platform.runner}`,
    });
  }
  return interpreters;
}

const UNTESTED = 'no CPython of this version and arch to run under qemu-user here';

/** A python-build-standalone interpreter of the arch, run by qemu-user against the cross toolchain's C library. */
async function embeddedInterpreter(context: CellContext, toolchain: CrossToolchain, version: string): Promise<Interpreter | undefined> {
  const executable = embeddedPython(context.env, context.platform.id, version);
  if (!executable) return undefined;
  const foreign = { launcher: [toolchain.qemu, '-L', toolchain.libcRoot], sysroot: path.dirname(path.dirname(executable)), buildAs: `python${version}` };
  const interpreter = await probe(executable, version, context.runner, foreign);
  if (!interpreter) throw notRunning(context, toolchain, version, executable, toolchain.libcRoot);
  context.reporter.info(`${toolchain.debianArch} Python ${version}: python-build-standalone at ${executable}`);
  return interpreter;
}

/** Debian's interpreter of the arch, unpacked with its runtime libraries into a cached sysroot. */
async function debianInterpreter(context: CellContext, toolchain: CrossToolchain, version: string, native?: Interpreter): Promise<Interpreter> {
  const arch = toolchain.debianArch;
  const { runtime, headers } = pythonPackages(version, arch);
  const sysroot = await debianSysroot({ runner: context.runner, cacheDir: context.cacheDir, arch, runtime, filesOnly: [headers], label: `python${version}` });
  if (sysroot.discarded) context.reporter.warning(discardedWarning(sysroot.discarded));
  context.reporter.info(`${arch} Python ${version}: ${sysroot.packages} Debian packages ${sysroot.hit ? 'from the cache' : 'unpacked'} in ${sysroot.root}`);
  const executable = path.join(sysroot.root, 'usr', 'bin', `python${version}`);
  const foreign = { launcher: [toolchain.qemu, '-L', sysroot.root], sysroot: sysroot.root, ...(native ? { native } : { buildAs: `python${version}` }) };
  const interpreter = await probe(executable, version, context.runner, foreign);
  if (!interpreter) throw notRunning(context, toolchain, version, executable, sysroot.root);
  return interpreter;
}

const notRunning = (context: CellContext, toolchain: CrossToolchain, version: string, executable: string, root: string) =>
  new UserError({
    key: `platform ${context.platform.id}`,
    message: `the ${toolchain.debianArch} Python ${version} at ${executable} does not run under ${toolchain.qemu}`,
    fix: `check that qemu-user is installed (apt-get install qemu-user) and run \`${toolchain.qemu} -L ${root} ${executable} -V\``,
  });

/** The target's sysconfig data, under the name its own interpreter imports (`_sysconfigdata__linux_aarch64-linux-gnu`). */
async function sysconfigdataFile(sysroot: string, version: string, triple: string): Promise<string> {
  const dir = path.join(sysroot, 'usr', 'lib', `python${version}`);
  const names = (await readdir(dir)).filter((name) => name.startsWith('_sysconfigdata_') && name.endsWith(`_${triple}.py`));
  const chosen = names.find((name) => name.includes('_linux_')) ?? names[0];
  if (!chosen) throw new UserError({ key: 'python', message: `no _sysconfigdata_*_${triple}.py in ${dir}`, fix: `check the libpython${version}-minimal package of the apt sources` });
  return path.join(dir, chosen);
}

/**
 * crossenv's `cross-python` for a foreign interpreter: its native twin,
 * reporting the target's platform, sysconfig and headers to build backends.
 * The compiler is set in the environment too, where distutils looks first,
 * so a CC exported for the host cannot compile the target's extension.
 */
export async function crossWheelBuilder(context: CellContext, toolchain: CrossToolchain, interpreter: Interpreter): Promise<WheelBuilder> {
  const foreign = interpreter.foreign;
  if (!foreign?.native) throw new Error(`crossWheelBuilder needs a foreign interpreter with a native twin (got ${interpreter.executable})`);
  const cross = { CC: toolchain.compiler.command, CXX: `${toolchain.triple}-g++` };
  // For an older glibc (linux.manylinux), zig's compilers for the target,
  // which the GMP provision puts in the build's environment, compile and link
  // the extension: the cross gcc links against this system's own glibc for
  // the arch, whose newer symbol versions (log@GLIBC_2.29) the target lacks.
  const env = glibcTarget(context) ? {} : { ...cross, LDSHARED: undefined, LDCXXSHARED: undefined };
  const dir = path.join(context.workDir, `crossenv-${interpreter.version}`);
  const python = path.join(dir, 'bin', 'cross-python');
  if (existsSync(python)) return { python, env };
  // crossenv must run on a native interpreter of the target's version.
  const crossenv = await ensureToolEnv({ runner: context.runner, host: foreign.native, tools: ['crossenv'], cacheDir: context.cacheDir });
  if (crossenv.discarded) context.reporter.warning(discardedWarning(crossenv.discarded));
  const sysconfigdata = await sysconfigdataFile(foreign.sysroot, interpreter.version, toolchain.triple);
  await context.runner.run(
    crossenv.python,
    // No pip in the environment: builds run the tool environment's pinned pip.
    ['-m', 'crossenv', interpreter.executable, dir, '--sysroot', foreign.sysroot, '--sysconfigdata-file', sysconfigdata, '--cc', cross.CC, '--cxx', cross.CXX, '--without-pip'],
    { purpose: 'creating the cross-build environment (crossenv)' },
  );
  return { python, env };
}
