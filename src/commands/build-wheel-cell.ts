import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { Backend } from '../backends/types.js';
import { UserError } from '../core/errors.js';
import { describeFile } from '../core/hashing.js';
import type { Interpreter } from '../core/interpreters.js';
import type { ToolEnv } from '../core/tools.js';
import { parseWheelName, wheelFits } from '../core/wheel-name.js';
import type { Cell } from '../plan/types.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import type { CargoGraph } from '../project/cargo-features.js';
import type { ProjectFacts } from '../project/detect.js';
import { importNameFor } from '../project/import-name.js';
import type { CellContext } from '../routes/context.js';
import { auditAbi3 } from '../stages/abi3-audit.js';
import { carriedLibraries, staticLibraries } from '../stages/carried-libraries.js';
import { addWheelLicences } from '../stages/licence-files.js';
import type { ManifestFile, SmokeResult } from '../stages/manifest.js';
import { checkMetadata, reportMetadataWarnings, warningsOf } from '../stages/metadata.js';
import { smokeWheel } from '../stages/smoke.js';

/** What the manifest and the licence texts name as their maker. */
export const GENERATOR = `native-matrix ${__VERSION__}`;

export interface WheelCellInputs {
  readonly context: CellContext;
  readonly module: PlatformModule;
  readonly backend: Backend;
  readonly project: ProjectFacts;
  readonly catalog: Catalog;
  readonly cell: Cell;
  readonly gmp: GmpProvision;
  readonly tools: ToolEnv;
  readonly interpreters: readonly Interpreter[];
  readonly cargoGraph?: CargoGraph;
  readonly outDir: string;
  /** Runs one timed, grouped stage of the cell. */
  readonly stage: <T>(name: string, title: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * A cell's wheels: built by the project's backend, repaired (GMP inside),
 * checked, given the licence texts of what they carry, their metadata
 * checked, and each smoke-tested (and tested) in every Python of the cell it fits.
 */
export async function buildWheelCell({ context, module, backend, project, catalog, cell, gmp, tools, interpreters, cargoGraph, outDir, stage }: WheelCellInputs): Promise<ManifestFile[]> {
  const { config, platform, reporter } = context;
  const files: ManifestFile[] = [];
  const buildWith = cell.abi3 ? interpreters.filter((i) => !i.freeThreaded) : interpreters;
  // Each wheel is repaired as soon as it is built, one at a time, while the
  // next interpreter's is being built: the repair stage then waits only for
  // what is left.
  let statics: ReturnType<typeof staticLibraries> | undefined;
  const repairOne = async (wheel: string) => {
    statics ??= staticLibraries(context, backend);
    const fixed = await module.repairWheel(context, wheel, outDir, gmp, tools);
    if (cell.abi3) await auditAbi3(context, tools, fixed);
    const check = await module.checkWheel(context, fixed, tools);
    // What the wheel carries, and the licence texts that must go with it (after the repair that bundled it).
    const { distribution, version } = parseWheelName(path.basename(fixed));
    const carried = carriedLibraries(context, gmp, check.bundled, await statics, path.basename(fixed));
    const libraries = await addWheelLicences(fixed, carried, { name: distribution, version, generator: GENERATOR, epochSeconds: context.sourceDateEpoch });
    return { path: fixed, check, libraries };
  };
  const repairs = new Map<string, ReturnType<typeof repairOne>>();
  let repairing: Promise<unknown> = Promise.resolve();
  const repair = (wheel: string) => {
    let result = repairs.get(wheel);
    if (!result) {
      result = repairing.then(() => repairOne(wheel));
      repairing = result.catch(() => undefined);
      repairs.set(wheel, result);
    }
    return result;
  };
  let built: string[];
  try {
    built = await stage('build', `Build wheels (${project.backend})`, () =>
      backend.buildWheels!({ context, module, project, gmp, tools, interpreters: buildWith, abi3: cell.abi3, cargoGraph, onWheel: (wheel) => void repair(wheel).catch(() => undefined) }),
    );
  } catch (error) {
    // Nothing of the cell runs on after a failed build: a repair it started ends first.
    await repairing;
    throw error;
  }
  const repaired = await stage('repair', `Repair wheels (${platform.repair})`, () => Promise.all(built.map(repair)));
  const metadataWarnings = await stage('metadata', 'Check metadata (twine check)', () =>
    checkMetadata(
      context,
      tools,
      repaired.map((r) => r.path),
    ),
  );
  reportMetadataWarnings(context, metadataWarnings);
  const distribution = parseWheelName(path.basename(repaired[0]!.path)).distribution;
  const importName = importNameFor(config, distribution);
  const smoke = await stage(
    'smoke',
    `Smoke-test in ${
      interpreters
        .filter((i) => !i.untested)
        .map((i) => i.version)
        .join(', ') || 'no interpreter here'
    }`,
    async () => {
      const results: SmokeResult[] = [];
      for (const interpreter of interpreters) {
        if (interpreter.untested) continue;
        const result = await smokeWheel({ context, tools, interpreter, wheelDir: outDir, distribution, importName });
        const tests = result.test ? `; tests ${result.test.passed ? 'passed' : 'FAILED'} in ${result.test.seconds.toFixed(1)} s` : '';
        reporter.status(`Python ${interpreter.version} (${interpreter.fullVersion}): ${result.passed ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s${tests}`);
        results.push(result);
      }
      return results;
    },
  );
  for (const { path: wheel, check, libraries } of repaired) {
    const name = parseWheelName(path.basename(wheel));
    const fitting = smoke.filter((s) => {
      const python = catalog.pythons.get(s.python!);
      return python && wheelFits(name, python);
    });
    files.push({
      ...(await describeFile(wheel)),
      kind: 'wheel',
      platformTag: name.platformTag,
      pythonTag: name.pythonTag,
      abiTag: name.abiTag,
      bundled: check.bundled,
      libraries,
      smokePassed: fitting.filter((s) => s.passed).map((s) => s.python!),
      smoke: fitting,
      ...warningsOf(metadataWarnings, wheel),
    });
  }
  const unmatched = smoke.filter((s) => !files.some((f) => f.smoke.includes(s)));
  if (unmatched.length > 0) {
    throw new UserError({ key: `cell ${cell.id}`, message: `no wheel fits Python ${unmatched.map((s) => s.python).join(', ')}`, fix: 'check the abi3 setting and the interpreters of the cell' });
  }
  return files;
}
