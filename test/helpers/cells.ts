import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../src/stages/manifest.js';
import { sha256 } from './fake-github.js';

/** A cell directory as `native-matrix build` leaves it. */
export function writeCell(fromDir: string, id: string, files: Record<string, string>, { ok = true, dirName = id, plan = undefined as string | undefined } = {}) {
  const dir = path.join(fromDir, dirName);
  mkdirSync(dir, { recursive: true });
  const entries = Object.entries(files).map(([name, text]) => {
    writeFileSync(path.join(dir, name), text);
    return {
      name,
      kind: name.endsWith('.tar.gz') ? ('sdist' as const) : ('wheel' as const),
      sha256: sha256(Buffer.from(text)),
      size: Buffer.byteLength(text),
      platformTag: 'x',
      bundled: [],
      smokePassed: ok ? ['3.12', '3.13'] : ['3.12'],
      smoke: [
        { python: '3.12', passed: true, seconds: 1 },
        { python: '3.13', passed: ok, seconds: 1, ...(ok ? {} : { output: 'ImportError' }) },
      ],
    };
  });
  const manifest: Manifest = {
    schema: 1,
    generator: 'test',
    cell: { id, platform: id.replace(/-abi3$/, ''), target: 't', python: ['3.12', '3.13'], abi3: true },
    project: { name: 'demo' },
    gmp: { source: 'system', libraries: ['gmp'] },
    files: entries,
    ok,
    timings: {},
    createdAt: '2026-11-22T00:00:00Z',
    ...(plan ? { plan } : {}),
  };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
