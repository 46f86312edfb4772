// Resolves @actions/artifact from the repository's node_modules.
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';

const client = new DefaultArtifactClient();
const { artifact } = await client.getArtifact(process.env.ARTIFACT_NAME);
const target = path.resolve(process.env.GITHUB_WORKSPACE ?? '.', process.env.ARTIFACT_PATH ?? '.');
await client.downloadArtifact(artifact.id, { path: target });
console.log(`downloaded ${artifact.name} to ${target}`);
