import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const TWIRP = '/twirp/github.actions.results.api.v1.ArtifactService/';

interface StoredArtifact {
  id: number;
  name: string;
  run: string;
  job: string;
  blocks: Map<string, Buffer>;
  content?: Buffer;
  finalized: boolean;
  createdAt: string;
}

/**
 * The artifact service of GitHub Actions (v4+ protocol) on 127.0.0.1: the
 * Twirp ArtifactService (CreateArtifact, FinalizeArtifact, ListArtifacts,
 * GetSignedArtifactURL, DeleteArtifact) and the blob storage it signs URLs
 * for (Azure's Put Block / Put Block List / Put Blob, and a plain GET to
 * download). Enough for @actions/artifact to upload and download for real.
 * As GitHub does, a name is unique across every job and attempt of a run:
 * creating it again answers 409 until the existing one is deleted.
 */
export class ArtifactService {
  readonly artifacts: StoredArtifact[] = [];
  private server?: Server;
  private nextId = 1;
  base = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request).then(
        ({ status, body, headers }) => {
          response.writeHead(status, { 'x-ms-request-id': 'local', 'x-ms-version': '2025-01-05', ...headers });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ code: 'internal', msg: String(error) }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Every request of the Twirp service, by method name, in order. */
  readonly calls: string[] = [];

  /** The variables a runner gives a job, pointing @actions/artifact here. */
  env(run = 'run-1', job = 'job-1'): Record<string, string> {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ scp: `Actions.GenericRead:x Actions.Results:${run}:${job}` })}.sig`;
    return { ACTIONS_RUNTIME_TOKEN: token, ACTIONS_RESULTS_URL: `${this.base}/` };
  }

  private async handle(request: IncomingMessage): Promise<{ status: number; body?: Buffer | string; headers?: Record<string, string> }> {
    const body = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => resolve(Buffer.concat(chunks)));
      request.on('error', reject);
    });
    const url = new URL(request.url!, this.base);
    const json = (value: object) => ({ status: 200, body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

    if (request.method === 'POST' && url.pathname.startsWith(TWIRP)) {
      const method = url.pathname.slice(TWIRP.length);
      this.calls.push(method);
      // The client sends protobuf field names (snake_case); accept JSON names too.
      const raw = JSON.parse(body.toString() || '{}') as Record<string, string>;
      const input = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), value]));
      const find = () => this.artifacts.find((a) => a.name === input.name && a.run === input.workflowRunBackendId && a.job === input.workflowJobRunBackendId);
      switch (method) {
        case 'CreateArtifact': {
          if (this.artifacts.some((a) => a.name === input.name && a.run === input.workflowRunBackendId && a.finalized)) {
            return { status: 409, body: JSON.stringify({ code: 'already_exists', msg: 'an artifact with this name already exists on the workflow run' }) };
          }
          const artifact: StoredArtifact = {
            id: this.nextId++,
            name: input.name!,
            run: input.workflowRunBackendId!,
            job: input.workflowJobRunBackendId!,
            blocks: new Map(),
            finalized: false,
            createdAt: new Date().toISOString(),
          };
          this.artifacts.push(artifact);
          return json({ ok: true, signedUploadUrl: `${this.base}/blob/${artifact.id}?sig=local` });
        }
        case 'FinalizeArtifact': {
          const artifact = find();
          if (!artifact?.content) return { status: 404, body: JSON.stringify({ code: 'not_found', msg: 'no upload for this artifact' }) };
          artifact.finalized = true;
          return json({ ok: true, artifactId: String(artifact.id) });
        }
        case 'ListArtifacts':
          return json({
            artifacts: this.artifacts
              .filter((a) => a.finalized && a.run === input.workflowRunBackendId)
              // Wrapper types arrive as plain JSON values (proto3 JSON mapping).
              .filter((a) => input.nameFilter === undefined || a.name === input.nameFilter)
              .filter((a) => input.idFilter === undefined || String(a.id) === String(input.idFilter))
              .map((a) => ({ workflowRunBackendId: a.run, workflowJobRunBackendId: a.job, databaseId: String(a.id), name: a.name, size: String(a.content!.length), createdAt: a.createdAt })),
          });
        case 'DeleteArtifact': {
          // Any job of the run may delete it (a re-run attempt is another job).
          const index = this.artifacts.findIndex((a) => a.finalized && a.name === input.name && a.run === input.workflowRunBackendId);
          if (index < 0) return { status: 404, body: '{"code":"not_found"}' };
          const [deleted] = this.artifacts.splice(index, 1);
          return json({ ok: true, artifactId: String(deleted!.id) });
        }
        case 'GetSignedArtifactURL': {
          const artifact = this.artifacts.find((a) => a.finalized && a.name === input.name && a.run === input.workflowRunBackendId);
          return artifact ? json({ name: artifact.name, signedUrl: `${this.base}/download/${artifact.id}?sig=local` }) : { status: 404, body: '{"code":"not_found"}' };
        }
        default:
          return { status: 404, body: JSON.stringify({ code: 'bad_route', msg: method }) };
      }
    }

    const blob = /^\/blob\/(\d+)$/.exec(url.pathname);
    if (blob && request.method === 'PUT') {
      const artifact = this.artifacts.find((a) => a.id === Number(blob[1]));
      if (!artifact) return { status: 404 };
      const comp = url.searchParams.get('comp');
      if (comp === 'block') artifact.blocks.set(url.searchParams.get('blockid')!, body);
      else if (comp === 'blocklist') {
        const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]+)<\//g)].map((m) => m[1]!);
        // As Azure does: a list naming a block never staged is refused, not read as empty.
        if (ids.some((id) => !artifact.blocks.has(id))) return { status: 400, body: 'InvalidBlockList' };
        artifact.content = Buffer.concat(ids.map((id) => artifact.blocks.get(id)!));
      } else artifact.content = body;
      return { status: 201, headers: { etag: `"${artifact.id}"`, 'last-modified': new Date().toUTCString(), 'content-md5': '' } };
    }
    const download = /^\/download\/(\d+)$/.exec(url.pathname);
    if (download && request.method === 'GET') {
      const artifact = this.artifacts.find((a) => a.id === Number(download[1]));
      return artifact?.content ? { status: 200, body: artifact.content, headers: { 'content-type': 'application/zip' } } : { status: 404 };
    }
    return { status: 404 };
  }
}
