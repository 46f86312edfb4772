import type { Config } from '../config/types.js';
import { chooseBackend, projectFacts, readProjectFiles, type ProjectFacts } from '../project/detect.js';
import { backendFor } from './index.js';

/** Inspects the project directory: build backend, abi3 (as that backend reads it), requires-python, name. */
export function detectProject(config: Config): ProjectFacts {
  const files = readProjectFiles(config);
  const backend = backendFor(chooseBackend(config, files));
  return projectFacts(files, backend.name, backend.abi3(files, config));
}
