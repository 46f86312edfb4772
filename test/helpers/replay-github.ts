import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

interface Recorded {
  scope: string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  response: unknown;
  headers?: Record<string, string>;
}

const require = createRequire(import.meta.url);

/**
 * Serves one of GitHub's recorded scenarios from @octokit/fixtures on
 * 127.0.0.1: each request must match a recorded one (method, path, the asset
 * name, and an upload's body), and gets the recorded answer, with GitHub's
 * hosts rewritten to this server.
 */
export class ReplayGitHub {
  readonly consumed: string[] = [];
  readonly unexpected: string[] = [];
  private readonly recorded: (Recorded & { used: boolean })[];
  private server?: Server;
  base = '';

  constructor(scenario: string) {
    const file = require.resolve(`@octokit/fixtures/scenarios/api.github.com/${scenario}/normalized-fixture.json`);
    this.recorded = (JSON.parse(readFileSync(file, 'utf8')) as Recorded[]).map((r) => ({ ...r, used: false }));
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const url = new URL(request.url!, 'http://replay');
        const upload = url.pathname.startsWith('/uploads/');
        const pathname = url.pathname.replace(/^\/uploads/, '');
        const body = Buffer.concat(chunks).toString();
        const entry = this.recorded.find((r) => {
          if (r.used || r.method.toUpperCase() !== request.method) return false;
          const recordedUrl = new URL(r.path, 'http://replay');
          if (recordedUrl.pathname !== pathname || r.scope.includes('uploads.') !== upload) return false;
          if (recordedUrl.searchParams.get('name') !== url.searchParams.get('name')) return false;
          return !upload || r.body === body;
        });
        if (!entry) {
          this.unexpected.push(`${request.method} ${url.pathname}${url.search}`);
          response.writeHead(599).end();
          return;
        }
        entry.used = true;
        this.consumed.push(`${entry.method.toUpperCase()} ${entry.path.replace(/\?.*$/, '')} ${entry.status}`);
        const text = JSON.stringify(entry.response ?? '')
          .replaceAll('https://uploads.github.com', `${this.base}/uploads`)
          .replaceAll('https://api.github.com', this.base);
        response.writeHead(entry.status, { 'content-type': 'application/json; charset=utf-8' });
        response.end(entry.status === 204 ? undefined : text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
