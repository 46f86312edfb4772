import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { createClient, isRequestError } from '../github/client.js';
import { ReleasePublisher } from '../github/releases.js';
import type { ReleaseReport } from '../github/release-request.js';
import type { FileToPublish } from '../publish/release-files.js';
import { TAG_REF_PREFIX } from '../plan/event.js';
import { readPlanFileIn, type PlanFile } from '../plan/plan-file.js';
import type { Narrowing } from '../plan/planner.js';
import type { Reporter } from '../core/reporter.js';
import { checksumsText } from '../publish/checksums.js';
import { gatherCells, type ReleaseFile } from '../publish/gather.js';
import { CHECKSUMS_FILE, RELEASE_MANIFEST_FILE } from '../core/names.js';
import { pypiFiles } from '../publish/pypi.js';
import { checkVersionsAgree } from '../publish/version-agreement.js';
import { planCommand } from './plan.js';

export interface PublishOptions {
  readonly workingDirectory: string;
  readonly configPath?: string;
  /** The cells' directories (one per cell). */
  readonly fromDir: string;
  readonly narrowing: Narrowing;
  /** The plan the cells were built for; default `fromDir/plan.json`, else the config planned again. */
  readonly plan?: PlanFile;
  /** The tag; default the plan's, else the pushed tag of GITHUB_REF. */
  readonly tag?: string;
  /** owner/name; default GITHUB_REPOSITORY. */
  readonly repository?: string;
  readonly token?: string;
  readonly apiUrl?: string;
  readonly dryRun: boolean;
  readonly env?: NodeJS.ProcessEnv;
  /** Backoff base for retries, in ms (tests make it small). */
  readonly retryBaseMs?: number;
}

export interface PublishResult {
  readonly files: number;
  /** The files of the release, SHA256SUMS included. */
  readonly published: readonly FileToPublish[];
  /** Where SHA256SUMS and release-manifest.json were written (never by a dry run). */
  readonly checksumsPath?: string;
  readonly mergedManifestPath?: string;
  readonly release?: ReleaseReport;
  /** The verified wheels and sdist, and whether the config sends them to PyPI (publish.pypi). */
  readonly distributions: readonly ReleaseFile[];
  readonly pypi: boolean;
}

function resolveTag(options: PublishOptions, env: NodeJS.ProcessEnv): string {
  const tag = options.tag ?? (env.GITHUB_REF?.startsWith(TAG_REF_PREFIX) ? env.GITHUB_REF.slice(TAG_REF_PREFIX.length) : undefined);
  if (!tag) throw new UserError({ key: 'tag', message: 'no release tag: this is not a tag push', fix: 'pass --tag (the tag input), or publish from a tag push' });
  return tag;
}

function resolveRepository(options: PublishOptions, env: NodeJS.ProcessEnv): { owner: string; repo: string } {
  const full = options.repository ?? env.GITHUB_REPOSITORY;
  const match = full ? /^([\w.-]+)\/([\w.-]+)$/.exec(full) : null;
  if (!match) throw new UserError({ key: '--repo', message: full ? `"${full}" is not OWNER/NAME` : 'no repository to publish to', fix: 'pass --repo OWNER/NAME or set GITHUB_REPOSITORY' });
  return { owner: match[1]!, repo: match[2]! };
}

/**
 * Checks everything first (tag, repository, token, every cell), then makes
 * the release hold exactly the verified files and SHA256SUMS, and only then
 * writes SHA256SUMS and release-manifest.json into `--from`: a run that
 * fails (or is refused), or a dry run, writes nothing.
 */
export async function publishCommand(options: PublishOptions, reporter: Reporter): Promise<PublishResult> {
  const env = options.env ?? process.env;
  const planned = options.plan ?? (await readPlanFileIn(options.fromDir));
  const tag = resolveTag({ ...options, tag: options.tag ?? planned?.plan.tag }, env);
  const { owner, repo } = resolveRepository(options, env);
  const token = options.token ?? env.GITHUB_TOKEN ?? '';
  // A dry run may go without a token (and then reads nothing from GitHub); a real one may not.
  const client = options.dryRun && !token ? undefined : createClient({ token, baseUrl: options.apiUrl ?? env.GITHUB_API_URL, retryBaseMs: options.retryBaseMs, log: (m) => reporter.status(m) });
  const plan = await planCommand({ workingDirectory: options.workingDirectory, configPath: options.configPath, narrowing: options.narrowing, event: { inputs: {} } }, reporter);
  if (planned) reporter.status(`Plan ${planned.digest}: ${planned.plan.cells.length} cells`);
  const gathered = await reporter.group('Verify the built cells', () => gatherCells(options.fromDir, planned?.plan.cells ?? plan.cells, planned?.digest));
  gathered.leftOut.forEach((problem) => reporter.warning(problem));
  reporter.status(`${gathered.files.length} files from ${gathered.manifests.length} cells, every sha256 checked`);
  checkVersionsAgree(gathered.files);
  const pypi = { distributions: pypiFiles(gathered.files), pypi: plan.config.publish.pypi };

  const files: FileToPublish[] = gathered.files.map((f) => ({ name: f.name, path: f.path, sha256: f.sha256, size: f.size }));
  const checksums = plan.config.publish.checksums ? Buffer.from(checksumsText(files)) : undefined;
  if (checksums) files.push({ name: CHECKSUMS_FILE, content: checksums, sha256: createHash('sha256').update(checksums).digest('hex'), size: checksums.length });
  const releaseManifest = `${JSON.stringify({ generator: `native-matrix ${__VERSION__}`, cells: gathered.manifests, files: gathered.files.map(({ path: _, ...file }) => file) }, null, 2)}\n`;
  const writeLocalFiles = async (published: Buffer | undefined = checksums) => {
    const checksumsPath = published ? path.join(options.fromDir, CHECKSUMS_FILE) : undefined;
    if (checksumsPath) await writeFile(checksumsPath, published!);
    const mergedManifestPath = path.join(options.fromDir, RELEASE_MANIFEST_FILE);
    await writeFile(mergedManifestPath, releaseManifest);
    return { checksumsPath, mergedManifestPath };
  };

  if (!client) {
    reporter.status(`Dry run, no token: would publish ${files.length} assets to ${owner}/${repo} release ${tag} (the release itself not read):`);
    files.forEach((f) => reporter.status(`  upload ${f.name} (${f.size} bytes)`));
    return { files: files.length, published: files, ...pypi };
  }
  const publisher = new ReleasePublisher(client, (m) => reporter.status(m), options.retryBaseMs ?? 1000);
  const { publish } = plan.config;
  const release = await reporter.group(`${options.dryRun ? 'Plan' : 'Publish'} release ${tag} of ${owner}/${repo}`, () =>
    publisher
      .publish({
        owner,
        repo,
        tag,
        name: publish.name,
        notes: publish.notes,
        draft: publish.draft,
        replace: publish.replace,
        prune: publish.prune,
        prerelease: publish.prerelease,
        latest: publish.latest,
        commit: env.GITHUB_SHA || undefined,
        files,
        dryRun: options.dryRun,
      })
      .catch((error: unknown) => {
        throw asUserError(error, tag);
      }),
  );
  release.warnings.forEach((problem) => reporter.warning(problem));
  if (options.dryRun) release.planned.forEach((line) => reporter.status(`would ${line}`));
  else
    reporter.status(
      `Release ${tag}: ${release.uploaded.length - release.replaced.length} added, ${release.replaced.length} replaced, ${release.skipped.length} already there, ${release.removed.length} removed${release.retained.length ? `, ${release.retained.length} not built this time kept` : ''}; ${release.published ? 'published' : 'draft'}${release.prerelease ? ' (pre-release)' : ''}: ${release.url}`,
    );
  // The release's SHA256SUMS may also list assets it kept though this run did not build them.
  const held = release.checksums;
  const published = held ? files.map((f) => (f.name === CHECKSUMS_FILE ? { name: f.name, content: held, sha256: createHash('sha256').update(held).digest('hex'), size: held.length } : f)) : files;
  // A dry run writes nothing, next to the files either.
  return { files: published.length, published, ...(options.dryRun ? {} : await writeLocalFiles(held ?? checksums)), release, ...pypi };
}

/**
 * GitHub's refusals and failures, said without a stack trace, with what to
 * do. Anything else (a TypeError) is a bug of native-matrix and stays one.
 */
export function asUserError(error: unknown, tag: string): unknown {
  if (error instanceof UserError || !isRequestError(error)) return error;
  const { status, message } = error;
  if (status === 401 || status === 403 || status === 404) {
    return new UserError({ key: `release ${tag}`, message: `GitHub refused (${status}): ${message}`, fix: 'check the token and the repository; the publish job needs `permissions: contents: write`' });
  }
  if (status === 422 && /immutable/i.test(message)) {
    return new UserError({
      key: `release ${tag}`,
      message: `is immutable (the repository's immutable releases setting): GitHub refused to change it (${message})`,
      fix: 'publish under a new tag; an immutable release keeps the files it was published with',
    });
  }
  return new UserError({ key: `release ${tag}`, message: `publishing stopped: GitHub answered ${status}: ${message}`, fix: 'run publish again: it continues from what the release holds' });
}
