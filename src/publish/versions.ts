import { compare, explain } from '@renovatebot/pep440';
import type { Problem } from '../core/errors.js';

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

/** A tag read as `<prefix><version>`: `py-v2.0.0rc1` is version `v2.0.0rc1` of the series `py-`. */
interface TagVersion {
  /** What comes before the version, separator included (`py-`, `pkg/`); empty for a bare version. */
  readonly prefix: string;
  readonly prerelease: boolean;
  /** The version as PEP 440 reads it, for ordering; undefined for SemVer pre-releases it cannot read. */
  readonly pep440?: string;
}

/** SemVer pre-releases (`1.2.0-beta.1`, `1.2.0-1`, `1.0.0-alpha.beta`): a `-` suffix after three numbers. */
const SEMVER_PRERELEASE = /^v?\d+\.\d+\.\d+-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)(?:\+[0-9A-Za-z.-]+)?$/;
/** PEP 440's spellings of a post-release (`1.0.0-post1`), which are not pre-releases. */
const POST_RELEASE = /^(?:post|rev|r)[.-]?\d*$/i;

/** A version: SemVer first (PEP 440 reads `1.2.0-1` as a post-release, SemVer as a pre-release), then PEP 440. */
function readVersion(text: string): Omit<TagVersion, 'prefix'> | undefined {
  const parsed = explain(text);
  const semver = SEMVER_PRERELEASE.exec(text);
  if (semver && !POST_RELEASE.test(semver[1]!)) return { prerelease: true, pep440: parsed ? text : undefined };
  return parsed ? { prerelease: parsed.is_prerelease, pep440: text } : undefined;
}

/** Reads a tag as a version, after a prefix ending in `-` or `/` if there is one; undefined when it holds none. */
function readTag(tag: string): TagVersion | undefined {
  const bare = readVersion(tag);
  if (bare) return { prefix: '', ...bare };
  for (const match of tag.matchAll(/[-/](?=v?\d)/g)) {
    const version = match.index > 0 ? readVersion(tag.slice(match.index + 1)) : undefined;
    if (version) return { prefix: tag.slice(0, match.index + 1), ...version };
  }
  return undefined;
}

/** Whether a tag names a pre-release: PEP 440 (`2.0.0rc1`, `1.0.dev2`) or SemVer (`1.2.0-beta.1`, `1.2.0-1`), after any prefix (`py-v2.0.0rc1`). */
export function isPrereleaseTag(tag: string): boolean {
  return readTag(tag)?.prerelease ?? false;
}

/**
 * Marks the release of `tag`: a pre-release by its tag, and Latest only when
 * its version is above every published full release of the same series
 * (same prefix: a backport v1.9.1 pushed after v2.0.0 is not Latest, and
 * `py-v1.0.0` does not compete with `v3.0.0`). `auto` follows the tag;
 * true/false (config `publish.prerelease` / `publish.latest`) override, except
 * that a pre-release is never Latest: GitHub refuses it (422) when publishing.
 */
export function releaseMarks(tag: string, others: readonly OtherRelease[], overrides: { prerelease: 'auto' | boolean; latest: 'auto' | boolean }): ReleaseMarks & { readonly warning?: Problem } {
  const mine = readTag(tag);
  const prerelease = overrides.prerelease === 'auto' ? (mine?.prerelease ?? false) : overrides.prerelease;
  if (prerelease) {
    if (overrides.latest !== true) return { prerelease, latest: 'false' };
    return {
      prerelease,
      latest: 'false',
      warning: {
        key: 'publish.latest',
        message: `is true, but ${tag} is a pre-release, which GitHub never marks Latest: it is published without Latest`,
        fix: 'set `publish.prerelease: false` to publish it as a full release, or remove `publish.latest`',
      },
    };
  }
  if (overrides.latest !== 'auto') return { prerelease, latest: overrides.latest ? 'true' : 'false' };
  if (!mine?.pep440) return { prerelease, latest: 'legacy' };
  const higher = others.some((other) => {
    if (other.draft || other.prerelease || other.tag_name === tag) return false;
    const theirs = readTag(other.tag_name);
    return theirs?.pep440 !== undefined && theirs.prefix === mine.prefix && !theirs.prerelease && compare(theirs.pep440, mine.pep440!) > 0;
  });
  return { prerelease, latest: higher ? 'false' : 'true' };
}
