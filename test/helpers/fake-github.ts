import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateResponse } from './openapi.js';

/** What the fake does to one request instead of (or besides) serving it. */
export type Fault =
  | { kind: 'status'; status: 500 | 502 | 503 }
  /** An upload that fails with 502 after leaving an empty `starter` asset, as GitHub's docs warn. */
  | { kind: 'starter' }
  /** A spurious 422 already_exists on upload. */
  | { kind: 'conflict' }
  | { kind: 'rate-limit'; status: 403 | 429; retryAfter: number }
  | { kind: 'reset' }
  | { kind: 'timeout' }
  /** An upload that answers 201 but stores other bytes of the same size. */
  | { kind: 'corrupt' };

export interface FaultContext {
  readonly method: string;
  readonly path: string;
  readonly index: number;
  readonly upload: boolean;
}

interface StoredAsset {
  id: number;
  name: string;
  state: 'uploaded' | 'starter';
  content: Buffer;
  created_at: string;
}

interface StoredRelease {
  id: number;
  tag_name: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  /** Published while the repository's immutable releases setting was on. */
  immutable: boolean;
  created_at: string;
  published_at: string | null;
  /** Where publishing makes the tag, when it does not exist yet. */
  target_commitish: string;
  assets: StoredAsset[];
}

/** The commit the tests' builds are of; seeded tags point at it unless told otherwise. */
export const BUILT_COMMIT = 'b'.repeat(40);
/** The head of the default branch: where GitHub makes a missing tag when the release names no commit. */
export const DEFAULT_BRANCH_COMMIT = 'd'.repeat(40);

const USER = {
  login: 'native-matrix-bot',
  id: 1,
  node_id: 'MDQ6VXNlcjE=',
  avatar_url: 'https://avatars.example/u/1',
  gravatar_id: '',
  url: 'https://api.example/users/native-matrix-bot',
  html_url: 'https://github.example/native-matrix-bot',
  followers_url: 'https://api.example/users/x/followers',
  following_url: 'https://api.example/users/x/following{/other_user}',
  gists_url: 'https://api.example/users/x/gists{/gist_id}',
  starred_url: 'https://api.example/users/x/starred{/owner}{/repo}',
  subscriptions_url: 'https://api.example/users/x/subscriptions',
  organizations_url: 'https://api.example/users/x/orgs',
  repos_url: 'https://api.example/users/x/repos',
  events_url: 'https://api.example/users/x/events{/privacy}',
  received_events_url: 'https://api.example/users/x/received_events',
  type: 'Bot',
  site_admin: false,
};

/**
 * A GitHub of one repository's releases on 127.0.0.1: the endpoints the
 * publisher uses, each response checked against GitHub's OpenAPI
 * description, with faults injected on request and every byte counted.
 */
export class FakeGitHub {
  readonly releases: StoredRelease[] = [];
  requests = 0;
  uploadBytes = 0;
  uploads = 0;
  readonly log: string[] = [];
  readonly violations: string[] = [];
  /** The repository's immutable releases setting: releases published while it is on can no longer change. */
  immutableReleases = false;
  /** Whether assets carry GitHub's sha256 digest (older GitHub Enterprise Servers give none). */
  digests = true;
  /** The release marked Latest. */
  latestId?: number;
  /** The repository's tags: the commit each points at, and for an annotated tag the sha of its tag object. */
  readonly tags = new Map<string, { commit: string; tagObject?: string }>();
  private server?: Server;
  private nextId = 1000;
  private readonly held = new Set<ServerResponse>();
  base = '';

  constructor(
    readonly owner = 'o',
    readonly repo = 'r',
    private readonly fault: (context: FaultContext) => Fault | undefined = () => undefined,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        // A response that breaks GitHub's OpenAPI description is a bug in the fake: record it for the test.
        this.violations.push(String(error));
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const response of this.held) response.socket?.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The release of a tag as a reader would see it: assets with their sha256. */
  view(tag: string) {
    return this.releases
      .filter((r) => r.tag_name === tag)
      .map((r) => ({
        id: r.id,
        draft: r.draft,
        prerelease: r.prerelease,
        latest: r.id === this.latestId,
        immutable: r.immutable,
        assets: r.assets.map((a) => ({ name: a.name, state: a.state, sha256: sha256(a.content) })),
      }));
  }

  /** A tag pushed to the repository, lightweight or annotated. */
  tag(name: string, commit: string, { annotated = false } = {}): void {
    this.tags.set(name, { commit, tagObject: annotated ? sha256(Buffer.from(`tag ${name}`)).slice(0, 40) : undefined });
  }

  /** A release made outside native-matrix (by hand, or by an earlier run), with its assets; a published one has its tag (at BUILT_COMMIT unless told). */
  seed(tag: string, options: { draft?: boolean; prerelease?: boolean; latest?: boolean; commit?: string; assets?: Record<string, string | Buffer>; state?: Record<string, 'starter'> } = {}): void {
    const { draft = false, prerelease = false, assets = {}, state = {} } = options;
    if (!draft && !this.tags.has(tag)) this.tag(tag, options.commit ?? BUILT_COMMIT);
    const latest = options.latest ?? (!draft && !prerelease);
    const now = new Date().toISOString();
    const release: StoredRelease = {
      id: this.nextId++,
      tag_name: tag,
      name: tag,
      body: 'By hand',
      draft,
      prerelease,
      immutable: !draft && this.immutableReleases,
      created_at: now,
      published_at: draft ? null : now,
      target_commitish: 'main',
      assets: Object.entries(assets).map(([name, content]) => ({ id: this.nextId++, name, state: state[name] ?? 'uploaded', content: Buffer.from(content), created_at: now })),
    };
    this.releases.push(release);
    if (latest) this.latestId = release.id;
  }

  /** Publishing marks Latest as GitHub does: `make_latest` defaults to true; a pre-release is never Latest. */
  private publishRelease(release: StoredRelease, makeLatest: string | undefined, now: string) {
    release.draft = false;
    release.published_at = now;
    release.immutable = this.immutableReleases;
    // Publishing makes a missing tag, at the release's target.
    if (!this.tags.has(release.tag_name)) this.tag(release.tag_name, /^[0-9a-f]{40}$/.test(release.target_commitish) ? release.target_commitish : DEFAULT_BRANCH_COMMIT);
    if (!release.prerelease && (makeLatest ?? 'true') === 'true') this.latestId = release.id;
  }

  private releaseJson(release: StoredRelease) {
    const api = `${this.base}/repos/${this.owner}/${this.repo}`;
    return {
      url: `${api}/releases/${release.id}`,
      html_url: `https://github.example/${this.owner}/${this.repo}/releases/${release.draft ? `untagged-${release.id}` : `tag/${release.tag_name}`}`,
      assets_url: `${api}/releases/${release.id}/assets`,
      upload_url: `${this.base}/uploads/repos/${this.owner}/${this.repo}/releases/${release.id}/assets{?name,label}`,
      tarball_url: null,
      zipball_url: null,
      id: release.id,
      node_id: `RE_${release.id}`,
      tag_name: release.tag_name,
      target_commitish: release.target_commitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      immutable: release.immutable,
      created_at: release.created_at,
      published_at: release.published_at,
      author: USER,
      assets: release.assets.map((asset) => this.assetJson(asset)),
    };
  }

  private assetJson(asset: StoredAsset) {
    return {
      url: `${this.base}/repos/${this.owner}/${this.repo}/releases/assets/${asset.id}`,
      browser_download_url: `https://github.example/${this.owner}/${this.repo}/releases/download/x/${asset.name}`,
      id: asset.id,
      node_id: `RA_${asset.id}`,
      name: asset.name,
      label: null,
      state: asset.state,
      content_type: 'application/octet-stream',
      size: asset.content.length,
      digest: asset.state === 'uploaded' && this.digests ? `sha256:${sha256(asset.content)}` : null,
      download_count: 0,
      created_at: asset.created_at,
      updated_at: asset.created_at,
      uploader: USER,
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const index = this.requests++;
    const url = new URL(request.url!, this.base);
    const upload = url.pathname.startsWith('/uploads/');
    const body = await readBody(request);
    if (upload) this.uploadBytes += body.length;
    this.log.push(`${request.method} ${url.pathname}${url.search}`);
    const fault = this.fault({ method: request.method!, path: url.pathname, index, upload });
    const send = (status: number, template: string | undefined, json?: unknown, headers: Record<string, string | number> = {}) => {
      if (template && status < 400) validateResponse(request.method!, template, status, json);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(json === undefined ? undefined : JSON.stringify(json));
    };
    if (fault?.kind === 'reset') return void request.socket.destroy();
    if (fault?.kind === 'timeout') return void this.held.add(response);
    if (fault?.kind === 'status') return send(fault.status, undefined, { message: 'Server Error' });
    if (fault?.kind === 'rate-limit') {
      return send(fault.status, undefined, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': fault.retryAfter });
    }

    const prefix = `/repos/${this.owner}/${this.repo}`;
    const path = url.pathname.replace(/^\/uploads/, '');
    const match = (pattern: RegExp) => pattern.exec(path.startsWith(prefix) ? path.slice(prefix.length) : '\0');
    const releaseById = (id: string) => this.releases.find((r) => r.id === Number(id));
    const now = new Date().toISOString();
    let m: RegExpExecArray | null;

    if (request.method === 'GET' && match(/^\/releases$/)) {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = [...this.releases].sort((a, b) => b.id - a.id);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) headers.link = `<${this.base}${prefix}/releases?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      return send(
        200,
        '/repos/{owner}/{repo}/releases',
        slice.map((r) => this.releaseJson(r)),
        headers,
      );
    }
    if (request.method === 'POST' && match(/^\/releases$/)) {
      const input = JSON.parse(body.toString() || '{}') as { tag_name: string; target_commitish?: string; name?: string; body?: string; draft?: boolean; prerelease?: boolean; make_latest?: string };
      if (input.make_latest === 'true' && (input.draft || input.prerelease)) return send(422, undefined, NOT_LATEST);
      if (!input.draft && this.releases.some((r) => r.tag_name === input.tag_name && !r.draft)) {
        return send(422, undefined, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
      }
      const release: StoredRelease = {
        id: this.nextId++,
        tag_name: input.tag_name,
        name: input.name ?? null,
        body: input.body ?? 'Generated notes',
        draft: true,
        prerelease: !!input.prerelease,
        immutable: false,
        created_at: now,
        published_at: null,
        target_commitish: input.target_commitish ?? 'main',
        assets: [],
      };
      if (!input.draft) this.publishRelease(release, input.make_latest, now);
      this.releases.push(release);
      return send(201, '/repos/{owner}/{repo}/releases', this.releaseJson(release));
    }
    if ((m = match(/^\/git\/ref\/tags\/(.+)$/)) && request.method === 'GET') {
      const name = m[1]!.split('/').map(decodeURIComponent).join('/');
      const tag = this.tags.get(name);
      if (!tag) return send(404, undefined, { message: 'Not Found' });
      const object = tag.tagObject
        ? { type: 'tag', sha: tag.tagObject, url: `${this.base}${prefix}/git/tags/${tag.tagObject}` }
        : { type: 'commit', sha: tag.commit, url: `${this.base}${prefix}/git/commits/${tag.commit}` };
      return send(200, '/repos/{owner}/{repo}/git/ref/{ref}', { ref: `refs/tags/${name}`, node_id: `REF_${name}`, url: `${this.base}${prefix}/git/refs/tags/${m[1]}`, object });
    }
    if ((m = match(/^\/git\/tags\/([0-9a-f]{40})$/)) && request.method === 'GET') {
      const [name, tag] = [...this.tags].find(([, candidate]) => candidate.tagObject === m![1]) ?? [];
      if (!name || !tag) return send(404, undefined, { message: 'Not Found' });
      return send(200, '/repos/{owner}/{repo}/git/tags/{tag_sha}', {
        node_id: `TAG_${name}`,
        tag: name,
        sha: m[1],
        url: `${this.base}${prefix}/git/tags/${m[1]}`,
        message: `Release ${name}\n`,
        tagger: { name: 'Maintainer', email: 'maintainer@example.org', date: now },
        object: { type: 'commit', sha: tag.commit, url: `${this.base}${prefix}/git/commits/${tag.commit}` },
        verification: { verified: false, reason: 'unsigned', payload: null, signature: null, verified_at: null },
      });
    }
    if ((m = match(/^\/releases\/tags\/(.+)$/)) && request.method === 'GET') {
      const release = this.releases.find((r) => r.tag_name === decodeURIComponent(m![1]!) && !r.draft);
      return release ? send(200, '/repos/{owner}/{repo}/releases/tags/{tag}', this.releaseJson(release)) : send(404, undefined, { message: 'Not Found' });
    }
    if ((m = match(/^\/releases\/(\d+)$/))) {
      const release = releaseById(m[1]!);
      if (!release) return send(404, undefined, { message: 'Not Found' });
      if (request.method === 'PATCH') {
        const input = JSON.parse(body.toString() || '{}') as { draft?: boolean; prerelease?: boolean; make_latest?: string };
        if (input.make_latest === 'true' && ((input.draft ?? release.draft) || (input.prerelease ?? release.prerelease))) return send(422, undefined, NOT_LATEST);
        if (input.prerelease !== undefined) release.prerelease = input.prerelease;
        if (input.draft === false && release.draft) this.publishRelease(release, input.make_latest, now);
        else if (!release.draft && input.make_latest === 'true' && !release.prerelease) this.latestId = release.id;
        return send(200, '/repos/{owner}/{repo}/releases/{release_id}', this.releaseJson(release));
      }
      if (request.method === 'DELETE') {
        this.releases.splice(this.releases.indexOf(release), 1);
        return send(204, '/repos/{owner}/{repo}/releases/{release_id}');
      }
    }
    if ((m = match(/^\/releases\/(\d+)\/assets$/))) {
      const release = releaseById(m[1]!);
      if (!release) return send(404, undefined, { message: 'Not Found' });
      if (request.method === 'GET' && !upload) {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const slice = release.assets.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < release.assets.length) headers.link = `<${this.base}${prefix}/releases/${release.id}/assets?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        return send(
          200,
          '/repos/{owner}/{repo}/releases/{release_id}/assets',
          slice.map((a) => this.assetJson(a)),
          headers,
        );
      }
      if (request.method === 'POST' && upload) {
        const name = url.searchParams.get('name') ?? '';
        this.uploads++;
        if (release.immutable) return send(422, undefined, IMMUTABLE);
        if (fault?.kind === 'conflict' || release.assets.some((a) => a.name === name)) {
          return send(422, undefined, { message: 'Validation Failed', errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] });
        }
        const content = fault?.kind === 'corrupt' ? Buffer.from(body.map((byte) => byte ^ 0xff)) : body;
        const asset: StoredAsset = { id: this.nextId++, name, state: 'uploaded', content, created_at: now };
        if (fault?.kind === 'starter') {
          release.assets.push({ ...asset, state: 'starter', content: Buffer.alloc(0) });
          return send(502, undefined, { message: 'Bad Gateway' });
        }
        release.assets.push(asset);
        return send(201, '/repos/{owner}/{repo}/releases/{release_id}/assets', this.assetJson(asset));
      }
    }
    if ((m = match(/^\/releases\/assets\/(\d+)$/))) {
      const release = this.releases.find((r) => r.assets.some((a) => a.id === Number(m![1])));
      const asset = release?.assets.find((a) => a.id === Number(m![1]));
      if (!release || !asset) return send(404, undefined, { message: 'Not Found' });
      if (release.immutable && (request.method === 'DELETE' || request.method === 'PATCH')) return send(422, undefined, IMMUTABLE);
      if (request.method === 'DELETE') {
        release.assets.splice(release.assets.indexOf(asset), 1);
        return send(204, '/repos/{owner}/{repo}/releases/assets/{asset_id}');
      }
      if (request.method === 'PATCH') {
        const input = JSON.parse(body.toString() || '{}') as { name?: string };
        if (input.name && release.assets.some((a) => a.name === input.name && a !== asset)) {
          return send(422, undefined, { message: 'Validation Failed', errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] });
        }
        if (input.name) asset.name = input.name;
        return send(200, '/repos/{owner}/{repo}/releases/assets/{asset_id}', this.assetJson(asset));
      }
      if (request.method === 'GET') {
        if ((request.headers.accept ?? '').includes('application/octet-stream')) {
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          return void response.end(asset.content);
        }
        return send(200, '/repos/{owner}/{repo}/releases/assets/{asset_id}', this.assetJson(asset));
      }
    }
    send(404, undefined, { message: `Not Found: ${request.method} ${url.pathname}` });
  }
}

/** GitHub's answer to `make_latest: true` on a draft or a pre-release. */
const NOT_LATEST = { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'custom', field: 'make_latest', message: 'Latest release cannot be draft or prerelease' }] };
const IMMUTABLE = { message: 'Cannot modify an immutable release', errors: [{ resource: 'Release', code: 'custom', message: 'immutable release' }] };

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
