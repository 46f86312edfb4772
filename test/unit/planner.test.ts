import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog, parseCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError, type Problem } from '../../src/core/errors.js';
import { parseCell } from '../../src/plan/cell.js';
import { planMatrix, type Narrowing } from '../../src/plan/planner.js';
import { estimateMinutes } from '../../src/plan/render.js';
import type { ProjectFacts } from '../../src/project/detect.js';

const catalog = loadCatalog();
const ABI3: ProjectFacts = { backend: 'maturin', abi3: { enabled: true, floor: { major: 3, minor: 10 }, evidence: 'Cargo.toml: pyo3 feature abi3-py310' }, requiresPython: '>=3.10' };
const NOT_ABI3: ProjectFacts = { backend: 'setuptools', abi3: { enabled: false } };
const FIVE = 'platforms: [linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-x86_64]';
const PY_10_14 = 'python: ["3.10", "3.11", "3.12", "3.13", "3.14"]';

function plan(yaml: string, project: ProjectFacts = ABI3, narrowing: Narrowing = {}, cat = catalog) {
  const config = validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/project/native-matrix.yml'), { catalog: cat });
  const result = planMatrix({ config, catalog: cat, project, narrowing, today: new Date('2026-11-22') });
  // The platform cells; the sdist cell has tests of its own.
  return { ...result, cells: result.cells.filter((c) => !c.sdist), all: result.cells };
}

const ids = (yaml: string, project?: ProjectFacts, narrowing?: Narrowing) => plan(yaml, project, narrowing).cells.map((c) => c.id);

describe('planner', () => {
  it('collapses an abi3 project to one cell per platform that tests every Python', () => {
    const { cells } = plan(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n`);
    expect(cells).toHaveLength(5);
    expect(cells.every((c) => c.abi3 && c.python === '3.10\n3.11\n3.12\n3.13\n3.14')).toBe(true);
    expect(cells[0]).toEqual({
      id: 'linux-x86_64-abi3',
      platform: 'linux-x86_64',
      os: 'linux',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      target: 'x86_64-unknown-linux-gnu',
      python: '3.10\n3.11\n3.12\n3.13\n3.14',
      abi3: true,
      wheel: true,
      binary: false,
      experimental: false,
    });
    expect(cells.find((c) => c.platform === 'windows-x86_64')?.target).toBe('x86_64-pc-windows-gnu');
  });

  it('builds all Pythons of a platform in one cell when not abi3', () => {
    const { cells } = plan(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n  abi3: false\n`);
    expect(cells.map((c) => c.id)).toEqual(['linux-x86_64', 'linux-aarch64', 'macos-x86_64', 'macos-arm64', 'windows-x86_64']);
    expect(cells.every((c) => !c.abi3 && c.python.split('\n').length === 5)).toBe(true);
  });

  it('splits per Python on request', () => {
    const cells = ids(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n  split: python\n`, NOT_ABI3);
    expect(cells).toHaveLength(25);
    expect(cells.slice(0, 5)).toEqual(['linux-x86_64-cp310', 'linux-x86_64-cp311', 'linux-x86_64-cp312', 'linux-x86_64-cp313', 'linux-x86_64-cp314']);
  });

  it('gives free-threaded versions their own cells next to the abi3 cell', () => {
    const { cells } = plan('matrix:\n  platforms: [linux-x86_64, macos-arm64]\n  python: ["3.12", "3.13", "3.13t", "3.14t"]\n');
    expect(cells.map((c) => [c.id, c.python, c.abi3])).toEqual([
      ['linux-x86_64-abi3', '3.12\n3.13', true],
      ['linux-x86_64-cp313t', '3.13t', false],
      ['linux-x86_64-cp314t', '3.14t', false],
      ['macos-arm64-abi3', '3.12\n3.13', true],
      ['macos-arm64-cp313t', '3.13t', false],
      ['macos-arm64-cp314t', '3.14t', false],
    ]);
  });

  it('keeps free-threaded versions in the platform cell when not abi3', () => {
    expect(plan('matrix:\n  platforms: [linux-x86_64]\n  python: ["3.13", "3.13t"]\n', NOT_ABI3).cells.map((c) => c.python)).toEqual(['3.13\n3.13t']);
  });

  it('uses the catalog defaults: stable platforms and supported Pythons', () => {
    const { cells } = plan('{}\n', NOT_ABI3);
    expect(cells.map((c) => c.platform)).toEqual(['linux-x86_64', 'linux-aarch64', 'macos-x86_64', 'macos-arm64', 'windows-x86_64']);
    expect(cells[0]!.python).toBe('3.11\n3.12\n3.13\n3.14');
  });

  it('drops default Pythons that requires-python or the abi3 floor exclude', () => {
    const facts: ProjectFacts = { ...ABI3, abi3: { enabled: true, floor: { major: 3, minor: 12 }, evidence: 'x' }, requiresPython: '>=3.11,<3.14' };
    expect(plan('matrix:\n  platforms: [linux-x86_64]\n', facts).cells[0]!.python).toBe('3.12\n3.13');
  });

  it('applies excludes and warns about one that matches nothing', () => {
    const result = plan(
      `matrix:\n  platforms: [linux-x86_64, windows-x86_64]\n  python: ["3.12", "3.13"]\n  abi3: false\n  exclude:\n    - { platform: windows-x86_64, python: "3.12" }\n    - { platform: macos-arm64 }\n`,
    );
    expect(result.cells.map((c) => [c.id, c.python])).toEqual([
      ['linux-x86_64', '3.12\n3.13'],
      ['windows-x86_64', '3.13'],
    ]);
    expect(result.warnings).toEqual<Problem[]>([
      { location: { file: 'native-matrix.yml', line: 7, column: 7 }, key: 'matrix.exclude[1]', message: 'matches no cell of the plan', fix: 'remove it, or correct its platform or python' },
    ]);
  });

  it('excludes a whole Python version across platforms', () => {
    expect(ids(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n  split: python\n  exclude: [{ python: "3.10" }]\n`, NOT_ABI3)).toHaveLength(20);
  });

  it('narrows by the platforms and python inputs, warning about items that select nothing', () => {
    const result = plan(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n  abi3: false\n`, NOT_ABI3, {
      platforms: ['linux-x86_64', 'windows-x86_64', 'linux-x86_64-musl'],
      python: ['3.12', '3.13'],
    });
    expect(result.cells.map((c) => [c.id, c.python])).toEqual([
      ['linux-x86_64', '3.12\n3.13'],
      ['windows-x86_64', '3.12\n3.13'],
    ]);
    expect(result.warnings.map((w) => `${w.key}: ${w.message}`)).toEqual([
      'input platforms: "linux-x86_64-musl" matches nothing in the config\'s selection (linux-x86_64, linux-aarch64, macos-x86_64, macos-arm64, windows-x86_64)',
      'matrix.python[0]: Python 3.10 reached its end of life on 2026-10-31',
    ]);
  });

  it('narrows by a preset', () => {
    expect(ids(`matrix:\n  ${FIVE}\n`, ABI3, { platforms: ['preset:macos'] })).toEqual(['macos-x86_64-abi3', 'macos-arm64-abi3']);
  });

  it('warns when an explicitly selected Python is past its end of life', () => {
    const { warnings } = plan('matrix:\n  platforms: [linux-x86_64]\n  python: ["3.10", "3.13"]\n');
    expect(warnings.map((w) => w.message)).toEqual(['Python 3.10 reached its end of life on 2026-10-31']);
  });

  it('plans one binary cell per platform for kind: binary', () => {
    const { cells } = plan('project:\n  kind: binary\nmatrix:\n  platforms: [linux-x86_64, windows-x86_64]\n', { backend: 'cargo', abi3: { enabled: false } });
    expect(cells.map((c) => [c.id, c.python, c.wheel, c.binary])).toEqual([
      ['linux-x86_64', '', false, true],
      ['windows-x86_64', '', false, true],
    ]);
  });

  it('builds the binary once per platform for kind: both', () => {
    const { cells } = plan('project:\n  kind: both\nmatrix:\n  platforms: [linux-x86_64]\n  python: ["3.13", "3.13t"]\n');
    expect(cells.map((c) => [c.id, c.wheel, c.binary])).toEqual([
      ['linux-x86_64-abi3', true, true],
      ['linux-x86_64-cp313t', true, false],
    ]);
  });

  it('marks experimental platforms', () => {
    expect(plan('matrix:\n  platforms: [linux-x86_64-musl]\n').cells[0]!.experimental).toBe(true);
  });

  it("refuses a plan over GitHub's 256-job limit", () => {
    const platforms = Array.from({ length: 40 }, (_, i) => `  p${i}: { os: linux, arch: x86_64, runner: r, target: t, wheel-tag: w, repair: auditwheel, minutes: { build: 1, smoke: 1 } }`).join('\n');
    const big = parseCatalog({
      platforms: parse(`platforms:\n${platforms}\nminute-multipliers: { linux: 1, windows: 2, macos: 10 }\n`),
      python: parse(
        'python:\n  "3.11": { end-of-life: 2027-10-31, default: true }\n  "3.12": { end-of-life: 2028-10-31, default: true }\n  "3.13": { end-of-life: 2029-10-31, default: true }\n  "3.14": { end-of-life: 2030-10-31, default: true }\n  "3.13t": { end-of-life: 2029-10-31, free-threaded: true }\n  "3.14t": { end-of-life: 2030-10-31, free-threaded: true }\n  "3.10": { end-of-life: 2026-10-31 }\n',
      ),
      presets: { presets: {} },
    });
    const run = (python: string) => () => plan(`matrix:\n  split: python\n  python: ${python}\n`, NOT_ABI3, {}, big);
    expect(run('["3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t"]')).not.toThrow(); // 240 cells
    expect(run('["3.10", "3.11", "3.12", "3.13", "3.14", "3.13t", "3.14t"]')).toThrow(
      new UserError({ key: 'plan', message: "280 cells exceed GitHub's limit of 256 jobs per matrix", fix: 'select fewer platforms or Python versions, or remove matrix.split' }),
    );
  });

  it('gives the same ids for the same inputs, whatever the order of the config lists', () => {
    const a = ids('matrix:\n  platforms: [windows-x86_64, linux-x86_64]\n  python: ["3.13", "3.12"]\n  split: python\n', NOT_ABI3);
    const b = ids('matrix:\n  platforms: [linux-x86_64, windows-x86_64]\n  python: ["3.12", "3.13"]\n  split: python\n', NOT_ABI3);
    expect(a).toEqual(b);
    expect(a).toEqual(['linux-x86_64-cp312', 'linux-x86_64-cp313', 'windows-x86_64-cp312', 'windows-x86_64-cp313']);
  });

  it('gives unique ids across the whole catalog', () => {
    const all = ids(`matrix:\n  platforms: [${[...catalog.platforms.keys()].join(', ')}]\n  python: [${[...catalog.pythons.keys()].map((v) => `"${v}"`).join(', ')}]\n  split: python\n`, NOT_ABI3);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(catalog.platforms.size * catalog.pythons.size);
  });
});

describe('windows.build-on', () => {
  const WINDOWS = 'matrix:\n  platforms: [linux-x86_64, windows-x86_64]\n  python: ["3.12", "3.13"]\n';

  it('builds windows-x86_64 on its Windows runner by default, billed at the Windows rate', () => {
    const { cells } = plan(WINDOWS);
    const windows = cells.find((c) => c.platform === 'windows-x86_64')!;
    expect(windows).toMatchObject({ runner: 'windows-2025', os: 'windows', target: 'x86_64-pc-windows-gnu' });
    expect(windows).not.toHaveProperty('verify');
    // windows-x86_64: 10 build + 2 × 1 smoke minutes, ×2; linux-x86_64: 6 + 2, ×1.
    expect(estimateMinutes(cells, catalog)).toEqual({ minutes: 12 + 8, billed: 24 + 8 });
  });

  it('with linux, cross-builds on the ubuntu runner and imports on the Windows runner: the estimate follows', () => {
    const { cells } = plan(`${WINDOWS}windows:\n  build-on: linux\n`);
    const windows = cells.find((c) => c.platform === 'windows-x86_64')!;
    expect(windows).toMatchObject({ id: 'windows-x86_64-abi3', runner: 'ubuntu-24.04', verify: 'windows-2025', os: 'windows', target: 'x86_64-pc-windows-gnu' });
    expect(cells.find((c) => c.platform === 'linux-x86_64')).not.toHaveProperty('verify');
    // The cell's 12 minutes at the Linux rate, plus its 2 import minutes on Windows at ×2.
    expect(estimateMinutes(cells, catalog)).toEqual({ minutes: 12 + 2 + 8, billed: 12 + 4 + 8 });
    // The cell goes through the workflow and back unchanged.
    expect(parseCell(JSON.stringify(windows), 'cell')).toEqual(windows);
  });

  it('cross-builds a setuptools C extension there too, on the Linux runner', () => {
    const setuptools: ProjectFacts = { backend: 'setuptools', abi3: { enabled: false } };
    const { cells } = plan(`${WINDOWS}windows:\n  build-on: linux\n`, setuptools);
    expect(cells.map((c) => [c.platform, c.runner])).toContainEqual(['windows-x86_64', 'ubuntu-24.04']);
  });

  it('leaves windows-arm64 on its own runner (no cross toolchain for it)', () => {
    const { cells } = plan('matrix:\n  platforms: [windows-arm64]\n  python: ["3.13"]\nwindows:\n  build-on: linux\n');
    expect(cells[0]).toMatchObject({ runner: 'windows-11-arm' });
    expect(cells[0]).not.toHaveProperty('verify');
  });
});

describe('the sdist cell', () => {
  it('is planned by default: one cell on the Linux runner, with the newest GIL Python of the plan', () => {
    const { all } = plan('matrix:\n  platforms: [macos-arm64, windows-x86_64]\n  python: ["3.12", "3.13", "3.13t"]\n');
    expect(all.map((c) => c.id)).toEqual(['macos-arm64-abi3', 'macos-arm64-cp313t', 'windows-x86_64-abi3', 'windows-x86_64-cp313t', 'sdist']);
    expect(all.at(-1)).toEqual({
      id: 'sdist',
      platform: 'linux-x86_64',
      os: 'linux',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      target: 'x86_64-unknown-linux-gnu',
      python: '3.13',
      abi3: false,
      wheel: true,
      binary: false,
      experimental: false,
      sdist: true,
    });
    // It travels through the workflow as any cell does.
    expect(parseCell(JSON.stringify(all.at(-1)), 'input cell')).toEqual(all.at(-1));
  });

  it('follows the python narrowing, and is left out with publish.sdist: false or for a binary project', () => {
    expect(plan(`matrix:\n  ${FIVE}\n  ${PY_10_14}\n`, ABI3, { python: ['3.11'] }).all.find((c) => c.sdist)?.python).toBe('3.11');
    expect(plan(`matrix:\n  ${FIVE}\npublish:\n  sdist: false\n`).all.some((c) => c.sdist)).toBe(false);
    expect(plan(`project:\n  kind: binary\nmatrix:\n  ${FIVE}\n`, { backend: 'cargo', abi3: { enabled: false } }).all.some((c) => c.sdist)).toBe(false);
  });
});
