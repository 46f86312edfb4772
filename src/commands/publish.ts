import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeFile } from '../stages/manifest.js';
import { UserError } from '../errors.js';
import { createClient } from '../github/client.js';
import { ReleasePublisher, type FileToPublish, type ReleaseReport } from '../github/releases.js';
import { TAG_REF_PREFIX } from '../plan/event.js';
import type { Narrowing } from '../plan/planner.js';
import type { Reporter } from '../reporter.js';
import { CHECKSUMS_FILE, checksumsText, gatherCells, type ReleaseFile } from '../publish/gather.js';
import { pypiFiles } from '../publish/pypi.js';
import { checkVersionsAgree } from '../publish/versions.js';
import { planCommand } from './plan.js';

export interface PublishOptions {
  readonly workingDirectory: string;
  readonly configPath?: string;
  /** The cells' directories (one per cell). */
  readonly fromDir: string;
  readonly narrowing: Narrowing;
  /** The tag; default the pushed tag of GITHUB_REF. */
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
  readonly checksumsPath?: string;
  readonly mergedManifestPath: string;
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
 * Gathers and verifies every cell of the plan, writes SHA256SUMS and the
 * merged manifest next to them, and publishes the release: all or nothing.
 */
export async function publishCommand(options: PublishOptions, reporter: Reporter): Promise<PublishResult> {
  const env = options.env ?? process.env;
  const plan = await planCommand({ workingDirectory: options.workingDirectory, configPath: options.configPath, narrowing: options.narrowing, event: { inputs: {} } }, reporter);
  const gathered = await reporter.group('Verify the built cells', () => gatherCells(options.fromDir, plan.cells));
  gathered.leftOut.forEach((problem) => reporter.warning(problem));
  reporter.info(`${gathered.files.length} files from ${gathered.manifests.length} cells, every sha256 checked`);
  checkVersionsAgree(gathered.files);
  const pypi = { distributions: pypiFiles(gathered.files), pypi: plan.config.publish.pypi };

  const files: FileToPublish[] = gathered.files.map((f) => ({ name: f.name, path: f.path, sha256: f.sha256, size: f.size }));
  let checksumsPath: string | undefined;
  if (plan.config.publish.checksums) {
    checksumsPath = path.join(options.fromDir, CHECKSUMS_FILE);
    await writeFile(checksumsPath, checksumsText(files));
    files.push({ ...(await describeFile(checksumsPath)), path: checksumsPath });
  }
  const mergedManifestPath = path.join(options.fromDir, 'release-manifest.json');
  await writeFile(mergedManifestPath, `${JSON.stringify({ generator: `native-matrix ${__VERSION__}`, cells: gathered.manifests, files: gathered.files.map(({ path: _, ...file }) => file) }, null, 2)}\n`);

  const tag = resolveTag(options, env);
  const { owner, repo } = resolveRepository(options, env);
  const token = options.token ?? env.GITHUB_TOKEN ?? '';
  if (options.dryRun && !token) {
    reporter.info(`Dry run, no token: would publish ${files.length} assets to ${owner}/${repo} release ${tag}:`);
    files.forEach((f) => reporter.info(`  upload ${f.name} (${f.size} bytes)`));
    return { files: files.length, published: files, checksumsPath, mergedManifestPath, ...pypi };
  }
  const client = createClient({ token, baseUrl: options.apiUrl ?? env.GITHUB_API_URL, retryBaseMs: options.retryBaseMs, log: (m) => reporter.info(m) });
  const publisher = new ReleasePublisher(client, (m) => reporter.info(m), options.retryBaseMs ?? 1000);
  const release = await reporter.group(`${options.dryRun ? 'Plan' : 'Publish'} release ${tag} of ${owner}/${repo}`, () =>
    publisher.publish({
      owner,
      repo,
      tag,
      name: plan.config.publish.name,
      notes: plan.config.publish.notes,
      draft: plan.config.publish.draft,
      targetCommitish: env.GITHUB_SHA,
      files,
      dryRun: options.dryRun,
    }),
  );
  if (options.dryRun) release.planned.forEach((line) => reporter.info(`would ${line}`));
  else reporter.info(`Release ${tag}: ${release.uploaded.length} uploaded, ${release.skipped.length} already there, ${release.replaced.length} replaced; ${release.published ? 'published' : 'draft'}: ${release.url}`);
  return { files: files.length, published: files, checksumsPath, mergedManifestPath, release, ...pypi };
}
