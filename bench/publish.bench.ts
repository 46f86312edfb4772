// Publishing 40 assets while 20% of all requests fail (500, a 502 that leaves
// a starter asset, connection resets, 429 with retry-after): the release must
// end with exactly the 40 assets. Prints requests and bytes sent against the
// minimum: the same publish without faults, and the sum of the file sizes.
// Usage: npm run bench:publish
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createClient } from '../src/github/client.js';
import { ReleasePublisher } from '../src/github/releases.js';
import type { FileToPublish } from '../src/publish/release-files.js';
import { FakeGitHub, sha256, type Fault } from '../test/helpers/fake-github.js';

const ASSETS = 40;
const FAILURE_RATE = 0.2;

function files(): FileToPublish[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-assets-'));
  return Array.from({ length: ASSETS }, (_, i) => {
    const name = `pkg-1.0.0-cp310-abi3-platform_${String(i).padStart(2, '0')}.whl`;
    const content = Buffer.alloc(64 * 1024 + i * 1024, i);
    writeFileSync(path.join(dir, name), content);
    return { name, path: path.join(dir, name), sha256: sha256(content), size: content.length };
  });
}

/** A small deterministic PRNG (mulberry32), so every run injects the same faults. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function publish(list: FileToPublish[], fault?: () => Fault | undefined) {
  const server = await new FakeGitHub('o', 'r', fault).start();
  try {
    const client = createClient({ token: 't', baseUrl: server.base, retryBaseMs: 10, writeSpacingMs: 0, timeoutMs: 5000 });
    const started = performance.now();
    await new ReleasePublisher(client, () => {}, 10).publish({ owner: 'o', repo: 'r', tag: 'v1.0.0', draft: false, files: list, concurrency: 4, commit: 'b'.repeat(40) });
    const seconds = (performance.now() - started) / 1000;
    const [release] = server.view('v1.0.0');
    expect(server.view('v1.0.0')).toHaveLength(1);
    expect(release!.draft).toBe(false);
    expect(release!.assets.map((a) => [a.name, a.state, a.sha256]).sort()).toEqual(list.map((f) => [f.name, 'uploaded', f.sha256]).sort());
    expect(server.violations).toEqual([]);
    return { requests: server.requests, bytes: server.uploadBytes, seconds };
  } finally {
    await server.stop();
  }
}

it(`publishes ${ASSETS} assets with ${FAILURE_RATE * 100}% of requests failing`, async () => {
  const list = files();
  const minimumBytes = list.reduce((sum, f) => sum + f.size, 0);
  const clean = await publish(list);
  const next = random(42);
  const kinds: Fault[] = [{ kind: 'status', status: 500 }, { kind: 'starter' }, { kind: 'reset' }, { kind: 'rate-limit', status: 429, retryAfter: 1 }];
  let injected = 0;
  const faulty = await publish(list, () => {
    if (next() >= FAILURE_RATE) return undefined;
    injected++;
    return kinds[Math.floor(next() * kinds.length)];
  });
  const lines = [
    `${ASSETS} assets, ${(minimumBytes / 1024 / 1024).toFixed(1)} MiB; ${injected} faults injected (${FAILURE_RATE * 100}% of requests)`,
    `without faults: ${clean.requests} requests, ${clean.bytes} bytes uploaded (${(clean.bytes / minimumBytes).toFixed(2)}× the minimum), ${clean.seconds.toFixed(2)} s`,
    `with faults:    ${faulty.requests} requests (${(faulty.requests / clean.requests).toFixed(2)}× the fault-free run), ${faulty.bytes} bytes (${(faulty.bytes / minimumBytes).toFixed(2)}× the minimum), ${faulty.seconds.toFixed(2)} s`,
    'result: exactly the 40 assets, each with its sha256, release published',
  ];
  console.log(lines.join('\n'));
}, 120_000);
