import type { Catalog, PythonVersion } from '../catalog/catalog.js';
import { closest, oneOf } from './suggest.js';

/** What was wrong with one platform or Python value, and how to fix it. */
export interface SelectorProblem {
  readonly message: string;
  readonly fix: string;
}

export type Checked<T> = { readonly value: T } | { readonly problem: SelectorProblem };

export const PRESET_PREFIX = 'preset:';

function pythonRange(catalog: Catalog): string {
  const regular = [...catalog.pythons.values()].filter((p) => !p.freeThreaded).map((p) => p.version);
  const threaded = [...catalog.pythons.values()].filter((p) => p.freeThreaded).map((p) => p.version);
  const range = `${regular[0]} … ${regular[regular.length - 1]}`;
  return threaded.length > 0 ? `${range} (free-threaded: ${threaded.join(', ')})` : range;
}

/** Checks one Python version against the catalog. */
export function checkPython(value: string, catalog: Catalog): Checked<PythonVersion> {
  const known = catalog.pythons.get(value);
  if (known) return { value: known };
  const match = /^(\d+)\.(\d+)(t?)$/.exec(value);
  const range = pythonRange(catalog);
  if (!match) {
    return {
      problem: {
        message: `"${value}" is not a Python version`,
        fix: `write it as major.minor, e.g. "3.12", or "3.13t" for free-threaded; the catalog has ${range}`,
      },
    };
  }
  const [major, minor, threaded] = [Number(match[1]), Number(match[2]), match[3] === 't'];
  const all = [...catalog.pythons.values()];
  const newest = all[all.length - 1]!;
  const oldest = all[0]!;
  if (threaded && catalog.pythons.has(`${major}.${minor}`)) {
    const options = all.filter((p) => p.freeThreaded).map((p) => p.version);
    return {
      problem: {
        message: `"${value}" has no free-threaded build in the catalog (free-threading starts with 3.13)`,
        fix: `use ${oneOf(options)}, or "${major}.${minor}"`,
      },
    };
  }
  if (major < oldest.major || (major === oldest.major && minor < oldest.minor)) {
    return {
      problem: { message: `"${value}" is end-of-life and not in the catalog`, fix: `use one of ${range}` },
    };
  }
  if (major > newest.major || (major === newest.major && minor > newest.minor)) {
    return {
      problem: {
        message: `"${value}" is not in the catalog yet`,
        fix: `use one of ${range}, or upgrade native-matrix`,
      },
    };
  }
  return { problem: { message: `"${value}" is not in the catalog`, fix: `use one of ${range}` } };
}

/** Checks one platform id or `preset:NAME`, expanding presets. */
export function checkPlatform(value: string, catalog: Catalog, { presets = true } = {}): Checked<readonly string[]> {
  if (presets && value.startsWith(PRESET_PREFIX)) {
    const name = value.slice(PRESET_PREFIX.length);
    const preset = catalog.presets.get(name);
    if (preset) return { value: preset };
    const suggestion = closest(name, catalog.presets.keys());
    return {
      problem: {
        message: `"${value}" is not a preset in the catalog`,
        fix: suggestion ? `did you mean "${PRESET_PREFIX}${suggestion}"?` : `use one of ${oneOf([...catalog.presets.keys()].map((p) => PRESET_PREFIX + p))}`,
      },
    };
  }
  if (catalog.platforms.has(value)) return { value: [value] };
  const suggestion = presets && catalog.presets.has(value) ? PRESET_PREFIX + value : closest(value, catalog.platforms.keys());
  const all = oneOf([...catalog.platforms.keys()]);
  return {
    problem: {
      message: `"${value}" is not a platform in the catalog`,
      fix: suggestion ? `did you mean "${suggestion}"? (the catalog has ${all})` : `use one of ${all}`,
    },
  };
}

/**
 * Splits a narrowing input such as `linux-x86_64, windows-x86_64` or a
 * newline-separated list (as `workflow_dispatch` inputs arrive) into items.
 */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
