import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/github/client.js';
import { RequestError } from '@octokit/request-error';
import { asUserError } from '../../src/commands/publish.js';
import { checksumsText } from '../../src/publish/checksums.js';
import { UserError } from '../../src/core/errors.js';
import { ReleasePublisher } from '../../src/github/releases.js';
import type { FileToPublish } from '../../src/publish/release-files.js';
import { BUILT_COMMIT, FakeGitHub, sha256, type Fault, type FaultContext } from '../helpers/fake-github.js';

const servers: FakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function fake(fault?: (context: FaultContext) => Fault | undefined) {
  const server = await new FakeGitHub('o', 'r', fault).start();
  servers.push(server);
  return server;
}

function files(count: number, seed = 'x'): FileToPublish[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'assets-'));
  return Array.from({ length: count }, (_, i) => {
    const name = `pkg-1.0-cp310-abi3-platform${i}.whl`;
    const content = Buffer.from(`${seed}:${i}:`.repeat(50 + i));
    writeFileSync(path.join(dir, name), content);
    return { name, path: path.join(dir, name), sha256: sha256(content), size: content.length };
  });
}

function publisher(server: FakeGitHub, timeoutMs = 2000) {
  const client = createClient({ token: 'ghs_secret', baseUrl: server.base, retryBaseMs: 5, writeSpacingMs: 0, timeoutMs });
  return new ReleasePublisher(client, () => {}, 5);
}

const request = (list: FileToPublish[], extra = {}) => ({ owner: 'o', repo: 'r', tag: 'v1.2.3', draft: false, files: list, commit: BUILT_COMMIT, ...extra });
const expectExactly = (server: FakeGitHub, list: FileToPublish[]) => {
  const [release, ...others] = server.view('v1.2.3');
  expect(others).toEqual([]);
  expect(release!.assets.map((a) => [a.name, a.state, a.sha256]).sort()).toEqual(list.map((f) => [f.name, 'uploaded', f.sha256]).sort());
  return release!;
};

describe('release publisher against a local GitHub', () => {
  it('creates a draft, fills it, and publishes it only when complete', async () => {
    const server = await fake();
    const list = files(5);
    const report = await publisher(server).publish(request(list));
    expect(report).toMatchObject({ created: true, published: true, skipped: [], replaced: [] });
    expect([...report.uploaded].sort()).toEqual(list.map((f) => f.name).sort());
    expect(expectExactly(server, list).draft).toBe(false);
    // Draft first: the release was created as a draft and published by the last write.
    const writes = server.log.filter((line) => !line.startsWith('GET'));
    expect(writes[0]).toBe('POST /repos/o/r/releases');
    expect(writes.at(-1)).toMatch(/^PATCH \/repos\/o\/r\/releases\/\d+$/);
    expect(server.violations).toEqual([]);
  });

  it('leaves the release a draft when an asset GitHub accepted does not hold the bytes built', async () => {
    let uploads = 0;
    const server = await fake(({ upload }) => (upload && ++uploads === 1 ? { kind: 'corrupt' } : undefined));
    const list = files(3);
    await expect(publisher(server).publish(request(list))).rejects.toThrow(/^the release does not hold pkg-1\.0-cp310-abi3-platform\d\.whl as built; a draft stays a draft/);
    const [release] = server.view('v1.2.3');
    expect(release!.draft).toBe(true);
    expect(server.violations).toEqual([]);
  });

  it('uploads zero bytes on a second run; refuses other bytes under a published name, leaving the release unchanged; replaces them with publish.replace', async () => {
    const server = await fake();
    const list = files(4);
    await publisher(server).publish(request(list));
    const bytes = server.uploadBytes;
    const again = await publisher(server).publish(request(list));
    expect(server.uploadBytes).toBe(bytes);
    expect(again).toMatchObject({ created: false, uploaded: [], replaced: [], removed: [] });
    expect(again.skipped).toHaveLength(4);

    const changed = files(4, 'y').map((f, i) => (i === 2 ? { ...f, name: list[2]!.name } : list[i]!));
    const before = JSON.stringify(server.view('v1.2.3'));
    const writes = server.log.filter((line) => !line.startsWith('GET')).length;
    const refused = await publisher(server)
      .publish(request(changed))
      .catch((error: unknown) => error as UserError);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).problems).toEqual([
      {
        key: list[2]!.name,
        message: `differs from the asset of the published release v1.2.3 (sha256 ${list[2]!.sha256}, ${list[2]!.size} bytes; built: sha256 ${changed[2]!.sha256}, ${changed[2]!.size} bytes)`,
        fix: 'publish the files this release was made with, or set `publish.replace: true` in the config to change a published release',
      },
    ]);
    // Refused before any write.
    expect(JSON.stringify(server.view('v1.2.3'))).toBe(before);
    expect(server.log.filter((line) => !line.startsWith('GET')).length).toBe(writes);

    const third = await publisher(server).publish(request(changed, { replace: true }));
    expect(third).toMatchObject({ uploaded: [list[2]!.name], replaced: [list[2]!.name] });
    expect(expectExactly(server, changed).draft).toBe(false);
  });

  it('replaces a file of a published release (publish.replace) without the release ever lacking it', async () => {
    const list = files(2);
    let failUploads = false;
    const server = await fake((context) => (failUploads && context.upload ? { kind: 'status', status: 500 } : undefined));
    await publisher(server).publish(request(list));
    const changed = [list[0]!, { ...files(1, 'new')[0]!, name: list[1]!.name }];
    // Every upload of the new content fails: the published release keeps the old file.
    failUploads = true;
    await expect(publisher(server).publish(request(changed, { replace: true }))).rejects.toThrow();
    const [kept] = server.view('v1.2.3');
    expect(kept!.draft).toBe(false);
    expect(
      kept!.assets
        .filter((a) => a.state === 'uploaded')
        .map((a) => [a.name, a.sha256])
        .sort(),
    ).toEqual(list.map((f) => [f.name, f.sha256]).sort());
    // Once uploads work, the new content takes the old one's place under the same name.
    failUploads = false;
    const report = await publisher(server).publish(request(changed, { replace: true }));
    expect(report.replaced).toEqual([list[1]!.name]);
    expectExactly(server, changed);
    expect(server.log.some((line) => line.startsWith('PATCH /repos/o/r/releases/assets/'))).toBe(true);
  });

  it('removes stale assets, temporaries and incomplete uploads from a draft before publishing it', async () => {
    const server = await fake();
    const list = files(2);
    // An earlier run left a draft: a wheel no longer built, a temporary, an empty starter, and one current file.
    server.seed('v1.2.3', {
      draft: true,
      assets: {
        'pkg-1.0-cp310-abi3-manylinux_2_34_x86_64.whl': 'old wheel',
        [`${list[0]!.name}.native-matrix-replacement`]: 'half',
        [list[1]!.name]: '',
        [list[0]!.name]: readFileSync(list[0]!.path!),
      },
      state: { [list[1]!.name]: 'starter' },
    });
    const report = await publisher(server).publish(request(list));
    expect(report.skipped).toEqual([list[0]!.name]);
    expect([...report.removed].sort()).toEqual(['pkg-1.0-cp310-abi3-manylinux_2_34_x86_64.whl', `${list[0]!.name}.native-matrix-replacement`, list[1]!.name].sort());
    expect(report.uploaded).toEqual([list[1]!.name]);
    expect(expectExactly(server, list).draft).toBe(false);
    // Every deletion happened while it was still a draft.
    const publishAt = server.log.findIndex((line) => /^PATCH \/repos\/o\/r\/releases\/\d+$/.test(line));
    expect(server.log.findLastIndex((line) => line.startsWith('DELETE'))).toBeLessThan(publishAt);
    expect(server.violations).toEqual([]);
  });

  it('keeps an asset of a published release that this run does not produce (an experimental cell failed), even with publish.replace; publish.prune removes it', async () => {
    const server = await fake();
    const list = files(2);
    const experimental = 'pkg-1.0-cp310-abi3-musllinux_1_2_x86_64.whl';
    server.seed('v1.2.3', { assets: { [experimental]: 'musl wheel', [list[0]!.name]: readFileSync(list[0]!.path!), [list[1]!.name]: readFileSync(list[1]!.path!) } });
    const before = JSON.stringify(server.view('v1.2.3'));
    const lines: string[] = [];
    const client = createClient({ token: 'ghs_secret', baseUrl: server.base, retryBaseMs: 5, writeSpacingMs: 0 });
    const kept = await new ReleasePublisher(client, (line) => lines.push(line), 5).publish(request(list, { replace: true }));
    expect(kept).toMatchObject({ retained: [experimental], removed: [], uploaded: [] });
    expect(lines).toContain(`Kept ${experimental}: not produced by this run, and publish.prune is off`);
    expect(JSON.stringify(server.view('v1.2.3'))).toBe(before);
    // A file added next to it: the release is checked complete, the kept asset allowed.
    const added = [...list, files(3, 'added')[2]!];
    expect(await publisher(server).publish(request(added))).toMatchObject({ retained: [experimental], uploaded: [added[2]!.name] });
    expectExactly(server, [...added, { name: experimental, sha256: sha256(Buffer.from('musl wheel')), size: 10 }]);
    const report = await publisher(server).publish(request(list, { prune: true }));
    expect([...report.removed].sort()).toEqual([added[2]!.name, experimental].sort());
    expectExactly(server, list);
  });

  it('adds files to a published release whose SHA256SUMS only gains lines; refuses one that would change a line, naming the file', async () => {
    const server = await fake();
    const sums = (list: FileToPublish[]): FileToPublish[] => {
      const content = Buffer.from(list.map((f) => `${f.sha256}  ${f.name}\n`).join(''));
      return [...list, { name: 'SHA256SUMS', content, sha256: sha256(content), size: content.length }];
    };
    const list = files(3);
    await publisher(server).publish(request(sums(list.slice(0, 2))));
    const report = await publisher(server).publish(request(sums(list)));
    expect(report).toMatchObject({ uploaded: expect.arrayContaining(['SHA256SUMS', list[2]!.name]), replaced: ['SHA256SUMS'] });
    expectExactly(server, sums(list));
    // A rebuilt file changes its line: refused, naming it, before any write.
    const writes = server.log.filter((line) => !line.startsWith('GET')).length;
    const rebuilt = [list[0]!, list[1]!, { ...files(3, 'rebuilt')[2]!, name: list[2]!.name }];
    const refused = (await publisher(server)
      .publish(request(sums(rebuilt)))
      .catch((error: unknown) => error)) as UserError;
    expect(refused.problems.map((problem) => problem.key)).toEqual(['SHA256SUMS', list[2]!.name]);
    expect(refused.problems[0]!.message).toBe(`would change lines of the published release v1.2.3's SHA256SUMS: other sha256 for ${list[2]!.name}`);
    expect(server.log.filter((line) => !line.startsWith('GET')).length).toBe(writes);
    expectExactly(server, sums(list));
  });

  it('publishes only the commit that was built: the tag (annotated ones peeled) must point at it; a missing tag is made at it, or refused without one', async () => {
    const server = await fake();
    const other = 'e'.repeat(40);
    const writes = () => server.log.filter((line) => !line.startsWith('GET')).length;
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => (error as UserError).problems,
      );

    server.tag('v1.2.3', other);
    expect(await refusal(publisher(server).publish(request(files(1))))).toEqual([
      {
        key: 'tag v1.2.3',
        message: `points at commit ${other}, but the files were built from commit ${BUILT_COMMIT}`,
        fix: 'publish from the workflow run of the tag (or dispatch it on the tag), or move the tag to the commit that was built',
      },
    ]);
    server.tag('v1.2.3', other, { annotated: true });
    expect((await refusal(publisher(server).publish(request(files(1)))))?.[0]?.message).toBe(`points at commit ${other}, but the files were built from commit ${BUILT_COMMIT}`);
    expect(server.log.some((line) => /^GET \/repos\/o\/r\/git\/tags\/[0-9a-f]{40}$/.test(line))).toBe(true);
    expect(writes()).toBe(0);
    expect(server.releases).toEqual([]);

    // Annotated, at the commit built: published.
    server.tag('v1.2.3', BUILT_COMMIT, { annotated: true });
    expect((await publisher(server).publish(request(files(1)))).published).toBe(true);

    // From a terminal (no commit known): the tag must exist; its commit is said.
    expect(await refusal(publisher(server).publish({ ...request(files(1)), tag: 'v2.0.0', commit: undefined }))).toEqual([
      {
        key: 'tag v2.0.0',
        message: 'does not exist in o/r',
        fix: 'push it first (git tag v2.0.0 <commit> && git push origin v2.0.0); publish makes a missing tag only in a workflow, at the commit it built (GITHUB_SHA)',
      },
    ]);
    expect(server.view('v2.0.0')).toEqual([]);
    server.tag('pkg/v1.0.0', other);
    const lines: string[] = [];
    const client = createClient({ token: 'ghs_secret', baseUrl: server.base, retryBaseMs: 5, writeSpacingMs: 0 });
    expect((await new ReleasePublisher(client, (line) => lines.push(line), 5).publish({ ...request(files(1)), tag: 'pkg/v1.0.0', commit: undefined })).published).toBe(true);
    expect(lines).toContain(`Tag pkg/v1.0.0 points at commit ${other}: the release is of that commit; publish the files built from it`);

    // In a workflow, a missing tag is made at the commit built when the release is published.
    await publisher(server).publish({ ...request(files(1)), tag: 'v3.0.0' });
    expect(server.tags.get('v3.0.0')).toEqual({ commit: BUILT_COMMIT, tagObject: undefined });
    expect(server.violations).toEqual([]);
  });

  it('keeps the SHA256SUMS line of an asset it keeps though this run did not build it', async () => {
    const server = await fake();
    const sums = (list: FileToPublish[]): FileToPublish[] => {
      const content = Buffer.from(checksumsText(list));
      return [...list, { name: 'SHA256SUMS', content, sha256: sha256(content), size: content.length }];
    };
    // The first run built three cells; in the second the experimental one (list[1]) failed, and a file was added.
    const list = files(4);
    await publisher(server).publish(request(sums(list.slice(0, 2))));
    const second = [list[0]!, list[2]!];
    const report = await publisher(server).publish(request(sums(second)));
    expect(report.retained).toEqual([list[1]!.name]);
    const expected = sums(list.slice(0, 3));
    expect(report.checksums?.toString()).toBe(expected.at(-1)!.content!.toString());
    expectExactly(server, expected);
    expect(server.violations).toEqual([]);
  });

  it('fills a published release made by hand through temporary names: no file appears under its name before all are uploaded', async () => {
    const server = await fake();
    server.seed('v1.2.3');
    const list = files(3);
    const report = await publisher(server).publish(request(list));
    expect(report).toMatchObject({ created: false, published: true });
    expectExactly(server, list);
    const uploads = server.log.filter((line) => line.startsWith('POST /uploads/'));
    expect(uploads).toHaveLength(3);
    expect(uploads.every((line) => line.includes('.native-matrix-replacement'))).toBe(true);
    // Every upload comes before the first rename.
    const firstRename = server.log.findIndex((line) => line.startsWith('PATCH /repos/o/r/releases/assets/'));
    expect(server.log.findLastIndex((line) => line.startsWith('POST /uploads/'))).toBeLessThan(firstRename);
    // A temporary left by an interrupted run is cleaned up by the next.
    server.releases[0]!.assets.push({ id: 99, name: `${list[0]!.name}.native-matrix-replacement`, state: 'uploaded', content: Buffer.from('x'), created_at: new Date().toISOString() });
    const again = await publisher(server).publish(request(list));
    expect(again.removed).toEqual([`${list[0]!.name}.native-matrix-replacement`]);
    expectExactly(server, list);
  });

  it('marks v2.0.0rc1 a pre-release, and leaves Latest on v2.0.0 when a backport v1.9.1 is published', async () => {
    const server = await fake();
    server.seed('v1.9.0');
    server.seed('v2.0.0');
    const rc = await publisher(server).publish({ ...request(files(1)), tag: 'v2.0.0rc1' });
    expect(rc.prerelease).toBe(true);
    expect(server.view('v2.0.0rc1')[0]).toMatchObject({ draft: false, prerelease: true, latest: false });
    expect(server.view('v2.0.0')[0]!.latest).toBe(true);

    const backport = await publisher(server).publish({ ...request(files(1, 'backport')), tag: 'v1.9.1' });
    expect(backport.prerelease).toBe(false);
    expect(server.view('v1.9.1')[0]).toMatchObject({ draft: false, prerelease: false, latest: false });
    expect(server.view('v2.0.0')[0]!.latest).toBe(true);

    // The next major takes Latest; the config can override either way.
    await publisher(server).publish({ ...request(files(1, 'three')), tag: 'v3.0.0' });
    expect(server.view('v3.0.0')[0]!.latest).toBe(true);
    await publisher(server).publish({ ...request(files(1, 'forced')), tag: 'v1.9.2', latest: true });
    expect(server.view('v1.9.2')[0]!.latest).toBe(true);
    expect(server.violations).toEqual([]);
  });

  it('publishes a pre-release with publish.latest: true without Latest (GitHub answers 422 to make_latest on a pre-release), with a warning', async () => {
    const server = await fake();
    server.seed('v1.0.0');
    const report = await publisher(server).publish({ ...request(files(1)), tag: 'v2.0.0rc1', latest: true });
    expect(report.warnings.map((problem) => problem.key)).toEqual(['publish.latest']);
    expect(server.view('v2.0.0rc1')[0]).toMatchObject({ draft: false, prerelease: true, latest: false });
    expect(server.view('v1.0.0')[0]!.latest).toBe(true);
    // The fake refuses the combination as GitHub does.
    const [release] = server.releases.filter((r) => r.tag_name === 'v2.0.0rc1');
    const answer = await fetch(`${server.base}/repos/o/r/releases/${release!.id}`, { method: 'PATCH', body: JSON.stringify({ make_latest: 'true' }) });
    expect(answer.status).toBe(422);
    expect(await answer.json()).toMatchObject({ errors: [{ message: 'Latest release cannot be draft or prerelease' }] });
  });

  it('refuses any change to an immutable release before a single write, and publishes a new one through its draft', async () => {
    const server = await fake();
    server.immutableReleases = true;
    const list = files(2);
    // A new release under the setting: filled as a draft, published last, then immutable.
    await publisher(server).publish(request(list));
    expect(expectExactly(server, list)).toMatchObject({ immutable: true, draft: false });
    // A re-run with the same files writes nothing and succeeds.
    const writes = server.log.filter((line) => !line.startsWith('GET')).length;
    expect((await publisher(server).publish(request(list))).skipped).toHaveLength(2);
    // Other bytes, even with publish.replace: refused, and nothing written.
    const changed = [list[0]!, { ...files(1, 'new')[0]!, name: list[1]!.name }, ...files(3, 'more').slice(2)];
    const refused = (await publisher(server)
      .publish(request(changed, { replace: true }))
      .catch((error: unknown) => error)) as UserError;
    expect(refused).toBeInstanceOf(UserError);
    expect(refused.problems).toHaveLength(1);
    expect(refused.problems[0]!.key).toBe('release v1.2.3');
    expect(refused.problems[0]!.message).toMatch(/^is immutable \(the repository's immutable releases setting\): its assets cannot change, and this run would upload /);
    expect(server.log.filter((line) => !line.startsWith('GET')).length).toBe(writes);
    expectExactly(server, list);
  });

  it('reads back assets that carry no digest (older GitHub Enterprise Servers) instead of trusting or replacing them', async () => {
    const server = await fake();
    server.digests = false;
    const list = files(2);
    server.seed('v1.2.3', { assets: { [list[0]!.name]: readFileSync(list[0]!.path!), [list[1]!.name]: readFileSync(list[1]!.path!) } });
    const writes = () => server.log.filter((line) => !line.startsWith('GET')).length;
    const report = await publisher(server).publish(request(list));
    expect(report.skipped).toHaveLength(2);
    expect(writes()).toBe(0);
    expect(server.log.filter((line) => /^GET \/repos\/o\/r\/releases\/assets\/\d+$/.test(line))).toHaveLength(2);
    const changed = [list[0]!, { ...files(1, 'other')[0]!, name: list[1]!.name }];
    await expect(publisher(server).publish(request(changed))).rejects.toThrow(/differs from the asset of the published release v1\.2\.3/);
    expect(writes()).toBe(0);
    expect(server.violations).toEqual([]);
  });

  it('writes nothing in a dry run, and says what it would write', async () => {
    const server = await fake();
    const report = await publisher(server).publish(request(files(2), { dryRun: true }));
    expect(report.planned).toEqual([
      'create draft release v1.2.3',
      expect.stringMatching(/^upload pkg-1\.0-cp310-abi3-platform0\.whl \(\d+ bytes\)$/),
      expect.stringMatching(/^upload /),
      'publish release v1.2.3, marked Latest',
    ]);
    expect(server.log.every((line) => line.startsWith('GET'))).toBe(true);
    expect(server.releases).toEqual([]);

    // Against a release that exists: every operation of the reconciliation, and still no write.
    const list = files(2);
    server.seed('v1.2.3', { draft: true, assets: { [list[0]!.name]: readFileSync(list[0]!.path!), 'old.whl': 'old' } });
    const existing = await publisher(server).publish(request(list, { dryRun: true }));
    expect(existing.planned).toEqual([
      `keep ${list[0]!.name} (same sha256)`,
      'delete old.whl (not produced by this run)',
      `upload ${list[1]!.name} (${list[1]!.size} bytes)`,
      'publish release v1.2.3, marked Latest',
    ]);
    expect(server.log.every((line) => line.startsWith('GET'))).toBe(true);
  });

  const FAULTS: [string, Fault][] = [
    ['500', { kind: 'status', status: 500 }],
    ['502 leaving a starter asset', { kind: 'starter' }],
    ['422 already_exists', { kind: 'conflict' }],
    ['403 secondary rate limit with retry-after', { kind: 'rate-limit', status: 403, retryAfter: 1 }],
    ['429 with retry-after', { kind: 'rate-limit', status: 429, retryAfter: 1 }],
    ['connection reset', { kind: 'reset' }],
    ['timeout', { kind: 'timeout' }],
  ];
  for (const [label, fault] of FAULTS) {
    it(`survives ${label} on uploads and on API calls, ending with exactly the files`, async () => {
      // The first two uploads and every fourth API call fail.
      let uploads = 0;
      const server = await fake((context) => {
        if (context.upload) return uploads++ < 2 ? fault : undefined;
        if (fault.kind === 'starter' || fault.kind === 'conflict') return undefined;
        return context.index % 4 === 1 ? fault : undefined;
      });
      const list = files(3);
      const report = await publisher(server, 500).publish(request(list));
      expect(report.published).toBe(true);
      expectExactly(server, list);
      expect(server.violations).toEqual([]);
    });
  }

  it('keeps the release a draft when it cannot complete, and completes it on the next run', async () => {
    // Every upload of one file fails with 502 and a starter asset.
    const list = files(3);
    let broken = true;
    const server = await fake((context) =>
      broken && context.upload && context.path.includes('/assets') && context.index >= 0 && server.log.at(-1)?.includes(list[1]!.name) ? { kind: 'starter' } : undefined,
    );
    await expect(publisher(server).publish(request(list))).rejects.toThrow();
    const [draft] = server.view('v1.2.3');
    expect(draft!.draft).toBe(true);
    broken = false;
    await publisher(server).publish(request(list));
    expect(expectExactly(server, list).draft).toBe(false);
  });

  it('lets 8 publishers race on one tag: one release, no duplicate asset', async () => {
    const server = await fake();
    const list = files(6);
    const reports = await Promise.all(Array.from({ length: 8 }, () => publisher(server).publish(request(list))));
    expect(reports.every((r) => r.published)).toBe(true);
    const release = expectExactly(server, list);
    expect(release.draft).toBe(false);
    expect(new Set(reports.map((r) => r.url)).size).toBe(1);
  });

  it("turns GitHub's errors into messages with a fix, and leaves a bug a bug", () => {
    const request = { method: 'PATCH' as const, url: 'https://api.example/repos/o/r/releases/assets/1', headers: {} };
    const said = (error: unknown) => (asUserError(error, 'v1.2.3') as UserError).problems;
    expect(said(new RequestError('Cannot modify an immutable release', 422, { request }))).toEqual([
      {
        key: 'release v1.2.3',
        message: "is immutable (the repository's immutable releases setting): GitHub refused to change it (Cannot modify an immutable release)",
        fix: 'publish under a new tag; an immutable release keeps the files it was published with',
      },
    ]);
    expect(said(new RequestError('fetch failed', 500, { request }))).toEqual([
      { key: 'release v1.2.3', message: 'publishing stopped: GitHub answered 500: fetch failed', fix: 'run publish again: it continues from what the release holds' },
    ]);
    expect(said(new RequestError('Bad credentials', 401, { request }))[0]!.message).toBe('GitHub refused (401): Bad credentials');
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    expect(asUserError(bug, 'v1.2.3')).toBe(bug);
    const refused = new UserError({ message: 'x' });
    expect(asUserError(refused, 'v1.2.3')).toBe(refused);
  });

  it('never puts the token in its output', async () => {
    const server = await fake(() => ({ kind: 'status', status: 500 }));
    const lines: string[] = [];
    const client = createClient({ token: 'ghs_secret', baseUrl: server.base, retryBaseMs: 1, writeSpacingMs: 0, log: (m) => lines.push(m) });
    const error = await new ReleasePublisher(client, (m) => lines.push(m), 1).publish(request(files(1))).catch((e: unknown) => e);
    expect(String(error)).not.toContain('ghs_secret');
    expect(JSON.stringify(lines)).not.toContain('ghs_secret');

    // Nor on the way to a published release, through retried uploads and a rate limit.
    let uploads = 0;
    const flaky = await fake(({ upload, index }) => (upload && ++uploads <= 2 ? { kind: 'status', status: 502 } : index === 1 ? { kind: 'rate-limit', status: 429, retryAfter: 0 } : undefined));
    const published: string[] = [];
    const flakyClient = createClient({ token: 'ghs_secret', baseUrl: flaky.base, retryBaseMs: 1, writeSpacingMs: 0, log: (m) => published.push(m) });
    const report = await new ReleasePublisher(flakyClient, (m) => published.push(m), 1).publish(request(files(2)));
    expect(report.published).toBe(true);
    expect(published.length).toBeGreaterThan(2);
    expect(JSON.stringify(published)).not.toContain('ghs_secret');
  });
});
