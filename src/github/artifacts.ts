import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Artifact names: one per cell, unique per run as upload-artifact v4+ requires. */
export const ARTIFACT_PREFIX = 'native-matrix-';
export const artifactName = (cellId: string) => `${ARTIFACT_PREFIX}${cellId}`;

/**
 * Uploads every file of `dir` (a cell's output) as one artifact. Artifact
 * names are unique across every attempt of a run (409 on reuse), so an
 * earlier attempt's artifact of this name is deleted first, as
 * upload-artifact's `overwrite: true` does: "Re-run failed jobs" works.
 */
export async function uploadCellArtifact(name: string, dir: string): Promise<{ id?: number; size?: number }> {
  const { DefaultArtifactClient, ArtifactNotFoundError } = await import('@actions/artifact');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const client = new DefaultArtifactClient();
  try {
    await client.deleteArtifact(name);
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error;
  }
  return client.uploadArtifact(name, files, dir, { compressionLevel: 0 });
}

/** Downloads every `native-matrix-*` artifact of this run into `dir/<artifact name>/`. */
export async function downloadCellArtifacts(dir: string): Promise<string[]> {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  const client = new DefaultArtifactClient();
  const { artifacts } = await client.listArtifacts({ latest: true });
  const ours = artifacts.filter((artifact) => artifact.name.startsWith(ARTIFACT_PREFIX));
  for (const artifact of ours) {
    await client.downloadArtifact(artifact.id, { path: path.join(dir, artifact.name) });
  }
  return ours.map((artifact) => artifact.name).sort();
}

/**
 * Uploads `dir` as artifact `name`, deleting one of that name first: names
 * are unique across every attempt of a run, so a re-run job replaces its own.
 */
export async function replaceArtifact(name: string, dir: string): Promise<void> {
  const { DefaultArtifactClient, ArtifactNotFoundError } = await import('@actions/artifact');
  const client = new DefaultArtifactClient();
  try {
    await client.deleteArtifact(name);
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error;
  }
  await uploadCellArtifact(name, dir);
}
