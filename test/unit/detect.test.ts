import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { detectProject } from '../../src/backends/detect.js';
import { allowsPython } from '../../src/project/detect.js';
import { makeProject } from '../helpers/project.js';

const catalog = loadCatalog();

function detect(files: Record<string, string>, yaml = '{}\n') {
  const dir = makeProject({ ...files, 'native-matrix.yml': yaml });
  return detectProject(validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', `${dir}/native-matrix.yml`), { catalog }));
}

const MATURIN = '[build-system]\nrequires = ["maturin"]\nbuild-backend = "maturin"\n[project]\nname = "demo"\n';
const cargo = (deps: string, extra = '') => `[package]\nname = "demo"\nversion = "0.1.0"\n\n[dependencies]\n${deps}\n${extra}`;

describe('project detection', () => {
  it('finds abi3-pyXY on the pyo3 dependency', () => {
    expect(detect({ 'pyproject.toml': MATURIN, 'Cargo.toml': cargo('pyo3 = { version = "0.23", features = ["extension-module", "abi3-py311"] }') }).abi3).toEqual({
      enabled: true,
      floor: { major: 3, minor: 11 },
      evidence: 'Cargo.toml: pyo3 feature abi3-py311',
    });
  });

  it('finds abi3 in a [dependencies.pyo3] table', () => {
    expect(detect({ 'pyproject.toml': MATURIN, 'Cargo.toml': cargo('', '[dependencies.pyo3]\nversion = "0.23"\nfeatures = ["abi3-py310"]\n') }).abi3.floor).toEqual({ major: 3, minor: 10 });
  });

  it('finds abi3 on a workspace dependency', () => {
    const files = {
      'Cargo.toml': '[workspace]\nmembers = ["py"]\n\n[workspace.dependencies]\npyo3 = { version = "0.23", features = ["abi3-py39"] }\n',
      'py/pyproject.toml': MATURIN,
      'py/Cargo.toml': cargo('pyo3 = { workspace = true, features = ["extension-module"] }'),
    };
    expect(detect(files, 'project:\n  path: py\n').abi3).toMatchObject({ enabled: true, floor: { major: 3, minor: 9 } });
  });

  it('follows crate features enabled by default, and honours default-features: false', () => {
    const files = {
      'pyproject.toml': MATURIN,
      'Cargo.toml': cargo('pyo3 = "0.23"', '[features]\ndefault = ["stable-abi"]\nstable-abi = ["pyo3/abi3-py310"]\n'),
    };
    expect(detect(files).abi3).toEqual({ enabled: true, floor: { major: 3, minor: 10 }, evidence: 'Cargo.toml: crate features enable pyo3/abi3-py310' });
    expect(detect(files, 'project:\n  default-features: false\n').abi3.enabled).toBe(false);
    expect(detect(files, 'project:\n  default-features: false\n  features: [stable-abi]\n').abi3.enabled).toBe(true);
  });

  it('reads [tool.maturin] features', () => {
    const files = { 'pyproject.toml': `${MATURIN}[tool.maturin]\nfeatures = ["pyo3/abi3-py312"]\n`, 'Cargo.toml': cargo('pyo3 = "0.23"') };
    expect(detect(files).abi3.floor).toEqual({ major: 3, minor: 12 });
  });

  it('is not abi3 without the feature', () => {
    expect(detect({ 'pyproject.toml': MATURIN, 'Cargo.toml': cargo('pyo3 = { version = "0.23", features = ["extension-module"] }') }).abi3.enabled).toBe(false);
  });

  it('reads py_limited_api from setup.cfg, pyproject.toml and setup.py', () => {
    const setuptools = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n';
    expect(detect({ 'pyproject.toml': setuptools, 'setup.cfg': '[bdist_wheel]\npy_limited_api = cp39\n' }).abi3).toEqual({
      enabled: true,
      floor: { major: 3, minor: 9 },
      evidence: 'setup.cfg: [bdist_wheel] py_limited_api',
    });
    expect(detect({ 'pyproject.toml': `${setuptools}[tool.distutils.bdist_wheel]\npy-limited-api = "cp311"\n` }).abi3.floor).toEqual({ major: 3, minor: 11 });
    expect(
      detect({ 'pyproject.toml': setuptools, 'setup.py': 'setup(ext_modules=[Extension("x", ["x.c"], py_limited_api=True)], options={"bdist_wheel": {"py_limited_api": "cp310"}})\n' }).abi3.floor,
    ).toEqual({ major: 3, minor: 10 });
    expect(detect({ 'pyproject.toml': setuptools, 'setup.py': 'setup()\n' }).abi3.enabled).toBe(false);
  });

  it('chooses the backend', () => {
    expect(detect({ 'pyproject.toml': MATURIN, 'Cargo.toml': cargo('') }).backend).toBe('maturin');
    expect(detect({ 'setup.py': 'setup()\n' }).backend).toBe('setuptools');
    expect(detect({ 'pyproject.toml': '[build-system]\nbuild-backend = "scikit_build_core.build"\n' }).backend).toBe('setuptools');
    expect(detect({ 'Cargo.toml': cargo('') }, 'project:\n  kind: binary\n').backend).toBe('cargo');
    expect(detect({ 'pyproject.toml': MATURIN, 'Cargo.toml': cargo('') }, 'project:\n  backend: setuptools\n').backend).toBe('setuptools');
  });

  it('reads requires-python and checks versions against it', () => {
    const facts = detect({ 'pyproject.toml': `${MATURIN}requires-python = ">=3.10,<3.14"\n`, 'Cargo.toml': cargo('') });
    expect(facts.requiresPython).toBe('>=3.10,<3.14');
    const version = (v: string) => catalog.pythons.get(v)!;
    expect(allowsPython(facts.requiresPython, version('3.9'))).toBe(false);
    expect(allowsPython(facts.requiresPython, version('3.10'))).toBe(true);
    expect(allowsPython(facts.requiresPython, version('3.13t'))).toBe(true);
    expect(allowsPython(facts.requiresPython, version('3.14'))).toBe(false);
    expect(allowsPython('~=3.11', version('3.12'))).toBe(true);
    expect(allowsPython('!=3.12.*', version('3.12'))).toBe(false);
    expect(allowsPython(undefined, version('3.9'))).toBe(true);
  });
});
