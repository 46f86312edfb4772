import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { ARTIFACT_PREFIX } from '../core/names.js';

/**
 * The artifact service's client, once the step is known to run in a job of a
 * workflow run: outside one (a step run by hand, a container without the
 * runner's variables) the client would fail deep inside with a stack trace.
 */
export async function artifactClient(what: string) {
  const missing = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL'].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new UserError({
      key: 'artifacts',
      message: `${what} needs the workflow run's artifact service, and this step runs outside a GitHub Actions job (${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set)`,
      fix: 'run the action as a step of a workflow job (as workflows/release.yml does), or from a terminal: `native-matrix build --out DIR` and `native-matrix publish --from DIR`',
    });
  }
  const artifact = await import('@actions/artifact');
  return { client: new artifact.DefaultArtifactClient(), ArtifactNotFoundError: artifact.ArtifactNotFoundError };
}

/**
 * Uploads every file of `dir` (a cell's output) as one artifact. Artifact
 * names are unique across every attempt of a run (409 on reuse), so an
 * earlier attempt's artifact of this name is deleted first, as
 * upload-artifact's `overwrite: true` does: "Re-run failed jobs" works.
 */
export async function uploadCellArtifact(name: string, dir: string): Promise<{ id?: number; size?: number }> {
  const { client, ArtifactNotFoundError } = await artifactClient(`uploading ${name}`);
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  try {
    await client.deleteArtifact(name);
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error;
  }
  return client.uploadArtifact(name, files, dir, { compressionLevel: 0 });
}

/** Downloads every `native-matrix-*` artifact of this run into `dir/<artifact name>/`. */
export async function downloadCellArtifacts(dir: string): Promise<string[]> {
  const { client } = await artifactClient("gathering the build cells' artifacts");
  const { artifacts } = await client.listArtifacts({ latest: true });
  const ours = artifacts.filter((artifact) => artifact.name.startsWith(ARTIFACT_PREFIX));
  for (const artifact of ours) {
    await client.downloadArtifact(artifact.id, { path: path.join(dir, artifact.name) });
  }
  return ours.map((artifact) => artifact.name).sort();
}

/** Downloads one cell's artifact into `dir` (the verify step's). */
export async function downloadCellArtifact(name: string, dir: string): Promise<void> {
  const { client, ArtifactNotFoundError } = await artifactClient(`downloading ${name}`);
  try {
    const { artifact } = await client.getArtifact(name);
    await client.downloadArtifact(artifact.id, { path: dir });
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error;
    throw new UserError({ key: 'artifact', message: `${name} is not in this workflow run`, fix: 'run the verify job after the build job of the same run (needs: build), for a cell that was built' });
  }
}

/**
 * Uploads `dir` as artifact `name`, deleting one of that name first: names
 * are unique across every attempt of a run, so a re-run job replaces its own.
 */
export async function replaceArtifact(name: string, dir: string): Promise<void> {
  const { client, ArtifactNotFoundError } = await artifactClient(`replacing ${name}`);
  try {
    await client.deleteArtifact(name);
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error;
  }
  await uploadCellArtifact(name, dir);
}
