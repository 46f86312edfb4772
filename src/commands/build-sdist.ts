import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import type { Catalog } from '../catalog/catalog.js';
import { UserError } from '../core/errors.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import type { CellContext } from '../routes/context.js';
import type { ProjectFacts } from '../project/detect.js';
import { parseDistributionName } from '../core/dist-name.js';
import { importNameFor } from '../project/import-name.js';
import type { Interpreter } from '../core/interpreters.js';
import type { ManifestFile, SmokeResult } from '../stages/manifest.js';
import { describeFile } from '../core/hashing.js';
import { checkMetadata, reportMetadataWarnings, warningsOf } from '../stages/metadata.js';
import { buildSdist, sdistTools, wheelFromSdist } from '../stages/sdist.js';
import { smokeWheel } from '../stages/smoke.js';
import { chooseToolHost, ensureToolEnv } from '../core/tools.js';
import { backendFor } from '../backends/index.js';

export interface SdistCellInputs {
  readonly context: CellContext;
  readonly module: PlatformModule;
  readonly project: ProjectFacts;
  readonly catalog: Catalog;
  readonly gmp: GmpProvision;
  readonly interpreters: readonly Interpreter[];
  readonly outDir: string;
  /** Runs one timed, grouped stage of the cell. */
  readonly stage: <T>(name: string, title: string, work: () => Promise<T>) => Promise<T>;
  /** uv, being fetched since the cell started. */
  readonly uv?: Promise<string | undefined>;
}

/**
 * The `sdist` cell: builds NAME-VERSION.tar.gz into `outDir`, checks its
 * metadata, then proves it the way a user without a fitting wheel meets it:
 * a wheel built from the sdist alone (with GMP provisioned), repaired,
 * installed in a fresh venv per Python of the cell and imported. Only the
 * sdist is published; the proof's wheel stays in the scratch directory.
 */
export async function buildSdistCell({ context, module, project, catalog, gmp, interpreters, outDir, stage, uv }: SdistCellInputs): Promise<ManifestFile> {
  const { runner, env, reporter } = context;
  const fallbacks = [...catalog.pythons.values()].filter((p) => !p.freeThreaded).map((p) => p.version);
  const host = await chooseToolHost(interpreters, fallbacks, { runner, env, host: context.route.host });
  const tools = await stage('tools', 'Prepare build tools', () =>
    ensureToolEnv({ runner, host, tools: [...sdistTools(backendFor(project.backend)), ...module.repairTools], cacheDir: context.cacheDir, machine: context.route.host, uv, recordLater: true }),
  );
  const sdist = await stage('sdist', `Build the sdist (${project.backend})`, () => buildSdist(context, backendFor(project.backend), tools, outDir));
  const metadataWarnings = await stage('metadata', 'Check metadata (twine check)', () => checkMetadata(context, tools, [sdist]));
  reportMetadataWarnings(context, metadataWarnings);
  const name = parseDistributionName(path.basename(sdist))!;
  const importName = importNameFor(context.config, name.distribution);
  const smoke = await stage('smoke', `Build a wheel from ${path.basename(sdist)} and smoke-test it in ${interpreters.map((i) => i.version).join(', ')}`, async () => {
    const results: SmokeResult[] = [];
    for (const interpreter of interpreters) {
      const wheelDir = await mkdtemp(path.join(context.workDir, `sdist-proof-${interpreter.version}-`));
      const wheel = await wheelFromSdist({ context, module, gmp, tools, interpreter }, sdist, wheelDir);
      const built = parseDistributionName(path.basename(wheel))!;
      if (built.distribution !== name.distribution || built.version !== name.version) {
        throw new UserError({
          key: 'publish.sdist',
          message: `${path.basename(sdist)} builds ${path.basename(wheel)}: name or version differ`,
          fix: 'make the version static (or derived the same way) in pyproject.toml, so that the sdist and its wheels agree',
        });
      }
      const result = await smokeWheel({ context, tools, interpreter, wheelDir, distribution: name.distribution, importName });
      reporter.status(`Python ${interpreter.version} (${interpreter.fullVersion}), wheel built from the sdist: ${result.passed ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(1)} s`);
      results.push(result);
    }
    return results;
  });
  return {
    ...(await describeFile(sdist)),
    kind: 'sdist',
    platformTag: 'source',
    bundled: [],
    smokePassed: smoke.filter((s) => s.passed).map((s) => s.python!),
    smoke,
    ...warningsOf(metadataWarnings, sdist),
  };
}
