import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundledLibrary } from '../catalog/libraries.js';
import { MANIFEST_FILE } from '../core/names.js';

export const MANIFEST_SCHEMA = 1;

/** One smoke run: a Python version importing the wheel, or the binary running. */
export interface SmokeResult {
  /** Catalog version (`3.12`); absent for a binary. */
  readonly python?: string;
  /** The interpreter's full version. */
  readonly interpreter?: string;
  readonly passed: boolean;
  readonly seconds: number;
  /** The end of the output, when it failed. */
  readonly output?: string;
  /** The project's own tests (config `test`), run after the import passed. */
  readonly test?: TestResult;
}

/** One run of `test.command` in one Python. */
export interface TestResult {
  readonly passed: boolean;
  readonly seconds: number;
  /** The end of the output, when it failed. */
  readonly output?: string;
}

/** Whether a Python's smoke test passed, and its tests too when there were any. */
export const smokeAndTestPassed = (result: SmokeResult): boolean => result.passed && result.test?.passed !== false;

export interface ManifestFile {
  readonly name: string;
  readonly kind: 'wheel' | 'archive' | 'sdist';
  readonly sha256: string;
  readonly size: number;
  /** Wheel platform tag, the catalog platform id for an archive, `source` for an sdist. */
  readonly platformTag: string;
  readonly pythonTag?: string;
  readonly abiTag?: string;
  /** Shared libraries that travel inside. */
  readonly bundled: readonly string[];
  /** The libraries the file carries (shared or linked statically), with version, licence and where their licence texts are inside it. */
  readonly libraries?: readonly BundledLibrary[];
  /** The Python versions whose smoke test passed with this file. */
  readonly smokePassed: readonly string[];
  readonly smoke: readonly SmokeResult[];
  /** What `twine check` warned of (PyPI accepts it; `metadata.strict: true` would have failed the cell). */
  readonly metadataWarnings?: readonly string[];
}

/** What one build cell produced; written as manifest.json next to the files. */
export interface Manifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly generator: string;
  readonly cell: { readonly id: string; readonly platform: string; readonly target: string; readonly python: readonly string[]; readonly abi3: boolean };
  readonly project: { readonly name?: string; readonly version?: string };
  readonly gmp: {
    readonly source: 'system' | 'build';
    readonly version?: string;
    readonly libraries: readonly string[];
    /** For a from-source build: whether it came from the cache. */ readonly cached?: boolean;
  };
  /** The platform tag the cell's toolchain targeted (`manylinux_2_17_x86_64`), when not the build machine's own. */
  readonly compatibility?: string;
  readonly files: readonly ManifestFile[];
  /** The cell's full log (every command and its output), beside the manifest. */
  readonly log?: string;
  /** Pythons the cell built for that this machine could not run (a Windows CPython under wine it lacks), and why: on GitHub they run on the cell's own runner. `binary` for a program this machine cannot run (macOS built on Linux). */
  readonly notSmokeTested?: readonly { readonly python: string; readonly reason: string }[];
  /** Whether the cell was built and every smoke test passed. */
  readonly ok: boolean;
  /** Why the cell failed, when it did before its smoke tests could say. */
  readonly error?: string;
  /** The digest of the plan the cell was built for (plan.json); publish refuses cells of another plan. */
  readonly plan?: string;
  /** SOURCE_DATE_EPOCH the files were built with. */
  readonly sourceDateEpoch?: number;
  /** Seconds per stage. */
  readonly timings: Readonly<Record<string, number>>;
  readonly createdAt: string;
}

export async function writeManifest(outDir: string, manifest: Manifest): Promise<string> {
  const file = path.join(outDir, MANIFEST_FILE);
  await writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`);
  return file;
}
