import path from 'node:path';
import type { Platform } from '../catalog/catalog.js';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';
import { runPythonHelper } from '../core/python-helpers.js';
import type { ToolEnv } from '../core/tools.js';
import { compareVersions } from '../core/versions.js';
import { platformTagMatches } from '../core/wheel-name.js';
import { appleArch } from '../routes/route.js';
import type { WheelCheck } from './types.js';

// The checks a Mac would make of what is built for it, made on any host by
// reading the Mach-O files (macholib, from delocate's environment): in a
// wheel, a program archive or a static library (each object file).

/** What the helper (python/check_macos_wheel.py) reads of every Mach-O file in a wheel, archive or static library. */
export interface MachoReport {
  readonly platformTags: string[];
  readonly bundled: string[];
  readonly violations: { file: string; needed: string }[];
  readonly dependencies: Record<string, string[]>;
  readonly minos: Record<string, string | null>;
  readonly archs: Record<string, string[]>;
  readonly signed?: Record<string, boolean>;
  /** Object files (a static library's members): never signed, never linked to anything. */
  readonly objects?: string[];
}

export const readMacho = async (runner: CommandRunner, tools: ToolEnv, file: string): Promise<MachoReport> => (await runPythonHelper(runner, tools.python, 'check_macos_wheel', [file])) as MachoReport;

/**
 * What a Mac would refuse, each naming the file and the fix: a file of
 * another arch, one for a newer macOS than the deployment target, a library
 * that is neither inside nor the system's, an arm64 file without a code
 * signature (an arm64 Mac loads no unsigned code).
 */
export function machoProblems(report: MachoReport, platform: Platform, target: string, what = 'wheel'): string[] {
  const arch = appleArch(platform.arch);
  const problems = report.violations.map((v) => `${v.file} needs ${v.needed}, which is neither in the ${what} nor a system library (bundle it, or link it statically)`);
  for (const [file, archs] of Object.entries(report.archs)) {
    if (!archs.includes(arch)) problems.push(`${file} is built for ${archs.join(', ')}, not ${arch} (build it for ${platform.target})`);
  }
  // pip installs a wheel on the oldest macOS its tag names: no file may need a newer one than that, or than the target.
  const tagged = report.platformTags.flatMap((tag) => {
    const match = /^macosx_(\d+)_(\d+)_/.exec(tag);
    return match ? [{ tag, version: `${match[1]}.${match[2]}` }] : [];
  });
  for (const [file, minos] of Object.entries(report.minos)) {
    if (!minos) {
      if (!report.objects?.includes(file)) problems.push(`${file} records no minimum macOS (no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX load command): link it for the deployment target ${target}`);
      continue;
    }
    if (compareVersions(minos, target) > 0)
      problems.push(`${file} requires macOS ${minos}, newer than the deployment target ${target} (compile it with MACOSX_DEPLOYMENT_TARGET=${target}; zig: -target ${platform.arch}-macos.${target})`);
    for (const { tag, version } of tagged) {
      if (compareVersions(minos, version) > 0 && compareVersions(version, target) < 0)
        problems.push(`${file} requires macOS ${minos}, newer than its wheel's tag ${tag} promises (pip would install it on macOS ${version}): tag the wheel for ${target}`);
    }
  }
  if (arch === 'arm64') {
    for (const [file, signed] of Object.entries(report.signed ?? {})) {
      if (!signed && !report.objects?.includes(file))
        problems.push(`${file} has no code signature, which an arm64 Mac requires to load it (link it with zig or Apple's ld, which sign arm64 output ad hoc, or sign it: codesign --force --sign -)`);
    }
  }
  return problems;
}

/**
 * Proves a macOS wheel self-contained (every LC_LOAD_DYLIB inside the wheel
 * or a system library), built for no newer macOS than the target, every
 * Mach-O file holding the platform's arch (signed, for arm64), and tagged for the platform.
 */
export async function checkMacosWheel(runner: CommandRunner, tools: ToolEnv, wheel: string, platform: Platform, target: string): Promise<WheelCheck> {
  const report = await readMacho(runner, tools, wheel);
  const problems = machoProblems(report, platform, target);
  const badTags = report.platformTags.filter((tag) => !platformTagMatches(tag, platform['wheel-tag']));
  if (badTags.length > 0) problems.push(`platform tag ${badTags.join(', ')} is not a ${platform['wheel-tag']} tag`);
  if (problems.length > 0) {
    throw new UserError({
      key: 'repair',
      message: `${path.basename(wheel)} is not fit for ${platform.id}: ${problems.join('; ')}`,
      fix: `each problem names its file and fix; on a Mac, check that delocate found the libraries, and that they were built for ${appleArch(platform.arch)} and the deployment target`,
    });
  }
  return { bundled: report.bundled, platformTags: report.platformTags };
}

/** The same checks of a program archive or a static library (GMP's, before anything links it). */
export async function checkMachoFile(runner: CommandRunner, tools: ToolEnv, file: string, platform: Platform, target: string): Promise<MachoReport> {
  const report = await readMacho(runner, tools, file);
  const problems = machoProblems(report, platform, target, 'archive');
  if (Object.keys(report.archs).length === 0) problems.push(`${path.basename(file)} holds no Mach-O file`);
  if (problems.length > 0) {
    throw new UserError({ key: 'repair', message: `${path.basename(file)} is not fit for ${platform.id}: ${problems.join('; ')}`, fix: 'each problem names its file and fix' });
  }
  return report;
}
