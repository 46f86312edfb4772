import { describe, expect, it } from 'vitest';
import { describeOperation, reconcile, type CurrentAsset, type ReconcileInput } from '../../src/publish/reconcile.js';

const file = (name: string, sha = name) => ({ name, sha256: sha.padEnd(64, '0'), size: 10 });
const asset = (id: number, name: string, sha = name, state = 'uploaded'): CurrentAsset => ({ id, name, size: 10, state, sha256: sha.padEnd(64, '0') });
const base: Omit<ReconcileInput, 'files'> = { tag: 'v1.0.0', replace: false, prune: false, draft: false, marks: { prerelease: false, latest: 'true' } };
const lines = (input: ReconcileInput) => reconcile(input).operations.map((operation) => describeOperation(operation, input.tag));

describe('reconcile: from the intended files and the release to operations', () => {
  it('creates, fills and publishes a new release', () => {
    expect(lines({ ...base, files: [file('a.whl'), file('b.whl')] })).toEqual([
      'create draft release v1.0.0',
      'upload a.whl (10 bytes)',
      'upload b.whl (10 bytes)',
      'publish release v1.0.0, marked Latest',
    ]);
    expect(lines({ ...base, draft: true, marks: { prerelease: true, latest: 'false' }, files: [file('a.whl')] })).toEqual(['create draft release v1.0.0 (pre-release)', 'upload a.whl (10 bytes)']);
  });

  it('makes a draft exact: keeps, replaces, removes stale files, temporaries and incomplete uploads, then publishes', () => {
    const release = {
      id: 1,
      draft: true,
      immutable: false,
      assets: [asset(1, 'a.whl'), asset(2, 'b.whl', 'old'), asset(3, 'stale.whl'), asset(4, 'a.whl.native-matrix-replacement'), asset(5, 'c.whl', 'c', 'starter')],
    };
    const result = reconcile({ ...base, release, files: [file('a.whl'), file('b.whl'), file('c.whl')] });
    expect(result.refused).toEqual([]);
    expect(result.operations.map((operation) => describeOperation(operation, 'v1.0.0'))).toEqual([
      'keep a.whl (same sha256)',
      'delete a.whl.native-matrix-replacement (left by an interrupted run)',
      'delete c.whl (an incomplete upload: starter)',
      'delete stale.whl (not produced by this run)',
      'delete b.whl (replaced by new content)',
      'upload b.whl (10 bytes)',
      'upload c.whl (10 bytes)',
      'publish release v1.0.0, marked Latest',
    ]);
  });

  it('on a published release: refuses other bytes, naming each file, unless replace; keeps assets it does not produce unless prune; stages new files first', () => {
    const release = { id: 1, draft: false, immutable: false, assets: [asset(1, 'a.whl'), asset(2, 'b.whl', 'old'), asset(3, 'stale.whl')] };
    const files = [file('a.whl'), file('b.whl'), file('new.whl')];
    const refused = reconcile({ ...base, release, files });
    expect(refused.refused.map((problem) => problem.key)).toEqual(['b.whl']);
    expect(refused.refused[0]!.message).toBe(`differs from the asset of the published release v1.0.0 (sha256 ${'old'.padEnd(64, '0')}, 10 bytes; built: sha256 ${'b.whl'.padEnd(64, '0')}, 10 bytes)`);
    const allowed = reconcile({ ...base, release, files, replace: true });
    expect(allowed.refused).toEqual([]);
    expect(allowed.operations.map((operation) => describeOperation(operation, 'v1.0.0'))).toEqual([
      'keep a.whl (same sha256)',
      'keep stale.whl (not produced by this run; `publish.prune: true` removes it)',
      'upload b.whl as b.whl.native-matrix-replacement (10 bytes)',
      'upload new.whl as new.whl.native-matrix-replacement (10 bytes)',
      'delete b.whl (replaced by new content)',
      'rename b.whl.native-matrix-replacement to b.whl',
      'rename new.whl.native-matrix-replacement to new.whl',
    ]);
    const pruned = reconcile({ ...base, release, files, replace: true, prune: true });
    expect(pruned.operations.map((operation) => describeOperation(operation, 'v1.0.0'))).toEqual([
      'keep a.whl (same sha256)',
      'upload b.whl as b.whl.native-matrix-replacement (10 bytes)',
      'upload new.whl as new.whl.native-matrix-replacement (10 bytes)',
      'delete b.whl (replaced by new content)',
      'rename b.whl.native-matrix-replacement to b.whl',
      'rename new.whl.native-matrix-replacement to new.whl',
      'delete stale.whl (not produced by this run)',
    ]);
    // Adding a file changes nothing published: no refusal, even without replace.
    expect(reconcile({ ...base, release: { ...release, assets: [asset(1, 'a.whl')] }, files: [file('a.whl'), file('new.whl')] }).refused).toEqual([]);
  });

  it('lets a published SHA256SUMS gain lines (files added), and names the files when it would lose or change one', () => {
    const line = (name: string, sha = name) => `${Buffer.from(sha).toString('hex').padEnd(64, '0')}  ${name}\n`;
    const published = line('a.whl') + line('b.whl');
    const release = { id: 1, draft: false, immutable: false, assets: [asset(1, 'a.whl'), asset(2, 'b.whl'), asset(3, 'SHA256SUMS', 'sums1')] };
    const grown = line('a.whl') + line('b.whl') + line('c.whl');
    const added = reconcile({ ...base, release, files: [file('a.whl'), file('b.whl'), file('c.whl'), file('SHA256SUMS', 'sums2')], checksums: { name: 'SHA256SUMS', published, intended: grown } });
    expect(added.refused).toEqual([]);
    expect(added.operations.map((operation) => describeOperation(operation, 'v1.0.0'))).toEqual([
      'keep a.whl (same sha256)',
      'keep b.whl (same sha256)',
      'upload SHA256SUMS as SHA256SUMS.native-matrix-replacement (10 bytes)',
      'upload c.whl as c.whl.native-matrix-replacement (10 bytes)',
      'delete SHA256SUMS (replaced by new content)',
      'rename SHA256SUMS.native-matrix-replacement to SHA256SUMS',
      'rename c.whl.native-matrix-replacement to c.whl',
    ]);
    // Without the published text there is no telling: refused, as any other bytes are.
    expect(reconcile({ ...base, release, files: [file('a.whl'), file('b.whl'), file('c.whl'), file('SHA256SUMS', 'sums2')] }).refused.map((problem) => problem.key)).toEqual(['SHA256SUMS']);
    // b.whl rebuilt and a.whl gone: each named as the cause.
    const changed = reconcile({
      ...base,
      release,
      files: [file('b.whl', 'b2'), file('c.whl'), file('SHA256SUMS', 'sums3')],
      checksums: { name: 'SHA256SUMS', published, intended: line('b.whl', 'b2') + line('c.whl') },
      prune: true,
    });
    expect(changed.refused.map((problem) => `${problem.key}: ${problem.message}`)).toEqual([
      `SHA256SUMS: would change lines of the published release v1.0.0's SHA256SUMS: other sha256 for b.whl; no line for a.whl; new lines for c.whl`,
      `b.whl: differs from the asset of the published release v1.0.0 (sha256 ${'b.whl'.padEnd(64, '0')}, 10 bytes; built: sha256 ${'b2'.padEnd(64, '0')}, 10 bytes)`,
    ]);
  });

  it('trusts no asset whose content is unknown', () => {
    const release = { id: 1, draft: false, immutable: false, assets: [{ id: 1, name: 'a.whl', size: 10, state: 'uploaded' }] };
    expect(reconcile({ ...base, release, files: [file('a.whl')] }).refused[0]!.message).toContain('(content unknown, 10 bytes;');
  });

  it('refuses every change to an immutable release, and allows a run that changes nothing', () => {
    const release = { id: 1, draft: false, immutable: true, assets: [asset(1, 'a.whl')] };
    expect(reconcile({ ...base, release, files: [file('a.whl')] })).toMatchObject({ refused: [], operations: [{ kind: 'keep', name: 'a.whl' }] });
    const refused = reconcile({ ...base, release, replace: true, files: [file('a.whl'), file('b.whl')] }).refused;
    expect(refused).toEqual([
      {
        key: 'release v1.0.0',
        message:
          "is immutable (the repository's immutable releases setting): its assets cannot change, and this run would upload b.whl as b.whl.native-matrix-replacement (10 bytes), rename b.whl.native-matrix-replacement to b.whl",
        fix: 'publish under a new tag; an immutable release keeps the files it was published with',
      },
    ]);
  });
});
