import { describe, expect, it } from 'vitest';
import { isPrereleaseTag, releaseMarks } from '../../src/publish/versions.js';

const published = (...tags: string[]) => tags.map((tag_name) => ({ tag_name, draft: false, prerelease: false }));
const AUTO = { prerelease: 'auto', latest: 'auto' } as const;

describe('pre-releases and Latest from the tag', () => {
  it('reads PEP 440 and SemVer pre-release markers', () => {
    for (const tag of ['v2.0.0rc1', 'v2.0.0a1', 'v2.0.0b2', 'v1.2.0-beta.1', 'v1.2.0-rc.1+build.5', 'v1.0.0.dev3', '1.0.0-alpha.beta', 'v3.0.0-preview']) {
      expect(isPrereleaseTag(tag), tag).toBe(true);
    }
    for (const tag of ['v2.0.0', 'v1.9.1', '1.0', 'v1.0.post1', 'v1.0.0+local', 'release-2026', 'nightly']) {
      expect(isPrereleaseTag(tag), tag).toBe(false);
    }
  });

  it('makes only the highest full version Latest', () => {
    expect(releaseMarks('v2.0.0rc1', published('v1.9.0'), AUTO)).toEqual({ prerelease: true, latest: 'false' });
    expect(releaseMarks('v2.0.0', published('v1.9.0', 'v1.10.0'), AUTO)).toEqual({ prerelease: false, latest: 'true' });
    // A backport after the next major is not Latest; 1.10 sorts above 1.9 (not as text).
    expect(releaseMarks('v1.9.1', published('v1.9.0', 'v2.0.0'), AUTO)).toEqual({ prerelease: false, latest: 'false' });
    expect(releaseMarks('v1.10.1', published('v1.9.0', 'v1.10.0'), AUTO)).toEqual({ prerelease: false, latest: 'true' });
    // Drafts, pre-releases and tags that are not versions do not compete.
    expect(releaseMarks('v1.2.0', [{ tag_name: 'v3.0.0', draft: true, prerelease: false }, { tag_name: 'v2.0.0rc1', draft: false, prerelease: true }, ...published('nightly')], AUTO).latest).toBe(
      'true',
    );
    // A tag that is not a version: GitHub's own rule.
    expect(releaseMarks('nightly', published('v1.0.0'), AUTO)).toEqual({ prerelease: false, latest: 'legacy' });
  });

  it('reads the version after a prefix, and compares it only with the same series', () => {
    for (const tag of ['py-v2.0.0rc1', 'qsymbolic-v1.2.0b1', 'pkg/v1.0.0-beta.1', 'my-pkg-1.0.0.dev1', 'v1.2.0-1', 'py-v1.2.0-1']) expect(isPrereleaseTag(tag), tag).toBe(true);
    for (const tag of ['py-v2.0.0', 'qsymbolic-v1.2.0', 'pkg/v1.0.0', 'v1.0.0-post1']) expect(isPrereleaseTag(tag), tag).toBe(false);
    expect(releaseMarks('py-v2.0.0rc1', published('py-v1.0.0'), AUTO)).toEqual({ prerelease: true, latest: 'false' });
    // py-v1.1.0 is the highest of its series; v3.0.0 and qsymbolic-v9.0.0 are other series.
    expect(releaseMarks('py-v1.1.0', published('py-v1.0.0', 'v3.0.0', 'qsymbolic-v9.0.0'), AUTO)).toEqual({ prerelease: false, latest: 'true' });
    expect(releaseMarks('py-v1.0.1', published('py-v1.1.0', 'v0.1.0'), AUTO)).toEqual({ prerelease: false, latest: 'false' });
    expect(releaseMarks('pkg/v1.0.0', published('pkg/v0.9.0', 'v2.0.0'), AUTO)).toEqual({ prerelease: false, latest: 'true' });
    expect(releaseMarks('v1.2.0', published('py-v5.0.0'), AUTO)).toEqual({ prerelease: false, latest: 'true' });
  });

  it('never marks a pre-release Latest, even when publish.latest asks, and says so', () => {
    const marks = releaseMarks('v2.0.0rc1', published('v1.0.0'), { prerelease: 'auto', latest: true });
    expect(marks).toMatchObject({ prerelease: true, latest: 'false' });
    expect(marks.warning).toEqual({
      key: 'publish.latest',
      message: 'is true, but v2.0.0rc1 is a pre-release, which GitHub never marks Latest: it is published without Latest',
      fix: 'set `publish.prerelease: false` to publish it as a full release, or remove `publish.latest`',
    });
    expect(releaseMarks('v2.0.0', [], { prerelease: true, latest: true })).toMatchObject({ prerelease: true, latest: 'false' });
  });

  it('lets the config override both', () => {
    expect(releaseMarks('v1.9.1', published('v2.0.0'), { prerelease: 'auto', latest: true })).toEqual({ prerelease: false, latest: 'true' });
    expect(releaseMarks('v3.0.0', published('v2.0.0'), { prerelease: 'auto', latest: false })).toEqual({ prerelease: false, latest: 'false' });
    expect(releaseMarks('v3.0.0', [], { prerelease: true, latest: 'auto' })).toEqual({ prerelease: true, latest: 'false' });
    expect(releaseMarks('v3.0.0rc1', [], { prerelease: false, latest: 'auto' })).toEqual({ prerelease: false, latest: 'true' });
  });
});
