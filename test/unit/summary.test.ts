import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/stages/manifest.js';
import { buildMarkdown } from '../../src/stages/summary.js';

const manifest = (extra: Partial<Manifest>): Manifest => ({
  schema: 1,
  generator: 'native-matrix test',
  cell: { id: 'linux-aarch64-abi3', platform: 'linux-aarch64', target: 'aarch64-unknown-linux-gnu', python: ['3.11', '3.12', '3.14'], abi3: true },
  project: { name: 'demo', version: '1.0.0' },
  gmp: { source: 'build', libraries: ['gmp'] },
  files: [
    {
      name: 'demo-1.0.0-cp310-abi3-manylinux_2_17_aarch64.whl',
      size: 2048,
      sha256: 'a'.repeat(64),
      kind: 'wheel',
      platformTag: 'manylinux_2_17_aarch64',
      bundled: ['libgmp-0123abcd.so.10'],
      smokePassed: ['3.11', '3.14'],
      smoke: [
        { python: '3.11', interpreter: '3.11.2', passed: true, seconds: 10 },
        { python: '3.14', interpreter: '3.14.6', passed: true, seconds: 20 },
      ],
    },
  ],
  ok: true,
  timings: { build: 1 },
  createdAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});

describe('the build summary', () => {
  it('marks a Python the cell built for but could not smoke-test here, and says why, apart from one the file does not fit', () => {
    const text = buildMarkdown([manifest({ notSmokeTested: [{ python: '3.12', reason: 'no CPython of this version and arch to run under qemu-user here' }] })]);
    expect(text).toContain('| ✅ 10.0 s | ⚠️ not run here | ✅ 20.0 s |');
    expect(text).toContain('⚠️ Python 3.12: built for, not smoke-tested on this machine (no CPython of this version and arch to run under qemu-user here).');
    expect(buildMarkdown([manifest({})])).toContain('| ✅ 10.0 s | — | ✅ 20.0 s |');
  });
});
