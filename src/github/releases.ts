import { readFile } from 'node:fs/promises';
import type { GitHubClient } from './client.js';

export interface FileToPublish {
  readonly name: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export interface ReleaseRequest {
  readonly owner: string;
  readonly repo: string;
  readonly tag: string;
  readonly name?: string;
  /** Release notes; when absent GitHub generates them. */
  readonly notes?: string;
  /** Leave the release a draft once complete. */
  readonly draft: boolean;
  readonly targetCommitish?: string;
  readonly files: readonly FileToPublish[];
  /** Uploads in flight at once. */
  readonly concurrency?: number;
  /** Read, and report what would be written, but write nothing. */
  readonly dryRun?: boolean;
}

export interface ReleaseReport {
  readonly url?: string;
  readonly created: boolean;
  readonly uploaded: readonly string[];
  readonly skipped: readonly string[];
  readonly replaced: readonly string[];
  /** What a dry run would do, one line each. */
  readonly planned: readonly string[];
  readonly published: boolean;
}

export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  html_url: string;
  upload_url: string;
}

export interface Asset {
  id: number;
  name: string;
  size: number;
  state: string;
  digest?: string | null;
}

const UPLOAD_ATTEMPTS = 5;

/** The name a replacement carries while the old asset is still published. */
const REPLACEMENT_SUFFIX = '.native-matrix-replacement';

const statusOf = (error: unknown) => (error as { status?: number }).status;
const isAlreadyExists = (error: unknown) =>
  statusOf(error) === 422 &&
  ((error as { response?: { data?: { errors?: { code?: string }[] } } }).response?.data?.errors ?? []).some((e) => e.code === 'already_exists');
/** Errors worth another attempt: the server's (5xx), the network's (no status), and a lost race (422 already_exists). */
const isTransient = (error: unknown) => statusOf(error) === undefined || statusOf(error)! >= 500 || isAlreadyExists(error);

/** Runs `work` over `items` with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    // After one failure, no lane starts another item.
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Publishes files to the release of a tag so that nobody ever sees a half
 * release, and any number of runs (or racing jobs) converge on one release
 * holding exactly the files, each once:
 * - a new release is created as a draft, filled, checked, and only then
 *   published; racing creators settle on the oldest draft for the tag;
 * - an asset with the same content (sha256) is kept, one with other content
 *   is replaced, and an incomplete one (a `starter` left by a failed upload)
 *   is deleted before uploading again;
 * - uploads that fail transiently are reconciled with what the server
 *   actually holds before they are tried again.
 */
export class ReleasePublisher {
  constructor(
    private readonly client: GitHubClient,
    private readonly log: (message: string) => void = () => {},
    private readonly backoffMs = 1000,
  ) {}

  async publish(request: ReleaseRequest): Promise<ReleaseReport> {
    const { owner, repo, tag } = request;
    const planned: string[] = [];
    let release = await this.findRelease(owner, repo, tag);
    let created = false;
    if (!release) {
      if (request.dryRun) {
        planned.push(`create draft release ${tag}`, ...request.files.map((f) => `upload ${f.name} (${f.size} bytes)`));
        if (!request.draft) planned.push(`publish release ${tag}`);
        return { created: false, uploaded: [], skipped: [], replaced: [], planned, published: false };
      }
      release = await this.createDraft(request);
      created = true;
    }

    const existing = await this.listAssets(owner, repo, release.id);
    const uploaded: string[] = [];
    const skipped: string[] = [];
    const replaced: string[] = [];
    await mapLimit(request.files, request.concurrency ?? 4, async (file) => {
      const asset = existing.find((a) => a.name === file.name);
      if (asset && ReleasePublisher.proven(asset, file)) {
        skipped.push(file.name);
        return;
      }
      if (request.dryRun) {
        planned.push(asset ? `replace ${file.name} (${asset.state === 'uploaded' ? 'different content' : `incomplete: ${asset.state}`})` : `upload ${file.name} (${file.size} bytes)`);
        return;
      }
      if (asset && !release!.draft && asset.state === 'uploaded') {
        // A published release never goes without the file: the new content
        // is uploaded under a temporary name, then takes the old one's place.
        await this.replacePublished(owner, repo, release!, asset, file, existing);
      } else {
        if (asset) await this.deleteAsset(owner, repo, asset.id);
        await this.upload(owner, repo, release!, file);
      }
      if (asset) replaced.push(file.name);
      uploaded.push(file.name);
    });

    if (request.dryRun) {
      if (release.draft && !request.draft) planned.push(`publish release ${tag}`);
      return { url: release.html_url, created, uploaded, skipped, replaced, planned, published: false };
    }

    await this.verify(owner, repo, release.id, request.files);
    let published = !release.draft;
    if (release.draft && !request.draft) {
      const { data } = await this.client.rest.repos.updateRelease({ owner, repo, release_id: release.id, draft: false });
      release = data as Release;
      published = true;
    }
    return { url: release.html_url, created, uploaded, skipped, replaced, planned, published };
  }

  /** Every release of the tag, drafts included (GET /releases/tags/{tag} does not return drafts), oldest first. */
  private async releasesFor(owner: string, repo: string, tag: string): Promise<Release[]> {
    const all = (await this.client.paginate(this.client.rest.repos.listReleases, { owner, repo, per_page: 100 })) as Release[];
    return all.filter((r) => r.tag_name === tag).sort((a, b) => a.id - b.id);
  }

  /** The published release of the tag, else its oldest draft. */
  async findRelease(owner: string, repo: string, tag: string): Promise<Release | undefined> {
    try {
      return (await this.client.rest.repos.getReleaseByTag({ owner, repo, tag })).data as Release;
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
    return (await this.releasesFor(owner, repo, tag))[0];
  }

  private async createDraft(request: ReleaseRequest): Promise<Release> {
    const { owner, repo, tag } = request;
    const { data } = await this.client.rest.repos.createRelease({
      owner,
      repo,
      tag_name: tag,
      name: request.name ?? tag,
      draft: true,
      ...(request.notes !== undefined ? { body: request.notes } : { generate_release_notes: true }),
      ...(request.targetCommitish ? { target_commitish: request.targetCommitish } : {}),
    });
    const mine = data as Release;
    this.log(`Created draft release ${tag} (id ${mine.id})`);
    // Jobs racing on one tag each create a draft: all settle on the same
    // one, and the others delete their own.
    const winner = (await this.findRelease(owner, repo, tag)) ?? mine;
    if (winner.id !== mine.id) {
      this.log(`Another job created release ${tag} first (id ${winner.id}); deleting draft ${mine.id}`);
      await this.ignoreNotFound(() => this.client.rest.repos.deleteRelease({ owner, repo, release_id: mine.id }));
    }
    return winner;
  }

  async listAssets(owner: string, repo: string, releaseId: number): Promise<Asset[]> {
    return (await this.client.paginate(this.client.rest.repos.listReleaseAssets, { owner, repo, release_id: releaseId, per_page: 100 })) as Asset[];
  }

  async deleteAsset(owner: string, repo: string, assetId: number): Promise<void> {
    await this.ignoreNotFound(() => this.client.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: assetId }));
  }

  private async ignoreNotFound(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /**
   * Whether a complete asset provably holds the file: GitHub's sha256 digest
   * says so. Without a digest (older GitHub Enterprise Servers) nothing is
   * proven, and the file is uploaded again rather than trusted.
   */
  private static proven(asset: Asset, file: FileToPublish): boolean {
    return asset.state === 'uploaded' && asset.size === file.size && asset.digest === `sha256:${file.sha256}`;
  }

  /** Uploads one file to the release, reconciling with what a failed attempt left before trying again. */
  async upload(owner: string, repo: string, release: Release, file: FileToPublish): Promise<void> {
    const body = await readFile(file.path);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.request({
          method: 'POST',
          url: release.upload_url,
          name: file.name,
          data: body,
          headers: { 'content-type': 'application/octet-stream' },
          // Retried here, after looking at what the failed attempt left.
          request: { retries: 0 },
        });
        this.log(`Uploaded ${file.name} (${file.size} bytes)`);
        return;
      } catch (error) {
        if (!isTransient(error) || attempt >= UPLOAD_ATTEMPTS) throw error;
        this.log(`Upload of ${file.name} failed (${statusOf(error) ?? (error as Error).message}); checking the release before attempt ${attempt + 1}`);
        const leftover = (await this.listAssets(owner, repo, release.id)).find((a) => a.name === file.name);
        if (leftover && ReleasePublisher.proven(leftover, file)) return;
        if (leftover) await this.deleteAsset(owner, repo, leftover.id);
        await new Promise((resolve) => setTimeout(resolve, this.backoffMs * attempt));
      }
    }
  }

  private async replacePublished(owner: string, repo: string, release: Release, old: Asset, file: FileToPublish, existing: readonly Asset[]): Promise<void> {
    const temporary = `${file.name}${REPLACEMENT_SUFFIX}`;
    const stale = existing.find((a) => a.name === temporary);
    if (stale) await this.deleteAsset(owner, repo, stale.id);
    await this.upload(owner, repo, release, { ...file, name: temporary });
    const fresh = (await this.listAssets(owner, repo, release.id)).find((a) => a.name === temporary);
    if (!fresh) throw new Error(`the replacement of ${file.name} vanished before it could take its place`);
    await this.deleteAsset(owner, repo, old.id);
    await this.client.rest.repos.updateReleaseAsset({ owner, repo, asset_id: fresh.id, name: file.name });
    this.log(`Replaced ${file.name} on the published release ${release.tag_name}`);
  }

  /** The release must hold every file, complete, with the right content, before it is published. */
  private async verify(owner: string, repo: string, releaseId: number, files: readonly FileToPublish[]): Promise<void> {
    const assets = await this.listAssets(owner, repo, releaseId);
    const wrong: string[] = [];
    for (const file of files) {
      const matching = assets.filter((a) => a.name === file.name);
      const [asset, ...more] = matching;
      const digestAgrees = !asset?.digest || asset.digest === `sha256:${file.sha256}`;
      if (!asset || more.length > 0 || asset.state !== 'uploaded' || asset.size !== file.size || !digestAgrees) wrong.push(file.name);
    }
    if (wrong.length > 0) throw new Error(`the release does not hold ${wrong.join(', ')} as built; it stays a draft`);
  }
}
