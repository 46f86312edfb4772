import path from 'node:path';
import { satisfies } from '@renovatebot/pep440';
import type { PythonVersion } from '../catalog/catalog.js';
import type { Backend, Config } from '../config/types.js';
import { UserError } from '../core/errors.js';
import { findWorkspaceManifest, readText, readToml, strings, table, type Table } from './files.js';

/** How the project is built: the config's backends, and `make` for C programs with a Makefile. */
export type BuildBackend = Exclude<Backend, 'auto'> | 'make';

export interface ProjectFacts {
  readonly backend: BuildBackend;
  readonly abi3: Abi3Facts;
  /** `requires-python` of pyproject.toml, when given. */
  readonly requiresPython?: string;
  /** The distribution name, from pyproject.toml or Cargo.toml. */
  readonly name?: string;
}

export interface Abi3Facts {
  readonly enabled: boolean;
  /** Oldest Python the abi3 wheel supports (`3.10` for `abi3-py310`). */
  readonly floor?: { readonly major: number; readonly minor: number };
  /** What showed it, for messages: `Cargo.toml: pyo3 feature abi3-py310`. */
  readonly evidence?: string;
}

/** The files of the project directory that say how it is built. */
export interface ProjectFiles {
  readonly dir: string;
  readonly pyproject?: Table;
  readonly cargo?: Table;
  readonly setupPy?: string;
  readonly setupCfg?: string;
  readonly makefile?: string;
  /** pyproject.toml's `build-system.build-backend`, or empty. */
  readonly buildBackend: string;
}

/** Reads the project directory's build files; a directory with none is the config's error. */
export function readProjectFiles(config: Config): ProjectFiles {
  const dir = config.project.dir;
  const pyproject = readToml(path.join(dir, 'pyproject.toml'));
  const cargo = readToml(path.join(dir, 'Cargo.toml'));
  const setupPy = readText(path.join(dir, 'setup.py'));
  const setupCfg = readText(path.join(dir, 'setup.cfg'));
  const makefile = readText(path.join(dir, 'Makefile'));
  if (!pyproject && !cargo && !setupPy && !makefile) {
    const where = config.locate(['project', 'path']);
    throw new UserError({
      location: where,
      key: 'project.path',
      message: `${dir} holds no pyproject.toml, Cargo.toml or setup.py${config.project.kind === 'binary' ? ' (or Makefile)' : ''}`,
      fix: 'set project.path to the directory of the package to build',
    });
  }
  const declaredBackend = table(pyproject?.['build-system'])['build-backend'];
  const buildBackend = typeof declaredBackend === 'string' ? declaredBackend : '';
  return { dir, pyproject, cargo, setupPy, setupCfg, makefile, buildBackend };
}

/** The facts of a project whose backend and abi3 are known. */
export function projectFacts(files: ProjectFiles, backend: BuildBackend, abi3: Abi3Facts): ProjectFacts {
  const project = table(files.pyproject?.project);
  const requiresPython = typeof project['requires-python'] === 'string' ? project['requires-python'] : undefined;
  const cargoName = table(files.cargo?.package).name;
  const name = typeof project.name === 'string' ? project.name : typeof cargoName === 'string' ? cargoName : undefined;
  return Object.freeze({ backend, abi3: Object.freeze(abi3), requiresPython, name });
}

/** PyO3's abi3 feature, as the crate and `[tool.maturin]` turn it on. */
export const pyo3Abi3 = (files: ProjectFiles, config: Config): Abi3Facts => detectPyo3Abi3(files.dir, files.cargo ?? {}, table(table(files.pyproject?.tool).maturin), config);

/** setuptools' py_limited_api, in pyproject.toml, setup.cfg or setup.py. */
export const setuptoolsAbi3 = (files: ProjectFiles): Abi3Facts => detectSetuptoolsAbi3(files.pyproject ?? {}, files.setupCfg, files.setupPy);

/** The backend the config names, or the one the project's files show. */
export function chooseBackend(config: Config, files: ProjectFiles): BuildBackend {
  if (config.project.backend !== 'auto') return config.project.backend;
  const { buildBackend } = files;
  // A C program with a Makefile (honouring CC, CFLAGS, LDFLAGS, EXEEXT).
  if (config.project.kind === 'binary') return files.cargo || !files.makefile ? 'cargo' : 'make';
  if (buildBackend === 'maturin') return 'maturin';
  if (buildBackend.startsWith('setuptools') || (!buildBackend && files.setupPy)) return 'setuptools';
  if (files.cargo && !buildBackend) return 'maturin';
  // Any other PEP 517 backend (scikit-build-core, meson-python, …) is driven
  // through the same front end as setuptools.
  return 'setuptools';
}

const ABI3_FEATURE = /^(?:pyo3\/)?abi3(?:-py(\d)(\d+))?$/;

/**
 * PyO3 projects are abi3 when pyo3's `abi3` or `abi3-pyXY` feature is on:
 * directly on the dependency (also through the workspace), through a crate
 * feature that is enabled by default or by the config, or through
 * `[tool.maturin] features`.
 */
function detectPyo3Abi3(dir: string, cargo: Table, maturin: Table, config: Config): Abi3Facts {
  const dependencyFeatures = new Set<string>();
  const pyo3 = table(table(cargo.dependencies).pyo3);
  strings(pyo3.features).forEach((f) => dependencyFeatures.add(f));
  if (pyo3.workspace === true) {
    const workspace = findWorkspaceManifest(dir);
    const shared = table(table(table(workspace?.manifest.workspace).dependencies).pyo3);
    strings(shared.features).forEach((f) => dependencyFeatures.add(f));
  }

  const crateFeatures = table(cargo.features);
  const enabled = new Set<string>();
  const enable = (feature: string) => {
    if (enabled.has(feature)) return;
    enabled.add(feature);
    for (const implied of strings(crateFeatures[feature])) enable(implied);
  };
  if (config.project.defaultFeatures && maturin['default-features'] !== false) enable('default');
  [...config.project.features, ...strings(maturin.features)].forEach(enable);
  const viaFeatures = [...enabled].filter((f) => f.startsWith('pyo3/')).map((f) => f.slice('pyo3/'.length));

  const candidates: [string, string][] = [
    ...[...dependencyFeatures].map((f): [string, string] => [f, `Cargo.toml: pyo3 feature ${f}`]),
    ...viaFeatures.map((f): [string, string] => [f, `Cargo.toml: crate features enable pyo3/${f}`]),
  ];
  return abi3FromFeatures(candidates);
}

function abi3FromFeatures(candidates: readonly [string, string][]): Abi3Facts {
  let best: Abi3Facts = { enabled: false };
  for (const [feature, evidence] of candidates) {
    const match = ABI3_FEATURE.exec(feature);
    if (!match) continue;
    const floor = match[1] ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
    // Several abi3-pyXY features may be on; the highest floor wins, as in PyO3.
    if (!best.enabled || (floor && (!best.floor || floor.minor > best.floor.minor))) {
      best = { enabled: true, floor, evidence };
    }
  }
  return best;
}

const LIMITED_API_TAG = /cp(\d)(\d+)/;

/** setuptools projects are abi3 when `py_limited_api` names a cpXY tag. */
function detectSetuptoolsAbi3(pyproject: Table, setupCfg?: string, setupPy?: string): Abi3Facts {
  const bdistWheel = table(table(table(pyproject.tool).distutils).bdist_wheel);
  const fromPyproject = bdistWheel['py-limited-api'] ?? bdistWheel.py_limited_api;
  const fromCfg = setupCfg && /^\s*py[-_]limited[-_]api\s*=\s*(\S+)/m.exec(setupCfg)?.[1];
  const fromPy = setupPy && /py_limited_api['"]?\s*[:=]\s*['"](cp\d+)['"]/.exec(setupPy)?.[1];
  const [value, evidence] =
    typeof fromPyproject === 'string'
      ? [fromPyproject, 'pyproject.toml: [tool.distutils.bdist_wheel] py-limited-api']
      : fromCfg
        ? [fromCfg, 'setup.cfg: [bdist_wheel] py_limited_api']
        : fromPy
          ? [fromPy, 'setup.py: py_limited_api']
          : [undefined, undefined];
  const match = value ? LIMITED_API_TAG.exec(value) : null;
  if (!match) return { enabled: false };
  return { enabled: true, floor: { major: Number(match[1]), minor: Number(match[2]) }, evidence };
}

/** Whether a Python version satisfies the project's `requires-python`. */
export function allowsPython(requiresPython: string | undefined, python: PythonVersion): boolean {
  if (!requiresPython) return true;
  // Any patch release of the minor version will do, as installers see it.
  return satisfies(`${python.major}.${python.minor}.99`, requiresPython);
}
