import { existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { unzipTo } from '../core/archive.js';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';
import { runPythonHelper } from '../core/python-helpers.js';
import type { ToolEnv } from '../core/tools.js';
import { platformTagMatches } from '../core/wheel-name.js';
import type { CellContext } from '../routes/context.js';
import { checkGlibcSymbols, glibcError, libcSymbolVersions, type GlibcTarget } from './glibc.js';
import type { WheelCheck } from './types.js';

// What a Linux file needs of the system it runs on: the shared libraries its
// ELF NEEDED entries name, and the glibc symbol versions it calls.

/** Fails when any ELF file in `file` (a wheel, or a directory) or in `extra` needs a glibc symbol newer than the target. */
export async function enforceGlibc(context: CellContext, file: string, target: GlibcTarget, extra: readonly string[] = []): Promise<void> {
  let root = file;
  if (file.endsWith('.whl')) {
    root = await mkdtemp(path.join(context.workDir, 'glibc-'));
    await unzipTo(file, root);
  }
  const libc = await libcSymbolVersions(context.runner, context.platform.arch);
  const report = await checkGlibcSymbols(context.runner, root, target.version, libc);
  const violations = [...report.violations];
  for (const library of extra) {
    const dir = await mkdtemp(path.join(context.workDir, 'glibc-lib-'));
    await copyFile(library, path.join(dir, path.basename(library)));
    violations.push(...(await checkGlibcSymbols(context.runner, dir, target.version, libc)).violations);
  }
  if (violations.length > 0) throw glibcError(context.config, path.basename(file), target, violations);
}

/** `0x0000000000000001 (NEEDED)  Shared library: [libgmp.so.10]` lines of `readelf -d`. */
export function parseReadelfNeeded(output: string): string[] {
  return [...output.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
}

/** The NEEDED closure of a foreign program among `libDirs`; everything else must be a system library. */
export async function readelfClosure(runner: CommandRunner, program: string, libDirs: readonly string[]): Promise<{ name: string; resolved: string }[]> {
  const found: { name: string; resolved: string }[] = [];
  const queue = [program];
  while (queue.length > 0) {
    const { stdout } = await runner.run('readelf', ['-d', queue.shift()!], { quiet: true, purpose: 'readelf' });
    for (const name of parseReadelfNeeded(stdout)) {
      if (found.some((f) => f.name === name) || isSystemLibrary(name)) continue;
      const resolved = libDirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
      if (!resolved) throw new UserError({ key: 'binary', message: `the program needs ${name}, which is neither a system library nor in ${libDirs.join(', ')}`, fix: 'check gmp.libraries' });
      found.push({ name, resolved: realpathSync(resolved) });
      queue.push(resolved);
    }
  }
  return found;
}

/** `libgmp.so.10 => /usr/lib/x86_64-linux-gnu/libgmp.so.10 (0x…)` lines of ldd. */
export function parseLdd(output: string): { name: string; resolved: string }[] {
  const libraries: { name: string; resolved: string }[] = [];
  for (const line of output.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line);
    if (match) libraries.push({ name: match[1]!, resolved: match[2]! });
    else if (/=>\s+not found/.test(line))
      throw new UserError({ key: 'binary', message: `the program needs ${line.trim().split(/\s/)[0]}, which this system cannot find`, fix: 'check gmp.libraries and the GMP provisioning' });
  }
  return libraries;
}

/** Libraries every Linux system has (the manylinux policy's core set): never bundled. */
const SYSTEM_LIBRARIES = new Set([
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'librt.so.1',
  'libpthread.so.0',
  'libutil.so.1',
  'libresolv.so.2',
  'libnsl.so.1',
  'libanl.so.1',
  'libgcc_s.so.1',
  'libstdc++.so.6',
  'libatomic.so.1',
  'libz.so.1',
  'libc.musl-x86_64.so.1',
  'libc.musl-aarch64.so.1',
]);
export const isSystemLibrary = (name: string) => SYSTEM_LIBRARIES.has(name) || name.startsWith('ld-linux') || name.startsWith('linux-vdso');

/**
 * Proves a repaired wheel self-contained: every ELF `NEEDED` entry of every
 * shared object resolves inside the wheel (through its RPATH/RUNPATH) or is a
 * system library that the wheel's manylinux/musllinux policy allows, and the
 * wheel carries only manylinux/musllinux platform tags.
 */
export async function checkLinuxWheel(context: CellContext, wheel: string, tools: ToolEnv): Promise<WheelCheck> {
  const report = (await runPythonHelper(context.runner, tools.python, 'check_linux_wheel', [wheel])) as {
    platformTags: string[];
    bundled: string[];
    violations: { file: string; needed: string }[];
  };
  const problems: string[] = [];
  const expected = context.platform['wheel-tag'];
  const badTags = report.platformTags.filter((tag) => !platformTagMatches(tag, expected));
  if (badTags.length > 0) problems.push(`platform tag ${badTags.join(', ')} is not a ${expected} tag`);
  for (const violation of report.violations) problems.push(`${violation.file} needs ${violation.needed}, which is neither in the wheel nor an allowed system library`);
  if (problems.length > 0) {
    throw new UserError({
      key: 'repair',
      message: `${path.basename(wheel)} is not self-contained: ${problems.join('; ')}`,
      fix: 'check that auditwheel could find the library (LD_LIBRARY_PATH) and that the extension links it dynamically',
    });
  }
  return { bundled: report.bundled, platformTags: report.platformTags };
}
