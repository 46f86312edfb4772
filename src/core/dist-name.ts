import { parseWheelName } from './wheel-name.js';

/** The name and version a wheel or sdist file name carries. */
export interface DistributionName {
  readonly kind: 'wheel' | 'sdist';
  /** Normalized as PEP 503 compares names: lowercase, runs of `-_.` as `-`. */
  readonly distribution: string;
  readonly version: string;
}

export const SDIST_SUFFIX = '.tar.gz';

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * Reads `name-version-….whl` or `name-version.tar.gz` (PEP 625); undefined
 * for any other file (a binary's archive, SHA256SUMS).
 */
export function parseDistributionName(fileName: string): DistributionName | undefined {
  if (fileName.endsWith('.whl')) {
    try {
      const { distribution, version } = parseWheelName(fileName);
      return { kind: 'wheel', distribution: normalize(distribution), version };
    } catch {
      return undefined;
    }
  }
  if (fileName.endsWith(SDIST_SUFFIX)) {
    // The version holds no `-` (PEP 440 normalized), so the last `-` splits.
    const match = /^(.+)-([^-]+)\.tar\.gz$/.exec(fileName);
    return match ? { kind: 'sdist', distribution: normalize(match[1]!), version: match[2]! } : undefined;
  }
  return undefined;
}

/**
 * The one name and version that the wheels and sdists among `files` share,
 * or what disagrees: PyPI would take them as separate releases, or refuse them.
 */
export function agreedVersion(files: readonly string[]): { distribution: string; version: string } | { disagreement: string } | undefined {
  const parsed = files.map((file) => ({ file, name: parseDistributionName(file) })).filter((f) => f.name !== undefined);
  if (parsed.length === 0) return undefined;
  const groups = new Map<string, string[]>();
  for (const { file, name } of parsed) {
    const key = `${name!.distribution} ${name!.version}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  if (groups.size === 1) return { distribution: parsed[0]!.name!.distribution, version: parsed[0]!.name!.version };
  return { disagreement: [...groups].map(([key, members]) => `${key} (${members.join(', ')})`).join(' vs ') };
}
