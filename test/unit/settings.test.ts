import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { settingsFor } from '../../src/config/settings.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';

const catalog = loadCatalog();
const validate = (yaml: string) => validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
function messageFor(yaml: string): string {
  try {
    validate(yaml);
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('build, test and overrides settings', () => {
  const config = validate(`
build:
  environment: { PYO3_USE_ABI3_FORWARD_COMPATIBILITY: "1", CFLAGS: "-O3" }
  before-build: python gen.py
  args: ["--locked"]
test:
  requires: [pytest]
  command: ["pytest {project}/tests", "python -c 'print(1)'"]
  sources: [tests]
overrides:
  - platforms: [windows-x86_64]
    build: { environment: { CFLAGS: "-O2" } }
  - platforms: [preset:windows, linux-aarch64]
    build: { args: ["--frozen"] }
    test: { command: "pytest -x" }
`);

  it('resolves the base settings on a platform no override names', () => {
    expect(settingsFor(config, 'linux-x86_64')).toEqual({
      build: { environment: { PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1', CFLAGS: '-O3' }, beforeBuild: ['python gen.py'], args: ['--locked'] },
      test: { requires: ['pytest'], command: "pytest {project}/tests && python -c 'print(1)'", sources: ['tests'] },
    });
  });

  it('applies every override naming the platform, in order: environment merges by variable, other keys replace', () => {
    expect(settingsFor(config, 'windows-x86_64')).toEqual({
      build: { environment: { PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1', CFLAGS: '-O2' }, beforeBuild: ['python gen.py'], args: ['--frozen'] },
      test: { requires: ['pytest'], command: 'pytest -x', sources: ['tests'] },
    });
    expect(settingsFor(config, 'linux-aarch64').build.environment).toEqual({ PYO3_USE_ABI3_FORWARD_COMPATIBILITY: '1', CFLAGS: '-O3' });
    expect(settingsFor(config, 'linux-aarch64').build.args).toEqual(['--frozen']);
    expect(settingsFor(config, 'macos-arm64').build.args).toEqual(['--locked']);
  });

  it('has empty defaults and no tests when nothing is configured; an override can add tests to one platform', () => {
    const plain = validate('overrides:\n  - platforms: [linux-x86_64]\n    test: { requires: [pytest], command: pytest }\n');
    expect(settingsFor(plain, 'macos-arm64')).toEqual({ build: { environment: {}, beforeBuild: [], args: [] } });
    expect(settingsFor(plain, 'linux-x86_64').test).toEqual({ requires: ['pytest'], command: 'pytest', sources: [] });
  });

  it.each([
    ['an unknown test key', 'test:\n  require: [pytest]\n', 'native-matrix.yml:2: test.require: unknown key; did you mean "requires"?'],
    ['a number in the environment', 'build:\n  environment:\n    OPT: 2\n', 'native-matrix.yml:3: build.environment.OPT: 2 is a number; quote it: "2"'],
    [
      'a bad variable name',
      'build:\n  environment: { "MY-VAR": "1" }\n',
      'native-matrix.yml:2: build.environment.MY-VAR: "MY-VAR" is not a variable name; use letters, digits and _, not starting with a digit',
    ],
    ['args as a string', 'build:\n  args: --locked\n', 'native-matrix.yml:2: build.args: expected a list, got the string "--locked"; write a list, e.g. [a, b]'],
    ['an empty before-build command', 'build:\n  before-build: ["make gen", " "]\n', 'native-matrix.yml:2: build.before-build[1]: is an empty command; write a command, or remove it'],
    [
      'test sources outside the project',
      'test:\n  command: pytest\n  sources: [tests, ../shared]\n',
      'native-matrix.yml:3: test.sources[1]: "../shared" is outside the project; give a path relative to the project directory, inside it',
    ],
    ['test sources without a command', 'test:\n  sources: [tests]\n', 'native-matrix.yml:2: test.sources: copies test sources, but no test.command runs them; add test.command, e.g. "pytest"'],
    [
      'tests for a binary project',
      'project:\n  kind: binary\ntest:\n  command: pytest\n',
      'native-matrix.yml:3: test: tests run against a wheel, but project.kind is binary; set kind: wheel or both, or remove the key',
    ],
    [
      'an override of another key',
      'overrides:\n  - platforms: [linux-x86_64]\n    matrix: { python: ["3.12"] }\n',
      'native-matrix.yml:3: overrides[0].matrix: unknown key; remove it; overrides[0] takes platforms, build or test',
    ],
    ['an override of an unknown platform', 'overrides:\n  - platforms: [windows-x86-64]\n    build: { args: [] }\n', 'native-matrix.yml:2: overrides[0].platforms[0]: '],
    ['an override without platforms', 'overrides:\n  - build: { args: [] }\n', 'native-matrix.yml:2: overrides[0].platforms: expected a list, got nothing; write a list, e.g. [a, b]'],
    ['an override that changes nothing', 'overrides:\n  - platforms: [linux-x86_64]\n', 'native-matrix.yml:2: overrides[0]: changes nothing; give it build: or test: settings, or remove it'],
    ['binary.package with a number', 'project:\n  kind: both\n  binary: { name: cli, package: 7 }\n', 'native-matrix.yml:3: project.binary.package: 7 is a number; quote it: "7"'],
  ])('reports %s with file, line and fix', (_name, yaml, expected) => {
    const message = messageFor(yaml);
    if (expected.endsWith(': ')) expect(message.startsWith(expected), message).toBe(true);
    else expect(message).toBe(expected);
  });
});
