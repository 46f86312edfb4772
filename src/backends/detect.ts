import type { Config } from '../config/types.js';
import { chooseBackend, projectFacts, pyo3Abi3, readProjectFiles, setuptoolsAbi3, type Abi3Facts, type BuildBackend, type ProjectFacts, type ProjectFiles } from '../project/detect.js';

// How each backend reads a project, apart from its build code: `plan`
// detects the project at start-up, and loads nothing it does not need.

/** Whether, and from which Python on, a backend's wheels are abi3, as the project's files say to it. */
const ABI3: Readonly<Record<BuildBackend, (files: ProjectFiles, config: Config) => Abi3Facts>> = {
  maturin: pyo3Abi3,
  setuptools: setuptoolsAbi3,
  // A crate's wheels (kind both) are PyO3's; without a Cargo.toml, the Python package's own.
  cargo: (files, config) => (files.cargo ? pyo3Abi3(files, config) : setuptoolsAbi3(files)),
  make: setuptoolsAbi3,
};

/** Inspects the project directory: build backend, abi3 (as that backend reads it), requires-python, name. */
export function detectProject(config: Config): ProjectFacts {
  const files = readProjectFiles(config);
  const backend = chooseBackend(config, files);
  return projectFacts(files, backend, ABI3[backend](files, config));
}
