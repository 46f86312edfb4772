import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../core/errors.js';
import type { FileToPublish } from '../publish/release-files.js';
import type { GitHubClient } from './client.js';

export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  immutable?: boolean;
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

export const statusOf = (error: unknown) => (error as { status?: number }).status;
const isAlreadyExists = (error: unknown) =>
  statusOf(error) === 422 && ((error as { response?: { data?: { errors?: { code?: string }[] } } }).response?.data?.errors ?? []).some((e) => e.code === 'already_exists');
/** Errors worth another attempt: the server's (5xx), the network's (no status), and a lost race (422 already_exists). */
const isTransient = (error: unknown) => statusOf(error) === undefined || statusOf(error)! >= 500 || isAlreadyExists(error);

/** Runs `work`, taking a 404 (already gone) as done. */
export async function ignoreNotFound(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** A release's assets: listed, read back, deleted, uploaded (with retries that look at what a failed attempt left), and checked. */
export class ReleaseAssets {
  constructor(
    private readonly client: GitHubClient,
    private readonly log: (message: string) => void = () => {},
    private readonly backoffMs = 1000,
  ) {}

  async listAssets(owner: string, repo: string, releaseId: number): Promise<Asset[]> {
    return await this.client.paginate(this.client.rest.repos.listReleaseAssets, { owner, repo, release_id: releaseId, per_page: 100 });
  }

  async deleteAsset(owner: string, repo: string, assetId: number): Promise<void> {
    await ignoreNotFound(() => this.client.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: assetId }));
  }

  async assetSha256(owner: string, repo: string, assetId: number): Promise<string> {
    return createHash('sha256')
      .update(await this.assetContent(owner, repo, assetId))
      .digest('hex');
  }

  async assetContent(owner: string, repo: string, assetId: number): Promise<Buffer> {
    const { data } = await this.client.rest.repos.getReleaseAsset({ owner, repo, asset_id: assetId, headers: { accept: 'application/octet-stream' } });
    return Buffer.from(data as unknown as ArrayBuffer);
  }

  /** Whether a complete asset provably holds the file: GitHub's sha256 digest says so. */
  private static proven(asset: Asset, file: FileToPublish): boolean {
    return asset.state === 'uploaded' && asset.size === file.size && asset.digest === `sha256:${file.sha256}`;
  }

  /** Uploads one file to the release, reconciling with what a failed attempt left before trying again. */
  async upload(owner: string, repo: string, release: Release, file: FileToPublish): Promise<void> {
    const body =
      file.content ??
      (await readFile(file.path!).catch((error: unknown) => {
        throw new UserError({
          key: file.path!,
          message: `cannot be read after it was checked (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
          fix: 'leave the directory alone while publishing, and run publish again',
        });
      }));
    // The bytes sent are the bytes checked: a file changed since it was gathered is not published.
    if (createHash('sha256').update(body).digest('hex') !== file.sha256) {
      throw new UserError({ key: file.path ?? file.name, message: 'changed after it was checked', fix: 'leave the directory alone while publishing, and run publish again' });
    }
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
        if (leftover && ReleaseAssets.proven(leftover, file)) return;
        if (leftover) await this.deleteAsset(owner, repo, leftover.id);
        await new Promise((resolve) => setTimeout(resolve, this.backoffMs * attempt));
      }
    }
  }

  /**
   * The release must hold every file once, complete, with the right content
   * (and, when `exact`, nothing else but the assets `retained`) before it is published or reported done.
   */
  async verify(owner: string, repo: string, releaseId: number, files: readonly FileToPublish[], exact: boolean, retained: readonly string[] = []): Promise<void> {
    const assets = await this.listAssets(owner, repo, releaseId);
    const wrong: string[] = [];
    for (const file of files) {
      const [asset, ...more] = assets.filter((a) => a.name === file.name);
      const digestAgrees = !asset?.digest || asset.digest === `sha256:${file.sha256}`;
      if (!asset || more.length > 0 || asset.state !== 'uploaded' || asset.size !== file.size || !digestAgrees) wrong.push(file.name);
    }
    const names = new Set([...files.map((file) => file.name), ...retained]);
    const extra = exact ? assets.filter((asset) => !names.has(asset.name)).map((asset) => asset.name) : [];
    if (wrong.length > 0 || extra.length > 0) {
      throw new UserError({
        message: `the release does not hold ${[...wrong, ...extra.map((name) => `only the files built (also ${name})`)].join(', ')} as built`,
        fix: 'a draft stays a draft, and the next run continues from here',
      });
    }
  }
}
