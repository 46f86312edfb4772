import { compare, explain } from '@renovatebot/pep440';

/** How the release of a tag is marked: GitHub's `prerelease` and `make_latest`. */
export interface ReleaseMarks {
  readonly prerelease: boolean;
  /** `legacy`: GitHub decides by date and version, for tags that are not versions. */
  readonly latest: 'true' | 'false' | 'legacy';
}

export interface OtherRelease {
  readonly tag_name: string;
  readonly draft: boolean;
  readonly prerelease: boolean;
}

/** A tag read as a version (PEP 440, which also reads `v1.2.0-beta.1`), or undefined. */
function versionOf(tag: string): { text: string; prerelease: boolean } | undefined {
  const parsed = explain(tag);
  if (parsed) return { text: tag, prerelease: parsed.is_prerelease };
  return undefined;
}

/** SemVer pre-releases that PEP 440 cannot read, such as `v1.0.0-alpha.beta`. */
const SEMVER_PRERELEASE = /^v?\d+\.\d+\.\d+-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*(\+[0-9A-Za-z.-]+)?$/;

/** Whether a tag names a pre-release: PEP 440 (`2.0.0rc1`, `1.0.dev2`) or SemVer (`1.2.0-beta.1`). */
export function isPrereleaseTag(tag: string): boolean {
  return versionOf(tag)?.prerelease ?? SEMVER_PRERELEASE.test(tag);
}

/**
 * Marks the release of `tag`: a pre-release by its tag, and Latest only when
 * its version is above every published full release of the repository (a
 * backport v1.9.1 pushed after v2.0.0 is not Latest). `auto` follows the tag;
 * true/false (config `publish.prerelease` / `publish.latest`) override.
 */
export function releaseMarks(tag: string, others: readonly OtherRelease[], overrides: { prerelease: 'auto' | boolean; latest: 'auto' | boolean }): ReleaseMarks {
  const prerelease = overrides.prerelease === 'auto' ? isPrereleaseTag(tag) : overrides.prerelease;
  if (overrides.latest !== 'auto') return { prerelease, latest: overrides.latest ? 'true' : 'false' };
  // GitHub never makes a pre-release Latest.
  if (prerelease) return { prerelease, latest: 'false' };
  const mine = versionOf(tag);
  if (!mine) return { prerelease, latest: 'legacy' };
  const higher = others.some((other) => {
    if (other.draft || other.prerelease || other.tag_name === tag) return false;
    const theirs = versionOf(other.tag_name);
    return theirs !== undefined && !theirs.prerelease && compare(theirs.text, mine.text) > 0;
  });
  return { prerelease, latest: higher ? 'false' : 'true' };
}
