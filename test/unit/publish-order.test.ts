import { describe, expect, it } from 'vitest';
import { checksumsText } from '../../src/publish/checksums.js';
import { describeOperation, reconcile } from '../../src/publish/reconcile.js';

// Code-point order; a locale's order differs: ICU puts a before B and _ before -, da_DK puts aa after z.
const NAMES = ['B.whl', 'a-b.whl', 'a.whl', 'a_b.whl', 'aa.whl', 'z.whl'];
const shuffled = [NAMES[3]!, NAMES[5]!, NAMES[0]!, NAMES[4]!, NAMES[1]!, NAMES[2]!];
const sha = (name: string) => name.length.toString(16).padStart(64, '0');

describe('publish orders names by code point, whatever the locale', () => {
  it('writes SHA256SUMS in code-point order', () => {
    expect(checksumsText(shuffled.map((name) => ({ name, sha256: sha(name) })))).toBe(NAMES.map((name) => `${sha(name)}  ${name}\n`).join(''));
  });

  it('plans uploads in code-point order', () => {
    const { operations } = reconcile({
      tag: 'v1',
      files: shuffled.map((name) => ({ name, sha256: sha(name), size: 1 })),
      release: { id: 1, draft: true, immutable: false, assets: [] },
      replace: false,
      prune: false,
      draft: true,
      marks: { prerelease: false, latest: 'true' },
    });
    expect(operations.map((operation) => describeOperation(operation, 'v1'))).toEqual(NAMES.map((name) => `upload ${name} (1 bytes)`));
  });
});
