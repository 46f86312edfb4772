// act copies this action out of the repository, so @actions/artifact is
// imported from the repository's node_modules, which the test names.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.NATIVE_MATRIX_ACT_NODE_MODULES;
const { DefaultArtifactClient } = await import(pathToFileURL(path.join(modules, '@actions/artifact/lib/artifact.js')).href);
const client = new DefaultArtifactClient();
const { artifact } = await client.getArtifact(process.env.ARTIFACT_NAME);
const target = path.resolve(process.env.GITHUB_WORKSPACE ?? '.', process.env.ARTIFACT_PATH ?? '.');
await client.downloadArtifact(artifact.id, { path: target });
console.log(`downloaded ${artifact.name} to ${target}`);
