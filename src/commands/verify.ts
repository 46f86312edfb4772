import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { backendFor } from '../backends/index.js';
import { detectProject } from '../backends/detect.js';
import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import { cacheRoot } from '../core/cache.js';
import { UserError } from '../core/errors.js';
import { currentHost } from '../core/host.js';
import type { CommandRunner } from '../core/process/runner.js';
import type { Reporter } from '../core/reporter.js';
import { chooseToolHost, ensureToolEnv, ensureUv } from '../core/tools.js';
import { parseWheelName, wheelFits } from '../core/wheel-name.js';
import { cellPythons } from '../plan/render.js';
import type { Cell } from '../plan/types.js';
import { platformModule } from '../platforms/index.js';
import { importNameFor } from '../project/import-name.js';
import type { CellContext } from '../routes/context.js';
import { resolveRoute } from '../routes/resolve.js';
import { smokeArchive } from '../stages/binary.js';
import { smokeAndTestPassed } from '../stages/manifest.js';
import { smokeWheel } from '../stages/smoke.js';

// A cell's built files checked on a machine of their own platform: what a
// cell cross-built on another OS's runner (windows.build-on or
// macos.build-on: linux) could not run where it was built. The same smoke
// test, test.command and program run as the build's own, on the real OS.

export interface VerifyOptions {
  readonly workingDirectory: string;
  readonly configPath?: string;
  readonly cell: Cell;
  /** The cell's files: its artifact (wheels, archives, manifest.json). */
  readonly fromDir: string;
  /** How the user named fromDir (`--from`), for messages. */
  readonly fromLabel?: string;
  readonly runner: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
  readonly cacheDir?: string;
}

export interface VerifyResult {
  /** One line per file and Python (or program run). */
  readonly lines: readonly string[];
  readonly failures: readonly string[];
}

/**
 * Installs each wheel of the cell into every Python of the cell it fits,
 * imports it and runs test.command; runs each program archive's smoke
 * command. Refuses a host that is not the cell's own kind of machine.
 */
export async function verifyCell(options: VerifyOptions, reporter: Reporter): Promise<VerifyResult> {
  const { cell, runner } = options;
  const env = options.env ?? process.env;
  const catalog = loadCatalog();
  const config = await loadConfig({ configPath: options.configPath, workingDirectory: options.workingDirectory, catalog });
  const platform = catalog.platforms.get(cell.platform);
  if (!platform || cell.sdist)
    throw new UserError({ key: 'cell', message: `${cell.id} has no built files to verify on a machine of their own`, fix: 'pass a cell of the plan that builds wheels or programs for a platform' });
  const project = detectProject(config);
  const backend = backendFor(project.backend);
  const resolution = resolveRoute(currentHost(), platform, { ...cell, backend: project.backend, manylinux: config.linux.manylinux });
  // Only the platform's own kind of machine proves that the files load: no cross route, no emulator.
  if (!resolution.route || resolution.route.cross || resolution.route.emulator !== 'none') {
    throw new UserError({ key: `cell ${cell.id}`, message: `is verified on a ${platform.os} ${platform.arch} machine, not this one`, fix: `run verify on ${cell.verify ?? platform.runner}` });
  }
  const files = existsSync(options.fromDir) ? await readdir(options.fromDir) : [];
  const wheels = cell.wheel ? files.filter((f) => f.endsWith('.whl')).sort() : [];
  const module = platformModule(platform);
  const archives = cell.binary ? files.filter((f) => f.endsWith(`-${platform.id}.${module.archiveFormat}`)).sort() : [];
  if ((cell.wheel && wheels.length === 0) || (cell.binary && archives.length === 0)) {
    throw new UserError({
      key: options.fromLabel ?? 'artifact',
      message: `${options.fromDir} holds no ${cell.wheel && wheels.length === 0 ? 'wheel' : 'program archive'} of cell ${cell.id}`,
      fix: `download the artifact native-matrix-${cell.id} there`,
    });
  }

  const cacheDir = options.cacheDir ?? cacheRoot(env);
  const workDir = await mkdtemp(path.join(tmpdir(), `native-matrix-verify-${cell.id}-`));
  const context: CellContext = { platform, route: resolution.route, config, runner, reporter, cacheDir, workDir, env, sourceDateEpoch: 0 };
  const lines: string[] = [];
  const failures: string[] = [];
  try {
    if (wheels.length > 0) {
      const interpreters = await reporter.group('Find the interpreters', () => module.findInterpreters(context, cellPythons(cell), backend));
      const uv = ensureUv({ runner, cacheDir, machine: resolution.route.host, env });
      const fallbacks = [...catalog.pythons.values()].filter((p) => !p.freeThreaded).map((p) => p.version);
      const host = await chooseToolHost(interpreters, fallbacks, { runner, env, host: resolution.route.host });
      const tools = await reporter.group('Prepare the installer', () => ensureToolEnv({ runner, host, tools: [], cacheDir, machine: resolution.route.host, uv }));
      const fits = (wheel: string, version: string) => wheelFits(parseWheelName(wheel), catalog.pythons.get(version) ?? { major: 0, minor: 0, freeThreaded: false });
      // Every Python of the cell gets a wheel, and every wheel a Python.
      for (const interpreter of interpreters) {
        if (!wheels.some((wheel) => fits(wheel, interpreter.version))) failures.push(`Python ${interpreter.version}: no wheel of the artifact fits it`);
      }
      for (const wheel of wheels) {
        const name = parseWheelName(wheel);
        const importName = importNameFor(config, name.distribution);
        const fitting = interpreters.filter((i) => fits(wheel, i.version));
        if (fitting.length === 0) failures.push(`${wheel}: fits none of the cell's Pythons (${cellPythons(cell).join(', ')})`);
        for (const interpreter of fitting) {
          const result = await reporter.group(`${wheel} in Python ${interpreter.fullVersion}`, () =>
            smokeWheel({ context, tools, interpreter, wheelDir: options.fromDir, distribution: name.distribution, importName }),
          );
          const line = `${wheel} on Python ${interpreter.version}: import ${result.passed ? 'passed' : 'FAILED'}${result.test ? `, test.command ${result.test.passed ? 'passed' : 'FAILED'}` : ''}`;
          lines.push(line);
          if (!smokeAndTestPassed(result)) failures.push(`${line}\n${result.output ?? result.test?.output ?? ''}`);
        }
      }
    }
    for (const archive of archives) {
      const result = await reporter.group(`Run the program of ${archive}`, () => smokeArchive(context, module, path.join(options.fromDir, archive)));
      const line = `${archive}: program ${result.passed ? 'passed' : 'FAILED'}`;
      lines.push(line);
      if (!result.passed) failures.push(`${line}\n${result.output ?? ''}`);
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  lines.forEach((line) => reporter.status(line));
  if (failures.length > 0) {
    throw new UserError({
      key: `cell ${cell.id}`,
      message: `failed verification on this machine:\n${failures.join('\n')}`,
      fix: 'do not publish these files: fix the build (the failing output is above) and run the workflow again',
    });
  }
  return { lines, failures };
}
