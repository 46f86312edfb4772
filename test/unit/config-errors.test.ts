import { describe, expect, it } from 'vitest';
import { planCommand } from '../../src/commands/plan.js';
import { UserError } from '../../src/core/errors.js';
import type { Reporter } from '../../src/core/reporter.js';
import { ABI3_MATURIN_PROJECT, makeProject, SETUPTOOLS_PROJECT } from '../helpers/project.js';

const silent: Reporter = { info() {}, status() {}, warning() {}, group: (_title, work) => work(), section: (_title, work) => work() };

interface Case {
  readonly name: string;
  /** Config text; written to native-matrix.yml unless `file` says otherwise. */
  readonly config: string;
  readonly file?: 'native-matrix.yml' | 'pyproject.toml';
  readonly project?: Record<string, string>;
  readonly narrowing?: { platforms?: string[]; python?: string[] };
  /** The exact message, every line. */
  readonly expected: string;
}

const PYPROJECT_HEAD = `[build-system]
requires = ["maturin>=1.7,<2"]
build-backend = "maturin"

[project]
name = "demo"
requires-python = ">=3.10"
`;

/** A corpus of malformed configs and inputs, each with the exact message the user sees. */
const CASES: Case[] = [
  {
    name: 'metadata.strict not a boolean',
    config: 'metadata:\n  strict: sometimes\n',
    expected: 'native-matrix.yml:2: metadata.strict: expected a boolean, got the string "sometimes"; use true or false',
  },
  {
    name: 'metadata misspelt',
    config: 'metadata:\n  strikt: true\n',
    expected: 'native-matrix.yml:2: metadata.strikt: unknown key; did you mean "strict"?',
  },
  {
    name: 'end-of-life Python',
    config: 'matrix:\n  platforms: [linux-x86_64]\n  python:\n    - "3.12"\n    - "3.8"\n',
    expected: 'native-matrix.yml:5: matrix.python[1]: "3.8" is end-of-life and not in the catalog; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
  },
  {
    name: 'future Python',
    config: 'matrix:\n  python: ["3.15"]\n',
    expected: 'native-matrix.yml:2: matrix.python[0]: "3.15" is not in the catalog yet; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t), or upgrade native-matrix',
  },
  {
    name: 'unquoted 3.10 read as a number',
    config: 'matrix:\n  python: [3.10, "3.11"]\n',
    expected: 'native-matrix.yml:2: matrix.python[0]: 3.10 is a number and is read as 3.1; quote it: "3.10"',
  },
  {
    name: 'unquoted 3.12',
    config: 'matrix:\n  python:\n    - 3.12\n',
    expected: 'native-matrix.yml:3: matrix.python[0]: 3.12 is a number; quote it: "3.12"',
  },
  {
    name: 'malformed Python version',
    config: 'matrix:\n  python: ["py3.12"]\n',
    expected:
      'native-matrix.yml:2: matrix.python[0]: "py3.12" is not a Python version; write it as major.minor, e.g. "3.12", or "3.13t" for free-threaded; the catalog has 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
  },
  {
    name: 'free-threaded version that does not exist',
    config: 'matrix:\n  python: ["3.12t"]\n',
    expected: 'native-matrix.yml:2: matrix.python[0]: "3.12t" has no free-threaded build in the catalog (free-threading starts with 3.13); use 3.13t or 3.14t, or "3.12"',
  },
  {
    name: 'Python listed twice',
    config: 'matrix:\n  python: ["3.12", "3.13", "3.12"]\n',
    expected: 'native-matrix.yml:2: matrix.python[2]: "3.12" is listed twice; remove the repeat',
  },
  {
    name: 'empty Python list',
    config: 'matrix:\n  python: []\n',
    expected: 'native-matrix.yml:2: matrix.python: is empty; list at least one version, or remove the key for the default selection',
  },
  {
    name: 'misspelt platform',
    config: 'matrix:\n  platforms: [linux-x86_64, windows-x64]\n',
    expected:
      'native-matrix.yml:2: matrix.platforms[1]: "windows-x64" is not a platform in the catalog; did you mean "windows-x86_64"? (the catalog has linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64 or windows-arm64)',
  },
  {
    name: 'unknown platform',
    config: 'matrix:\n  platforms:\n    - freebsd-riscv\n',
    expected:
      'native-matrix.yml:3: matrix.platforms[0]: "freebsd-riscv" is not a platform in the catalog; use one of linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64 or windows-arm64',
  },
  {
    name: 'unknown preset',
    config: 'matrix:\n  platforms: ["preset:linuxx"]\n',
    expected: 'native-matrix.yml:2: matrix.platforms[0]: "preset:linuxx" is not a preset in the catalog; did you mean "preset:linux"?',
  },
  {
    name: 'platform listed twice',
    config: 'matrix:\n  platforms: [macos-arm64, macos-arm64]\n',
    expected: 'native-matrix.yml:2: matrix.platforms[1]: "macos-arm64" is listed twice; remove the repeat',
  },
  {
    name: 'platforms is a string',
    config: 'matrix:\n  platforms: linux-x86_64\n',
    expected: 'native-matrix.yml:2: matrix.platforms: expected a list, got the string "linux-x86_64"; write a list, e.g. [a, b]',
  },
  {
    name: 'unknown top-level key with suggestion',
    config: 'project:\n  kind: wheel\nmatrx:\n  python: ["3.12"]\n',
    expected: 'native-matrix.yml:3: matrx: unknown key; did you mean "matrix"?',
  },
  {
    name: 'unknown nested key without suggestion',
    config: 'gmp:\n  source: system\n  flavour: fat\n',
    expected: 'native-matrix.yml:3: gmp.flavour: unknown key; remove it; gmp takes source, version, libraries or tarballs',
  },
  {
    name: 'misspelt project key',
    config: 'project:\n  imprt: qsymbolic\n',
    expected: 'native-matrix.yml:2: project.imprt: unknown key; did you mean "import"?',
  },
  {
    name: 'wrong kind',
    config: 'project:\n  kind: whl\n',
    expected: 'native-matrix.yml:2: project.kind: the string "whl" is not allowed; use wheel, binary or both',
  },
  {
    name: 'wrong backend',
    config: 'project:\n  backend: poetry\n',
    expected: 'native-matrix.yml:2: project.backend: the string "poetry" is not allowed; use auto, maturin, setuptools or cargo',
  },
  {
    name: 'windows.build-on neither windows nor linux',
    config: 'windows:\n  build-on: macos\n',
    expected: 'native-matrix.yml:2: windows.build-on: the string "macos" is not allowed; use windows or linux',
  },
  {
    name: 'abi3 as a string',
    config: 'matrix:\n  abi3: "yes"\n',
    expected: 'native-matrix.yml:2: matrix.abi3: the string "yes" is not allowed; use auto, true or false',
  },
  {
    name: 'smoke as a number',
    config: 'project:\n  smoke: 42\n',
    expected: 'native-matrix.yml:2: project.smoke: the number 42 is not allowed; write a string or a list of strings',
  },
  {
    name: 'checksums not a boolean',
    config: 'publish:\n  checksums: "no"\n',
    expected: 'native-matrix.yml:2: publish.checksums: expected a boolean, got the string "no"; use true or false',
  },
  {
    name: 'pypi for a binary project',
    config: 'project:\n  kind: binary\npublish:\n  pypi: true\n',
    expected: 'native-matrix.yml:4: publish.pypi: PyPI takes wheels and sdists, and a binary project builds neither; remove publish.pypi, or set kind: wheel or both',
  },
  {
    name: 'sdist not a boolean',
    config: 'publish:\n  sdist: "yes"\n',
    expected: 'native-matrix.yml:2: publish.sdist: expected a boolean, got the string "yes"; use true or false',
  },
  {
    name: 'release policy unknown',
    config: 'publish:\n  release: always\n',
    expected: 'native-matrix.yml:2: publish.release: the string "always" is not allowed; use on-tag, on-dispatch, both or never',
  },
  {
    name: 'replace not a boolean',
    config: 'publish:\n  draft: false\n  replace: "yes"\n',
    expected: 'native-matrix.yml:3: publish.replace: expected a boolean, got the string "yes"; use true or false',
  },
  {
    name: 'prerelease as a string',
    config: 'publish:\n  prerelease: "rc"\n',
    expected: 'native-matrix.yml:2: publish.prerelease: the string "rc" is not allowed; use auto, true or false',
  },
  {
    name: 'latest misspelt',
    config: 'publish:\n  lastest: false\n',
    expected: 'native-matrix.yml:2: publish.lastest: unknown key; did you mean "latest"?',
  },
  {
    name: 'prune not a boolean',
    config: 'publish:\n  prune: "yes"\n',
    expected: 'native-matrix.yml:2: publish.prune: expected a boolean, got the string "yes"; use true or false',
  },
  {
    name: 'a pre-release marked Latest',
    config: 'publish:\n  prerelease: true\n  latest: true\n',
    expected:
      'native-matrix.yml:3: publish.latest: a pre-release cannot be marked Latest (publish.prerelease is true): GitHub refuses it; remove publish.latest, or set publish.prerelease to false or auto',
  },
  {
    name: 'GMP version malformed',
    config: 'gmp:\n  version: "6.3"\n',
    expected: 'native-matrix.yml:2: gmp.version: the string "6.3" is not valid; write a version such as "6.3.0"',
  },
  {
    name: 'GMP library unknown',
    config: 'gmp:\n  libraries: [gmp, flint]\n',
    expected: 'native-matrix.yml:2: gmp.libraries[1]: the string "flint" is not allowed; use gmp, mpfr or mpc',
  },
  {
    name: 'MPC without MPFR',
    config: 'gmp:\n  libraries: [gmp, mpc]\n',
    expected: 'native-matrix.yml:2: gmp.libraries: MPC needs MPFR; add mpfr to the list',
  },
  {
    name: 'libraries without gmp',
    config: 'gmp:\n  libraries: [mpfr]\n',
    expected: 'native-matrix.yml:2: gmp.libraries: MPFR and MPC are built on GMP, so gmp must be listed; add gmp to the list',
  },
  {
    name: 'tarball with a bad sha256',
    config: 'gmp:\n  source: build\n  tarballs:\n    gmp: { url: "https://example.org/gmp-6.3.0.tar.xz", sha256: "abc" }\n',
    expected: 'native-matrix.yml:4: gmp.tarballs.gmp.sha256: the string "abc" is not valid; write a sha256 is 64 lowercase hex digits',
  },
  {
    name: 'tarball for a library not asked for',
    config: `gmp:\n  tarballs:\n    mpfr: { url: "https://example.org/mpfr.tar.xz", sha256: "${'a'.repeat(64)}" }\n`,
    expected: 'native-matrix.yml:3: gmp.tarballs.mpfr: gives a tarball for mpfr, which gmp.libraries does not ask for; add mpfr to gmp.libraries or remove this tarball',
  },
  {
    name: 'empty exclude entry',
    config: 'matrix:\n  exclude:\n    - {}\n',
    expected: 'native-matrix.yml:3: matrix.exclude[0]: an exclude entry needs a platform, a python, or both; e.g. { platform: windows-x86_64, python: "3.10" }',
  },
  {
    name: 'exclude with unknown platform',
    config: 'matrix:\n  exclude:\n    - platform: windows\n      python: "3.12"\n',
    expected:
      'native-matrix.yml:3: matrix.exclude[0].platform: "windows" is not a platform in the catalog; use one of linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64 or windows-arm64',
  },
  {
    name: 'exclude with a misspelt key',
    config: 'matrix:\n  exclude:\n    - platfrom: windows-x86_64\n',
    expected: 'native-matrix.yml:3: matrix.exclude[0].platfrom: unknown key; did you mean "platform"?',
  },
  {
    name: 'binary with an import',
    config: 'project:\n  kind: binary\n  import: demo\n',
    expected: 'native-matrix.yml:3: project.import: a binary project has no module to import; remove project.import, or set kind: wheel or both',
  },
  {
    name: 'binary with Python versions',
    config: 'project:\n  kind: binary\nmatrix:\n  python: ["3.12"]\n',
    expected: 'native-matrix.yml:4: matrix.python: a binary project is not built per Python version; remove matrix.python, or set kind: both',
  },
  {
    name: 'cargo backend for a wheel',
    config: 'project:\n  backend: cargo\n',
    expected: 'native-matrix.yml:2: project.backend: cargo builds binaries, but project.kind is wheel; use backend: maturin (Rust) or setuptools (C), or auto',
  },
  {
    name: 'binary section for a wheel',
    config: 'project:\n  kind: wheel\n  binary: { name: demo }\n',
    expected: 'native-matrix.yml:3: project.binary: describes a binary, but project.kind is wheel; set kind: both, or remove project.binary',
  },
  {
    name: 'abi3 with split per Python',
    config: 'matrix:\n  split: python\n',
    expected:
      'native-matrix.yml:2: matrix.split: an abi3 wheel is built once per platform (Cargo.toml: pyo3 feature abi3-py310), so it cannot be split per Python; remove matrix.split, or set matrix.abi3: false',
  },
  {
    name: 'Python outside requires-python',
    config: 'matrix:\n  abi3: false\n  python: ["3.9", "3.12"]\n',
    expected: 'native-matrix.yml:3: matrix.python[0]: "3.9" is outside the project\'s requires-python ">=3.10"; remove it, or widen requires-python in pyproject.toml',
  },
  {
    name: 'Python below the abi3 floor',
    config: 'matrix:\n  python: ["3.9", "3.12"]\n',
    project: { ...ABI3_MATURIN_PROJECT, 'pyproject.toml': ABI3_MATURIN_PROJECT['pyproject.toml']!.replace('>=3.10', '>=3.8') },
    expected: 'native-matrix.yml:2: matrix.python[0]: "3.9" is older than the abi3 floor 3.10 (Cargo.toml: pyo3 feature abi3-py310); remove it, or lower the abi3 feature to abi3-py39',
  },
  {
    name: 'everything excluded',
    config: 'matrix:\n  platforms: [linux-x86_64]\n  exclude:\n    - platform: linux-x86_64\n',
    expected: 'native-matrix.yml:3: plan: no cells to build: the exclude rules remove every platform × Python pair; select at least one platform and Python version that no exclude removes',
  },
  {
    name: 'project path without a project',
    config: 'project:\n  path: nowhere\n',
    expected: 'native-matrix.yml:2: project.path: {dir}/nowhere holds no pyproject.toml, Cargo.toml or setup.py; set project.path to the directory of the package to build',
  },
  {
    name: 'YAML syntax error',
    config: 'matrix:\n  python: ["3.12"\nproject:\n',
    expected: 'native-matrix.yml:3: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; correct the YAML syntax (indentation, quotes, a missing colon)',
  },
  {
    name: 'duplicate YAML key',
    config: 'matrix:\n  abi3: true\n  abi3: false\n',
    expected: 'native-matrix.yml:3: not valid YAML: the key abi3 is written twice in the same mapping; remove one of them',
  },
  {
    name: 'pyproject: end-of-life Python in [tool.native-matrix.matrix]',
    file: 'pyproject.toml',
    config: `${PYPROJECT_HEAD}\n[tool.native-matrix.matrix]\npython = ["3.12", "3.7"]\n`,
    expected: 'pyproject.toml:10: tool.native-matrix.matrix.python[1]: "3.7" is end-of-life and not in the catalog; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
  },
  {
    name: 'pyproject: unknown key in an inline table',
    file: 'pyproject.toml',
    config: `${PYPROJECT_HEAD}\n[tool.native-matrix]\nproject = { kind = "wheel", imports = "demo" }\n`,
    expected: 'pyproject.toml:10: tool.native-matrix.project.imports: unknown key; did you mean "import"?',
  },
  {
    name: 'pyproject: number for a Python version',
    file: 'pyproject.toml',
    config: `${PYPROJECT_HEAD}\n[tool.native-matrix.matrix]\nabi3 = false\npython = [\n  3.10,\n]\n`,
    expected: 'pyproject.toml:12: tool.native-matrix.matrix.python[0]: 3.10 is a number and is read as 3.1; quote it: "3.10"',
  },
  {
    name: 'pyproject: array-of-tables exclude with unknown python',
    file: 'pyproject.toml',
    config: `${PYPROJECT_HEAD}\n[[tool.native-matrix.matrix.exclude]]\nplatform = "linux-x86_64"\n\n[[tool.native-matrix.matrix.exclude]]\nplatform = "macos-arm64"\npython = "2.7"\n`,
    expected: 'pyproject.toml:14: tool.native-matrix.matrix.exclude[1].python: "2.7" is end-of-life and not in the catalog; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
  },
  {
    name: 'pyproject: TOML syntax error',
    file: 'pyproject.toml',
    config: `${PYPROJECT_HEAD}\n[tool.native-matrix.matrix\npython = ["3.12"]\n`,
    expected: 'pyproject.toml:10: not valid TOML: The key, equals sign, and value must be on the same line; correct the TOML syntax',
  },
  {
    name: 'input platforms not in the catalog',
    config: 'matrix:\n  platforms: [linux-x86_64]\n',
    narrowing: { platforms: ['linux-x86_64', 'linux-arm'] },
    expected:
      'input platforms: "linux-arm" is not a platform in the catalog; use one of linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64 or windows-arm64',
  },
  {
    name: 'input python malformed',
    config: 'matrix:\n  platforms: [linux-x86_64]\n',
    narrowing: { python: ['3.12', 'latest'] },
    expected: 'input python: "latest" is not a Python version; write it as major.minor, e.g. "3.12", or "3.13t" for free-threaded; the catalog has 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
  },
  {
    name: 'inputs that select nothing',
    config: 'matrix:\n  platforms: [linux-x86_64]\n',
    narrowing: { platforms: ['macos-arm64'] },
    expected: 'plan: no cells to build: the platforms input selects none of the configured platforms; select at least one platform and Python version that no exclude removes',
  },
  {
    name: 'several problems at once',
    config: 'project:\n  kind: whl\nmatrix:\n  platforms: [linux]\n  python: ["3.8"]\n',
    expected: ['native-matrix.yml:2: project.kind: the string "whl" is not allowed; use wheel, binary or both'].join('\n'),
  },
];

async function messageFor(testCase: Case): Promise<string> {
  const file = testCase.file ?? 'native-matrix.yml';
  const dir = makeProject({
    ...(testCase.project ?? ABI3_MATURIN_PROJECT),
    ...(file === 'pyproject.toml' ? { 'pyproject.toml': testCase.config } : { [file]: testCase.config }),
  });
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await planCommand({ workingDirectory: dir, narrowing: testCase.narrowing ?? {}, event: { inputs: {} }, today: new Date('2026-11-22') }, silent);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return error.message.replaceAll(dir, '{dir}');
  } finally {
    process.chdir(cwd);
  }
  throw new Error('expected a UserError');
}

describe('config and input validation', () => {
  it('has a corpus of at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const testCase of CASES) {
    it(testCase.name, async () => {
      expect(await messageFor(testCase)).toBe(testCase.expected);
    });
  }

  it('reports every problem of a file in one run', async () => {
    const message = await messageFor({
      name: 'many',
      config: 'matrix:\n  platforms: [linux]\n  python: ["3.8", "3.13"]\n',
      expected: '',
    });
    expect(message.split('\n')).toEqual([
      'native-matrix.yml:2: matrix.platforms[0]: "linux" is not a platform in the catalog; did you mean "preset:linux"? (the catalog has linux-x86_64, linux-aarch64, linux-x86_64-musl, linux-aarch64-musl, macos-x86_64, macos-arm64, windows-x86_64 or windows-arm64)',
      'native-matrix.yml:3: matrix.python[0]: "3.8" is end-of-life and not in the catalog; use one of 3.9 … 3.14 (free-threaded: 3.13t, 3.14t)',
    ]);
  });

  it('accepts a setuptools project configured in pyproject.toml', async () => {
    const dir = makeProject({
      ...SETUPTOOLS_PROJECT,
      'pyproject.toml': `${SETUPTOOLS_PROJECT['pyproject.toml']}\n[tool.native-matrix.matrix]\nplatforms = ["linux-x86_64"]\npython = ["3.12", "3.13"]\n`,
    });
    const result = await planCommand({ workingDirectory: dir, narrowing: {}, event: { inputs: {} } }, silent);
    expect(result.cells.map((c) => c.id)).toEqual(['linux-x86_64', 'sdist']);
  });
});
