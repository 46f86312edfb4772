import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Serves tarballs on 127.0.0.1; the first request for each fails with 500, to prove the retry. */
export async function serveTarballs(files: Record<string, Buffer>) {
  const seen = new Set<string>();
  const server = createServer((request, response) => {
    const body = files[request.url!.slice(1)];
    if (!body) return void response.writeHead(404).end();
    if (!seen.has(request.url!)) {
      seen.add(request.url!);
      return void response.writeHead(500).end();
    }
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A source tarball with a top directory, configfsf.guess, `licences` (file names, each holding its own name) and (for GMP) no doc/, like Debian's +dfsg. */
export function tarball(top: string, licences: readonly string[] = []): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'src-'));
  mkdirSync(path.join(dir, top));
  writeFileSync(path.join(dir, top, 'configfsf.guess'), '#!/bin/sh\necho generic\n');
  writeFileSync(path.join(dir, top, 'config.guess'), '#!/bin/sh\necho skylake-pc-linux-gnu\n');
  for (const name of licences) writeFileSync(path.join(dir, top, name), `${name}\n`);
  const file = path.join(dir, 'src.tar.gz');
  if (spawnSync('tar', ['-czf', file, '-C', dir, top]).status !== 0) throw new Error('tar failed');
  return readFileSync(file);
}
