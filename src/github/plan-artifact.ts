import path from 'node:path';
import { UserError } from '../core/errors.js';
import { PLAN_ARTIFACT, PLAN_FILE } from '../core/names.js';
import { artifactClient, uploadCellArtifact } from './artifacts.js';

/** Uploads `dir` (holding plan.json) as the run's plan artifact, the way a cell's directory is uploaded. */
export async function uploadPlanArtifact(dir: string): Promise<void> {
  await uploadCellArtifact(PLAN_ARTIFACT, dir);
}

/** Downloads this run's plan artifact into `dir` and returns the path of its plan.json. */
export async function downloadPlanArtifact(dir: string): Promise<string> {
  const { client } = await artifactClient(`reading the plan (artifact ${PLAN_ARTIFACT})`);
  let id: number;
  try {
    ({
      artifact: { id },
    } = await client.getArtifact(PLAN_ARTIFACT));
  } catch (error) {
    throw new UserError({
      key: `artifact ${PLAN_ARTIFACT}`,
      message: `is not in this workflow run (${(error as Error).message})`,
      fix: 'run `command: plan` in a job of the same run that this job needs (as workflows/release.yml does), and pass its matrix to the build job',
    });
  }
  await client.downloadArtifact(id, { path: dir });
  return path.join(dir, PLAN_FILE);
}
