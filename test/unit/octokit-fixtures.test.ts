import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/github/client.js';
import { ReleaseAssets, type Release } from '../../src/github/release-assets.js';
import { sha256 } from '../helpers/fake-github.js';
import { ReplayGitHub } from '../helpers/replay-github.js';

/** The file GitHub's recordings upload. */
function testUpload() {
  const content = Buffer.from('Hello, world!\n');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fixture-')), 'test-upload.txt');
  writeFileSync(file, content);
  return { name: 'test-upload.txt', path: file, sha256: sha256(content), size: content.length };
}

async function withReplay(scenario: string, work: (publisher: ReleaseAssets & { findRelease: (owner: string, repo: string, tag: string) => Promise<Release> }, replay: ReplayGitHub) => Promise<void>) {
  const replay = await new ReplayGitHub(scenario).start();
  try {
    const client = createClient({ token: 'ghs_fixture', baseUrl: replay.base, retryBaseMs: 1, writeSpacingMs: 0 });
    // The recordings find the release by its tag.
    const findRelease = async (owner: string, repo: string, tag: string) => (await client.rest.repos.getReleaseByTag({ owner, repo, tag })).data as Release;
    await work(Object.assign(new ReleaseAssets(client, () => {}, 1), { findRelease }), replay);
  } finally {
    await replay.stop();
  }
}

const OWNER = 'octokit-fixture-org';

describe("GitHub's recorded release interactions (@octokit/fixtures)", () => {
  it('release-assets: finds the release by tag, uploads to its upload_url, lists and deletes the asset', async () => {
    await withReplay('release-assets', async (publisher, replay) => {
      const release = await publisher.findRelease(OWNER, 'release-assets', 'v1.0.0');
      expect(release).toMatchObject({ id: 1000, tag_name: 'v1.0.0', draft: false });
      await publisher.upload(OWNER, 'release-assets', release, testUpload());
      const assets = await publisher.listAssets(OWNER, 'release-assets', release.id);
      expect(assets.map((a) => [a.name, a.size, a.state])).toEqual([['test-upload.txt', 14, 'uploaded']]);
      await publisher.deleteAsset(OWNER, 'release-assets', assets[0]!.id);
      expect(replay.unexpected).toEqual([]);
      expect(replay.consumed).toEqual([
        'GET /repos/octokit-fixture-org/release-assets/releases/tags/v1.0.0 200',
        'POST /repos/octokit-fixture-org/release-assets/releases/1000/assets 201',
        'GET /repos/octokit-fixture-org/release-assets/releases/1000/assets 200',
        'DELETE /repos/octokit-fixture-org/release-assets/releases/assets/1000 204',
      ]);
    });
  });

  it('release-assets-conflict: a 422 already_exists is reconciled by deleting the unproven asset and uploading again', async () => {
    await withReplay('release-assets-conflict', async (publisher, replay) => {
      const release = await publisher.findRelease(OWNER, 'release-assets-conflict', 'v1.0.0');
      await publisher.upload(OWNER, 'release-assets-conflict', release, testUpload());
      expect(replay.unexpected).toEqual([]);
      // Exactly GitHub's recorded sequence, request for request.
      expect(replay.consumed).toEqual([
        'GET /repos/octokit-fixture-org/release-assets-conflict/releases/tags/v1.0.0 200',
        'POST /repos/octokit-fixture-org/release-assets-conflict/releases/1000/assets 422',
        'GET /repos/octokit-fixture-org/release-assets-conflict/releases/1000/assets 200',
        'DELETE /repos/octokit-fixture-org/release-assets-conflict/releases/assets/1000 204',
        'POST /repos/octokit-fixture-org/release-assets-conflict/releases/1000/assets 201',
      ]);
    });
  });
});
