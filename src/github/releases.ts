import { looseObject, string } from 'zod';
import { UserError } from '../core/errors.js';
import { mapLimit } from '../core/concurrency.js';
import { CHECKSUMS_FILE } from '../core/names.js';
import { describeOperation, reconcile, type CurrentAsset, type CurrentRelease, type Operation } from '../publish/reconcile.js';
import { carryChecksums, checksumsChange, type FileToPublish } from '../publish/release-files.js';
import { releaseMarks } from '../publish/versions.js';
import type { GitHubClient } from './client.js';
import type { ReleaseReport, ReleaseRequest } from './release-request.js';
import { ignoreNotFound, ReleaseAssets, statusOf, type Release } from './release-assets.js';

/** What a tag's ref says it points at (GitHub's response has more). */
const GitRefSchema = looseObject({ object: looseObject({ type: string(), sha: string() }) });

/**
 * Makes the release of a tag hold exactly the files, so that nobody ever
 * sees a half release and any number of runs, one after another, converge on
 * one release holding each file once. It reads the release, lets the pure
 * `reconcile` decide the operations (and refuse what must not happen, before
 * any write), and runs them:
 * - a new release is created as a draft, filled, checked, and only then
 *   published; a draft created meanwhile by another publisher is settled
 *   on the oldest one for the tag, as far as GitHub's listing already shows
 *   it (publishing is meant to run in one job, and is only promised there);
 * - uploads that fail transiently are reconciled with what the server
 *   actually holds before they are tried again.
 */
export class ReleasePublisher {
  private readonly assets: ReleaseAssets;

  constructor(
    private readonly client: GitHubClient,
    private readonly log: (message: string) => void = () => {},
    backoffMs = 1000,
  ) {
    this.assets = new ReleaseAssets(client, log, backoffMs);
  }

  async publish(request: ReleaseRequest, settledOnOtherDraft = false): Promise<ReleaseReport> {
    const { owner, repo, tag } = request;
    // Before any write: the release must be of the commit that was built.
    await this.checkTag(owner, repo, tag, request.commit);
    const allReleases = await this.allReleases(owner, repo);
    let release = findIn(allReleases, tag);
    const marks = releaseMarks(tag, allReleases, { prerelease: request.prerelease ?? 'auto', latest: request.latest ?? 'auto' });
    const current = release ? await this.describe(owner, repo, release, request.files) : undefined;
    const publishedSums = release && !release.draft ? await this.publishedChecksums(owner, repo, current!, request.files) : undefined;
    // Assets kept on a published release (not built this time) keep their SHA256SUMS lines.
    const carried = publishedSums !== undefined && !request.prune ? carryChecksums(current!, request.files, publishedSums) : undefined;
    if (carried) {
      request = { ...request, files: carried.files };
      this.log(`${CHECKSUMS_FILE} keeps the lines of ${carried.names.join(', ')}: kept on the release, not built this time`);
    }
    const checksums = publishedSums !== undefined ? checksumsChange(current!, request.files, publishedSums) : undefined;
    const { operations, refused } = reconcile({
      tag,
      files: request.files,
      release: current,
      replace: request.replace ?? false,
      prune: request.prune ?? false,
      draft: request.draft,
      marks,
      checksums,
    });
    // Refused before any write: the release stays as it was.
    if (refused.length > 0) throw new UserError(refused);
    const planned = operations.map((operation) => describeOperation(operation, tag));
    const report = {
      created: false,
      uploaded: [] as string[],
      skipped: [] as string[],
      replaced: [] as string[],
      removed: [] as string[],
      retained: [] as string[],
      planned,
      published: false,
      prerelease: marks.prerelease,
      warnings: marks.warning ? [marks.warning] : [],
      checksums: carried?.content,
    };
    if (request.dryRun) return { ...report, url: release?.html_url, published: !!release && !release.draft };

    const byName = new Map(request.files.map((file) => [file.name, file]));
    const retainedNames = operations.flatMap((operation) => (operation.kind === 'keep' && operation.unproduced ? [operation.name] : []));
    // The staged uploads' asset ids, read once before the first rename.
    let stagedIds: Map<string, number> | undefined;
    for (let index = 0; index < operations.length;) {
      const operation = operations[index]!;
      if (operation.kind === 'upload') {
        // Consecutive uploads run side by side.
        const batch: Extract<Operation, { kind: 'upload' }>[] = [];
        while (operations[index]?.kind === 'upload') batch.push(operations[index++] as Extract<Operation, { kind: 'upload' }>);
        await mapLimit(batch, request.concurrency ?? 4, async ({ file, as }) => {
          await this.assets.upload(owner, repo, release!, { ...byName.get(file.name)!, name: as });
          report.uploaded.push(file.name);
        });
        // Nothing takes a published name before every new file is there, complete.
        if (!release!.draft)
          await this.assets.verify(
            owner,
            repo,
            release!.id,
            batch.map(({ file, as }) => ({ ...file, name: as })),
            false,
          );
        continue;
      }
      index++;
      switch (operation.kind) {
        case 'create-draft': {
          const mine = await this.createDraft(request, operation.prerelease);
          if (mine.settled.id !== mine.created.id && !settledOnOtherDraft) {
            // Another job's draft won: reconcile with what it holds now.
            return this.publish(request, true);
          }
          release = mine.settled;
          report.created = true;
          break;
        }
        case 'keep':
          if (operation.unproduced) {
            report.retained.push(operation.name);
            this.log(`Kept ${operation.name}: not produced by this run, and publish.prune is off`);
          } else report.skipped.push(operation.name);
          break;
        case 'delete':
          await this.assets.deleteAsset(owner, repo, operation.asset.id);
          if (operation.why === 'replaced') report.replaced.push(operation.asset.name);
          else report.removed.push(operation.asset.name);
          this.log(`Deleted ${operation.asset.name} (${operation.why})`);
          break;
        case 'rename': {
          stagedIds ??= new Map((await this.assets.listAssets(owner, repo, release!.id)).map((asset) => [asset.name, asset.id]));
          const staged = stagedIds.get(operation.from);
          if (staged === undefined)
            throw new UserError({
              key: operation.from,
              message: `vanished from release ${tag} before it could take its place as ${operation.to}`,
              fix: 'run publish again: it continues from what the release holds',
            });
          await this.client.rest.repos.updateReleaseAsset({ owner, repo, asset_id: staged, name: operation.to });
          this.log(`${operation.to} is in place on the published release ${tag}`);
          break;
        }
        case 'publish': {
          await this.assets.verify(owner, repo, release!.id, request.files, true, retainedNames);
          const { data } = await this.client.rest.repos.updateRelease({
            owner,
            repo,
            release_id: release!.id,
            draft: false,
            prerelease: operation.marks.prerelease,
            make_latest: operation.marks.latest,
          });
          release = data;
          this.log(`Published release ${tag}${operation.marks.prerelease ? ' (pre-release)' : ''}${operation.marks.latest === 'true' ? ', Latest' : ''}`);
          break;
        }
      }
    }
    // Checked once more after the last write, unless that was publishing (checked just before).
    const wrote = operations.some((operation) => operation.kind !== 'keep');
    if (wrote && operations.at(-1)?.kind !== 'publish') await this.assets.verify(owner, repo, release!.id, request.files, true, retainedNames);
    return { ...report, url: release!.html_url, published: !release!.draft };
  }

  /** Refuses a tag that points at another commit than the one built, or (without a known commit) a tag that does not exist. */
  private async checkTag(owner: string, repo: string, tag: string, commit: string | undefined): Promise<void> {
    const tagged = await this.tagCommit(owner, repo, tag);
    if (tagged && commit && tagged !== commit) {
      throw new UserError({
        key: `tag ${tag}`,
        message: `points at commit ${tagged}, but the files were built from commit ${commit}`,
        fix: 'publish from the workflow run of the tag (or dispatch it on the tag), or move the tag to the commit that was built',
      });
    }
    if (!tagged && !commit) {
      throw new UserError({
        key: `tag ${tag}`,
        message: `does not exist in ${owner}/${repo}`,
        fix: `push it first (git tag ${tag} <commit> && git push origin ${tag}); publish makes a missing tag only in a workflow, at the commit it built (GITHUB_SHA)`,
      });
    }
    if (tagged && !commit) this.log(`Tag ${tag} points at commit ${tagged}: the release is of that commit; publish the files built from it`);
  }

  /** The commit a tag points at, an annotated tag peeled; undefined when there is no such tag. */
  async tagCommit(owner: string, repo: string, tag: string): Promise<string | undefined> {
    let object: { type: string; sha: string };
    try {
      // Slashes of the tag stay slashes: `pkg/v1.0.0` is tags/pkg/v1.0.0.
      const response = await this.client.request('GET /repos/{owner}/{repo}/git/ref/tags/{+tag}', { owner, repo, tag: tag.split('/').map(encodeURIComponent).join('/') });
      object = GitRefSchema.parse(response.data).object;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    // An annotated tag points at a tag object, which may point at another tag.
    for (let depth = 0; object.type === 'tag' && depth < 10; depth++) {
      object = (await this.client.rest.git.getTag({ owner, repo, tag_sha: object.sha })).data.object;
    }
    if (object.type !== 'commit') {
      throw new UserError({ key: `tag ${tag}`, message: `points at a ${object.type} (${object.sha}), not at a commit`, fix: 'tag the commit that was built' });
    }
    return object.sha;
  }

  /** The release's assets, with their content's sha256 where GitHub gives it or it can be read back. */
  private async describe(owner: string, repo: string, release: Release, files: readonly FileToPublish[]): Promise<CurrentRelease> {
    const assets: CurrentAsset[] = [];
    for (const asset of await this.assets.listAssets(owner, repo, release.id)) {
      let sha256 = asset.digest?.startsWith('sha256:') ? asset.digest.slice('sha256:'.length) : undefined;
      // Without a digest (older GitHub Enterprise Servers), an asset that may hold a file is read back rather than trusted or replaced.
      const candidate = files.find((file) => file.name === asset.name && file.size === asset.size);
      if (!sha256 && asset.state === 'uploaded' && candidate) sha256 = await this.assets.assetSha256(owner, repo, asset.id);
      assets.push({ id: asset.id, name: asset.name, size: asset.size, state: asset.state, sha256 });
    }
    return { id: release.id, draft: release.draft, immutable: release.immutable === true, assets };
  }

  /** The text of the release's SHA256SUMS, when this run writes one and it may change (read only then). */
  private async publishedChecksums(owner: string, repo: string, release: CurrentRelease, files: readonly FileToPublish[]): Promise<string | undefined> {
    const intended = files.find((file) => file.name === CHECKSUMS_FILE && file.content);
    const asset = release.assets.find((candidate) => candidate.name === CHECKSUMS_FILE && candidate.state === 'uploaded');
    const names = new Set(files.map((file) => file.name));
    const mayChange = asset?.sha256 !== intended?.sha256 || release.assets.some((other) => !names.has(other.name));
    return intended && asset && mayChange ? (await this.assets.assetContent(owner, repo, asset.id)).toString('utf8') : undefined;
  }

  /** Every release of the repository, drafts included (GET /releases/tags/{tag} does not return drafts). */
  private async allReleases(owner: string, repo: string): Promise<Release[]> {
    return await this.client.paginate(this.client.rest.repos.listReleases, { owner, repo, per_page: 100 });
  }

  /** Creates a draft; jobs racing on one tag each create one, all settle on the same one, and the others delete their own. */
  private async createDraft(request: ReleaseRequest, prerelease: boolean): Promise<{ created: Release; settled: Release }> {
    const { owner, repo, tag } = request;
    const { data } = await this.client.rest.repos.createRelease({
      owner,
      repo,
      tag_name: tag,
      name: request.name ?? tag,
      draft: true,
      prerelease,
      ...(request.notes !== undefined ? { body: request.notes } : { generate_release_notes: true }),
      ...(request.commit ? { target_commitish: request.commit } : {}),
    });
    const created = data as Release;
    this.log(`Created draft release ${tag} (id ${created.id})`);
    const settled = findIn(await this.allReleases(owner, repo), tag) ?? created;
    if (settled.id !== created.id) {
      this.log(`Another job created release ${tag} first (id ${settled.id}); deleting draft ${created.id}`);
      await ignoreNotFound(() => this.client.rest.repos.deleteRelease({ owner, repo, release_id: created.id }));
    }
    return { created, settled };
  }
}

/** The published release of the tag, else its oldest draft. */
function findIn(releases: readonly Release[], tag: string): Release | undefined {
  const ofTag = releases.filter((release) => release.tag_name === tag).sort((a, b) => a.id - b.id);
  return ofTag.find((release) => !release.draft) ?? ofTag[0];
}
