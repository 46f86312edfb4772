// The names of the files and artifacts that pass between native-matrix's
// jobs (a cell's output, the plan, the release), in one neutral module: the
// stages write them, and plan, publish and the GitHub adapters read them
// without importing one another.

/** A cell's record of what it built, beside its files. */
export const MANIFEST_FILE = 'manifest.json';

/** A cell's full log, beside its manifest.json (and uploaded with it). */
export const CELL_LOG_FILE = 'build.log';

/** The plan as a file, which the plan job writes once and uploads as the artifact PLAN_ARTIFACT. */
export const PLAN_FILE = 'plan.json';
export const PLAN_ARTIFACT = 'native-matrix-plan';

/** Artifact names: one per cell, unique per run as upload-artifact v4+ requires. */
export const ARTIFACT_PREFIX = 'native-matrix-';
export const artifactName = (cellId: string) => `${ARTIFACT_PREFIX}${cellId}`;

/** Files publish writes next to the cells' files. */
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const RELEASE_MANIFEST_FILE = 'release-manifest.json';

/** The artifact that hands the verified wheels and sdist from publish to the workflows' pypi job. */
export const PYPI_ARTIFACT = 'pypi-distributions';
