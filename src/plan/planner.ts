import { comparePythons, type Catalog, type Platform, type PythonVersion } from '../catalog/catalog.js';
import { checkPlatform, checkPython } from '../config/selectors.js';
import type { Config, ExcludeRule } from '../config/types.js';
import { dotted } from '../config/validate.js';
import { UserError, type Problem } from '../core/errors.js';
import { allowsPython, type ProjectFacts } from '../project/detect.js';
import { buildOnKey, plannedRunner } from '../routes/runners.js';
import { GITHUB_MATRIX_LIMIT, type Cell, type Plan } from './types.js';

export interface Narrowing {
  /** From the `platforms` input or `--platforms`. */
  readonly platforms?: readonly string[];
  /** From the `python` input or `--python`. */
  readonly python?: readonly string[];
  /** How to name the source in messages: `input platforms` or `--platforms`. */
  readonly platformsLabel?: string;
  readonly pythonLabel?: string;
}

export interface PlanInputs {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly project: ProjectFacts;
  readonly narrowing?: Narrowing;
  /** For end-of-life warnings; defaults to now. */
  readonly today?: Date;
}

/** Turns a validated config into the build matrix. Pure: same inputs, same cells, same ids. */
export function planMatrix({ config, catalog, project, narrowing = {}, today = new Date() }: PlanInputs): Plan {
  const warnings: Problem[] = [];
  const errors: Problem[] = [];
  const configProblem = (keyPath: (string | number)[], message: string, fix: string): Problem => ({
    location: config.locate(keyPath),
    key: dotted(keyPath),
    message,
    fix,
  });

  const abi3 = config.project.kind !== 'binary' && (config.matrix.abi3 === 'auto' ? project.abi3.enabled : config.matrix.abi3);
  if (abi3 && config.matrix.split === 'python') {
    errors.push(
      configProblem(
        ['matrix', 'split'],
        `an abi3 wheel is built once per platform${project.abi3.evidence ? ` (${project.abi3.evidence})` : ''}, so it cannot be split per Python`,
        'remove matrix.split, or set matrix.abi3: false',
      ),
    );
  }

  const platforms = narrow(
    selectPlatforms(config, catalog),
    narrowing.platforms,
    narrowing.platformsLabel ?? 'input platforms',
    (value) => checkPlatform(value, catalog),
    (value) => value,
    errors,
    warnings,
  ).map((id) => catalog.platforms.get(id)!);

  const pythons =
    config.project.kind === 'binary'
      ? []
      : narrow(
          selectPythons(config, catalog, project, abi3, today, errors, warnings),
          narrowing.python,
          narrowing.pythonLabel ?? 'input python',
          (value) => checkPython(value, catalog),
          (value) => [value.version],
          errors,
          warnings,
        ).map((version) => catalog.pythons.get(version)!);

  if (errors.length > 0) throw new UserError(errors);
  const pairs = applyExcludes(platforms, pythons, config, warnings);

  // Which runner builds each platform that has a cell left: the route
  // resolver decides, and a cross build the config asks for that it refuses
  // is the config's error.
  const request = { wheel: config.project.kind !== 'binary', binary: config.project.kind !== 'wheel', backend: project.backend, manylinux: config.linux.manylinux };
  const runners = new Map<string, { runner: string; verify?: string }>();
  for (const platform of platforms.filter((p) => pairs.some((pair) => pair.platform === p))) {
    const choice = plannedRunner(catalog, platform, config, request);
    if (choice.refusal) errors.push(configProblem(buildOnKey(platform), choice.refusal.reason, `leave ${platform.id} out (matrix.platforms, or matrix.exclude)`));
    else runners.set(platform.id, choice);
  }
  if (errors.length > 0) throw new UserError(errors);
  const cells = groupIntoCells(pairs, platforms, { abi3, config, runners });
  const sdist = config.publish.sdist && cells.length > 0 ? sdistCell(config, catalog, cells) : undefined;
  if (sdist) cells.push(sdist);

  if (cells.length === 0) {
    throw new UserError({
      location: config.matrix.exclude.length > 0 ? config.locate(['matrix', 'exclude']) : undefined,
      key: 'plan',
      message: `no cells to build: ${explainEmpty(platforms, pythons, config, narrowing)}`,
      fix: 'select at least one platform and Python version that no exclude removes',
    });
  }
  if (cells.length > GITHUB_MATRIX_LIMIT) {
    throw new UserError({
      key: 'plan',
      message: `${cells.length} cells exceed GitHub's limit of ${GITHUB_MATRIX_LIMIT} jobs per matrix`,
      fix: 'select fewer platforms or Python versions, or remove matrix.split',
    });
  }
  return Object.freeze({ cells: Object.freeze(cells), warnings: Object.freeze(warnings) });
}

/** Platforms in catalog order, so that the plan does not depend on how the config lists them. */
function selectPlatforms(config: Config, catalog: Catalog): string[] {
  const wanted = config.matrix.platforms;
  return [...catalog.platforms.values()].filter((p) => (wanted ? wanted.includes(p.id) : !p.experimental)).map((p) => p.id);
}

/**
 * The Python versions of the config (or the catalog's defaults), checked
 * against requires-python and the abi3 floor. Defaults quietly drop what the
 * project cannot run on; an explicit version it cannot run on is an error.
 */
function selectPythons(config: Config, catalog: Catalog, project: ProjectFacts, abi3: boolean, today: Date, errors: Problem[], warnings: Problem[]): string[] {
  const explicit = config.matrix.python;
  // Catalog order (oldest first), whatever order the config lists them in.
  const candidates = [...catalog.pythons.values()].filter((p) => (explicit ? explicit.includes(p.version) : p.isDefault));
  const floor = abi3 ? project.abi3.floor : undefined;
  const selected: string[] = [];
  candidates.forEach((python) => {
    const keyPath = ['matrix', 'python', Math.max(0, explicit?.indexOf(python.version) ?? 0)];
    const problem = (message: string, fix: string): Problem => ({
      location: config.locate(keyPath),
      key: dotted(keyPath),
      message,
      fix,
    });
    if (!allowsPython(project.requiresPython, python)) {
      if (explicit) errors.push(problem(`"${python.version}" is outside the project's requires-python "${project.requiresPython}"`, 'remove it, or widen requires-python in pyproject.toml'));
      return;
    }
    if (floor && !python.freeThreaded && comparePythons(python, { ...python, ...floor, freeThreaded: false }) < 0) {
      if (explicit)
        errors.push(
          problem(
            `"${python.version}" is older than the abi3 floor ${floor.major}.${floor.minor} (${project.abi3.evidence})`,
            `remove it, or lower the abi3 feature to abi3-py${python.major}${python.minor}`,
          ),
        );
      return;
    }
    if (explicit && new Date(python.endOfLife) < today) {
      warnings.push(problem(`Python ${python.version} reached its end of life on ${python.endOfLife}`, 'consider dropping it'));
    }
    selected.push(python.version);
  });
  return selected;
}

/**
 * Keeps the selected items that the narrowing input names. An input item
 * that is valid but selects nothing is a warning; an invalid one an error.
 */
function narrow<T>(
  selected: string[],
  input: readonly string[] | undefined,
  label: string,
  check: (value: string) => { value: T } | { problem: { message: string; fix: string } },
  expand: (value: T) => readonly string[],
  errors: Problem[],
  warnings: Problem[],
): string[] {
  if (!input || input.length === 0) return selected;
  const wanted = new Set<string>();
  for (const item of input) {
    const checked = check(item);
    if ('problem' in checked) {
      errors.push({ key: label, ...checked.problem });
      continue;
    }
    const ids = expand(checked.value);
    const matching = ids.filter((id) => selected.includes(id));
    if (matching.length === 0) {
      warnings.push({ key: label, message: `"${item}" matches nothing in the config's selection (${selected.join(', ') || 'empty'})`, fix: 'add it to the config, or drop it from the input' });
    }
    matching.forEach((id) => wanted.add(id));
  }
  return selected.filter((id) => wanted.has(id));
}

interface Pair {
  readonly platform: Platform;
  readonly python?: PythonVersion;
}

function applyExcludes(platforms: Platform[], pythons: PythonVersion[], config: Config, warnings: Problem[]): Pair[] {
  const all: Pair[] = config.project.kind === 'binary' ? platforms.map((platform) => ({ platform })) : platforms.flatMap((platform) => pythons.map((python) => ({ platform, python })));
  const matches = (rule: ExcludeRule, pair: Pair) => (rule.platform === undefined || rule.platform === pair.platform.id) && (rule.python === undefined || rule.python === pair.python?.version);
  config.matrix.exclude.forEach((rule, index) => {
    if (!all.some((pair) => matches(rule, pair))) {
      warnings.push({
        location: rule.location,
        key: `matrix.exclude[${index}]`,
        message: 'matches no cell of the plan',
        fix: 'remove it, or correct its platform or python',
      });
    }
  });
  return all.filter((pair) => !config.matrix.exclude.some((rule) => matches(rule, pair)));
}

/** `3.13t` → `cp313t` */
const pythonTag = (python: PythonVersion) => `cp${python.major}${python.minor}${python.freeThreaded ? 't' : ''}`;

function groupIntoCells(pairs: Pair[], platforms: Platform[], { abi3, config, runners }: { abi3: boolean; config: Config; runners: ReadonlyMap<string, { runner: string; verify?: string }> }): Cell[] {
  const kind = config.project.kind;
  const cells: Cell[] = [];
  for (const platform of platforms) {
    const pythons = pairs.filter((p) => p.platform === platform && p.python).map((p) => p.python!);
    const groups: { suffix?: string; pythons: PythonVersion[]; abi3: boolean }[] = [];
    if (kind === 'binary') {
      if (pairs.some((p) => p.platform === platform)) groups.push({ pythons: [], abi3: false });
    } else if (abi3) {
      const regular = pythons.filter((p) => !p.freeThreaded);
      if (regular.length > 0) groups.push({ suffix: 'abi3', pythons: regular, abi3: true });
      // The stable ABI does not exist for free-threaded builds.
      pythons.filter((p) => p.freeThreaded).forEach((p) => groups.push({ suffix: pythonTag(p), pythons: [p], abi3: false }));
    } else if (config.matrix.split === 'python') {
      pythons.forEach((p) => groups.push({ suffix: pythonTag(p), pythons: [p], abi3: false }));
    } else if (pythons.length > 0) {
      groups.push({ pythons, abi3: false });
    }
    groups.forEach((group, index) =>
      cells.push(
        Object.freeze({
          id: group.suffix ? `${platform.id}-${group.suffix}` : platform.id,
          platform: platform.id,
          os: platform.os,
          arch: platform.arch,
          runner: runners.get(platform.id)!.runner,
          target: platform.target,
          python: group.pythons.map((p) => p.version).join('\n'),
          abi3: group.abi3,
          wheel: kind !== 'binary',
          // With kind: both, the binary is built once per platform, in its first cell.
          binary: kind === 'binary' || (kind === 'both' && index === 0),
          experimental: platform.experimental,
          ...(runners.get(platform.id)!.verify ? { verify: runners.get(platform.id)!.verify } : {}),
        }),
      ),
    );
  }
  return cells;
}

function explainEmpty(platforms: Platform[], pythons: PythonVersion[], config: Config, narrowing: Narrowing): string {
  if (platforms.length === 0) return narrowing.platforms ? 'the platforms input selects none of the configured platforms' : 'no platform is selected';
  if (config.project.kind !== 'binary' && pythons.length === 0) {
    return narrowing.python ? 'the python input selects none of the configured versions' : 'no Python version is left after requires-python and the abi3 floor';
  }
  return 'the exclude rules remove every platform × Python pair';
}

/** The catalog platform whose runner builds and proves the sdist. */
export const SDIST_PLATFORM = 'linux-x86_64';
export const SDIST_CELL_ID = 'sdist';

/**
 * The `sdist` cell (for projects with wheels): the source distribution is
 * built once, on the Linux runner, and proven by building a wheel from it
 * with the newest (GIL) Python of the plan and importing that wheel.
 */
function sdistCell(config: Config, catalog: Catalog, cells: readonly Cell[]): Cell | undefined {
  const platform = catalog.platforms.get(SDIST_PLATFORM);
  if (config.project.kind === 'binary' || !platform) return undefined;
  const planned = new Set(cells.flatMap((c) => (c.python ? c.python.split('\n') : [])));
  const python = [...catalog.pythons.values()].filter((p) => planned.has(p.version) && !p.freeThreaded).at(-1);
  if (!python) return undefined;
  return Object.freeze({
    id: SDIST_CELL_ID,
    platform: platform.id,
    os: platform.os,
    arch: platform.arch,
    runner: platform.runner,
    target: platform.target,
    python: python.version,
    abi3: false,
    wheel: true,
    binary: false,
    experimental: false,
    sdist: true,
  });
}
