import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCell } from '../helpers/cells.js';
import { BUILT_COMMIT, FakeGitHub, sha256 } from '../helpers/fake-github.js';
import { ABI3_MATURIN_PROJECT, makeProject } from '../helpers/project.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const CONFIG = 'matrix:\n  platforms: [linux-x86_64, windows-x86_64, linux-x86_64-musl]\n  python: ["3.12", "3.13"]\n';
const servers: FakeGitHub[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

function standardCells(fromDir: string) {
  writeCell(fromDir, 'linux-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl': 'linux wheel' });
  writeCell(fromDir, 'windows-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-win_amd64.whl': 'windows wheel' }, { dirName: 'native-matrix-windows-x86_64-abi3' });
  writeCell(fromDir, 'sdist', { 'demo-1.2.3.tar.gz': 'source' }, { dirName: 'native-matrix-sdist' });
}

/** Runs the CLI without blocking the event loop, which serves the fake GitHub. */
function cli(args: string[], cwd: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH!, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('native-matrix publish', () => {
  it('publishes every file and a SHA256SUMS that sha256sum -c accepts, leaving out a missing experimental cell with a warning', async () => {
    const server = await new FakeGitHub('o', 'r').start();
    servers.push(server);
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    standardCells(fromDir);
    // From a terminal the tag must exist: publish says which commit it is of.
    const untagged = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(untagged.status).toBe(1);
    expect(untagged.stderr).toContain('error: tag v1.2.3: does not exist in o/r; push it first (git tag v1.2.3 <commit> && git push origin v1.2.3)');
    expect(untagged.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(server.log.filter((line) => !line.startsWith('GET'))).toEqual([]);
    server.tag('v1.2.3', BUILT_COMMIT, { annotated: true });
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Tag v1.2.3 points at commit ${BUILT_COMMIT}`);
    expect(run.stdout.trim()).toBe('https://github.example/o/r/releases/tag/v1.2.3');
    expect(run.stderr).toContain('warning: cell linux-x86_64-musl-abi3: is missing');
    expect(run.stderr).not.toContain('ghs_secret');

    const [release] = server.releases;
    expect(release!.draft).toBe(false);
    expect(release!.assets.map((a) => a.name).sort()).toEqual(['SHA256SUMS', 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl', 'demo-1.2.3-cp310-abi3-win_amd64.whl', 'demo-1.2.3.tar.gz']);
    // Download the release as a user would, and check it.
    const downloaded = mkdtempSync(path.join(tmpdir(), 'download-'));
    for (const asset of release!.assets) writeFileSync(path.join(downloaded, asset.name), asset.content);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: downloaded, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toEqual(['demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl: OK', 'demo-1.2.3-cp310-abi3-win_amd64.whl: OK', 'demo-1.2.3.tar.gz: OK']);
  });

  it('prints the writes of a dry run and makes none', async () => {
    const server = await new FakeGitHub('o', 'r').start();
    servers.push(server);
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    standardCells(fromDir);
    server.tag('v1.2.3', BUILT_COMMIT);
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r', '--dry-run'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('would create draft release v1.2.3');
    expect(run.stderr).toMatch(/would upload SHA256SUMS \(\d+ bytes\)/);
    expect(server.log.filter((line) => !line.startsWith('GET'))).toEqual([]);
    // Nor in --from, with a token or without.
    const noToken = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r', '--dry-run'], project, {});
    expect(noToken.status, noToken.stderr).toBe(0);
    expect(['SHA256SUMS', 'release-manifest.json'].filter((name) => existsSync(path.join(fromDir, name)))).toEqual([]);
  });

  it('refuses a missing cell, a failed smoke test, a duplicate file name and a changed file, all at once, and writes nothing', async () => {
    const server = await new FakeGitHub('o', 'r').start();
    servers.push(server);
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64, linux-aarch64, macos-arm64, windows-x86_64]\n  python: ["3.12", "3.13"]\n' });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'same.whl': 'a' });
    writeCell(fromDir, 'linux-aarch64-abi3', { 'same.whl': 'b' });
    writeCell(fromDir, 'macos-arm64-abi3', { 'demo-mac.whl': 'mac' }, { ok: false });
    const windows = writeCell(fromDir, 'windows-x86_64-abi3', { 'demo-win.whl': 'win' });
    writeCell(fromDir, 'sdist', { 'demo-1.2.3.tar.gz': 'source' });
    writeFileSync(path.join(windows, 'demo-win.whl'), 'tampered');
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status).toBe(1);
    const errors = run.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('error: '));
    expect(errors).toEqual([
      'error: cell macos-arm64-abi3: failed its smoke test: demo-mac.whl on Python 3.13; fix the build and re-run it; a failing cell is never published',
      'error: same.whl: is produced by both cell linux-x86_64-abi3 and cell linux-aarch64-abi3; give each cell distinct outputs (for binaries, the platform id is part of the name)',
      `error: ${path.join(windows, 'demo-win.whl')}: has sha256 ${sha256(Buffer.from('tampered'))} (8 bytes), but its manifest says ${sha256(Buffer.from('win'))} (3 bytes); the file changed after it was tested: rebuild the cell`,
    ]);
    expect(server.requests).toBe(0);

    const missing = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(missing, 'linux-x86_64-abi3', { 'a.whl': 'a' });
    const second = await cli(['publish', '--from', missing, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `error: cell windows-x86_64-abi3: is missing: no manifest.json in ${missing}/windows-x86_64-abi3/ or ${missing}/native-matrix-windows-x86_64-abi3/; let its build job finish (or re-run it) before publishing`,
    );
    expect(server.requests).toBe(0);
  });

  it('refuses wheels and an sdist that disagree on the version, and writes nothing', async () => {
    const server = await new FakeGitHub('o', 'r').start();
    servers.push(server);
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': CONFIG });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl': 'linux wheel' });
    writeCell(fromDir, 'windows-x86_64-abi3', { 'demo-1.2.3-cp310-abi3-win_amd64.whl': 'windows wheel' });
    writeCell(fromDir, 'sdist', { 'demo-1.2.4.tar.gz': 'source' });
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'error: versions: the wheels and the sdist do not share one name and version: demo 1.2.3 (demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl, demo-1.2.3-cp310-abi3-win_amd64.whl) vs demo 1.2.4 (demo-1.2.4.tar.gz); build every cell from the same commit',
    );
    expect(server.requests).toBe(0);
  });

  it('needs a repository and a tag', async () => {
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64]\n' });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a.whl': 'a' });
    writeCell(fromDir, 'sdist', { 'a-1.0.tar.gz': 'a' });
    const noTag = await cli(['publish', '--from', fromDir, '--repo', 'o/r'], project, {});
    expect(noTag.status).toBe(1);
    expect(noTag.stderr).toContain('error: tag: no release tag: this is not a tag push; pass --tag (the tag input), or publish from a tag push');
    const noRepo = await cli(['publish', '--from', fromDir, '--tag', 'v1'], project, {});
    expect(noRepo.status).toBe(1);
    expect(noRepo.stderr).toContain('error: --repo: no repository to publish to; pass --repo OWNER/NAME or set GITHUB_REPOSITORY');
    const noFrom = await cli(['publish', '--tag', 'v1'], project, {});
    expect(noFrom.status).toBe(2);
  });

  describe('hostile inputs: exit 1, a message without a stack trace, nothing written', () => {
    const project = () => makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64]\npublish:\n  sdist: false\n' });
    const NAME = 'demo-1.2.3-cp310-abi3-manylinux_2_34_x86_64.whl';
    async function refused(fromDir: string, args: string[] = [], env: Record<string, string> = {}, cwd = project()) {
      const server = await new FakeGitHub('o', 'r').start();
      servers.push(server);
      const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r', ...args], cwd, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret', ...env });
      expect(run.status, run.stderr).toBe(1);
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(server.log.filter((line) => !line.startsWith('GET'))).toEqual([]);
      return { run, server };
    }
    const written = (fromDir: string) => ['SHA256SUMS', 'release-manifest.json'].filter((name) => existsSync(path.join(fromDir, name)));

    it('--from naming a file', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'from-')), 'cells.zip');
      writeFileSync(file, 'not a directory');
      const { run } = await refused(file);
      expect(run.stderr).toContain(`error: --from: ${file} is a file, not a directory; give the directory that`);
      expect(readFileSync(file, 'utf8')).toBe('not a directory');
    });

    it('a cell file replaced by a link to a file outside --from, sha256 and size made to match', async () => {
      const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
      const cell = writeCell(fromDir, 'linux-x86_64-abi3', { [NAME]: 'wheel' });
      const outside = path.join(mkdtempSync(path.join(tmpdir(), 'outside-')), 'secret');
      writeFileSync(outside, 'wheel');
      rmSync(path.join(cell, NAME));
      symlinkSync(outside, path.join(cell, NAME));
      const { run, server } = await refused(fromDir);
      expect(run.stderr).toContain(`error: ${path.join(cell, NAME)}: is a symbolic link, not a regular file; put the file itself in the cell directory`);
      expect(server.requests).toBe(0);
      expect(written(fromDir)).toEqual([]);
    });

    it('a cell directory that is a link', async () => {
      const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
      const elsewhere = mkdtempSync(path.join(tmpdir(), 'elsewhere-'));
      writeCell(elsewhere, 'linux-x86_64-abi3', { [NAME]: 'wheel' });
      symlinkSync(path.join(elsewhere, 'linux-x86_64-abi3'), path.join(fromDir, 'linux-x86_64-abi3'));
      const { run } = await refused(fromDir);
      expect(run.stderr).toContain(`error: ${path.join(fromDir, 'linux-x86_64-abi3')}: is a symbolic link;`);
      expect(written(fromDir)).toEqual([]);
    });

    it('a manifest without files, and one whose file name forges a line of SHA256SUMS', async () => {
      const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
      const cell = writeCell(fromDir, 'linux-x86_64-abi3', { [NAME]: 'wheel' });
      const manifestPath = path.join(cell, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files?: { name: string }[] };
      delete manifest.files;
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const first = await refused(fromDir);
      // One error, naming the manifest and the field (not also "cell missing").
      expect(first.run.stderr.split('\n').filter((line) => line.startsWith('error: '))).toEqual([
        `error: ${manifestPath}: files: Invalid input: expected array, received undefined; rebuild the cell: a manifest.json is written by \`native-matrix build\` and not edited`,
      ]);
      expect(written(fromDir)).toEqual([]);

      const forged = mkdtempSync(path.join(tmpdir(), 'from-'));
      const forgedName = `${NAME}\n${'0'.repeat(64)}  evil.whl`;
      const forgedCell = writeCell(forged, 'linux-x86_64-abi3', { good: 'wheel' });
      const forgedManifest = path.join(forgedCell, 'manifest.json');
      const data = JSON.parse(readFileSync(forgedManifest, 'utf8')) as { files: { name: string }[] };
      data.files[0]!.name = forgedName;
      writeFileSync(forgedManifest, JSON.stringify(data));
      const second = await refused(forged);
      expect(second.run.stderr).toContain(`error: ${forgedManifest}: files[0].name ${JSON.stringify(forgedName).slice(0, 77)}...: is not a plain file name`);
      expect(written(forged)).toEqual([]);
    });

    it('a missing token, tag or repository is found before anything is written', async () => {
      const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
      writeCell(fromDir, 'linux-x86_64-abi3', { [NAME]: 'wheel' });
      const cwd = project();
      const noToken = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], cwd, {});
      expect(noToken.status).toBe(1);
      expect(noToken.stderr).toContain('error: github-token: no token to publish with;');
      const noTag = await cli(['publish', '--from', fromDir, '--repo', 'o/r'], cwd, { GITHUB_TOKEN: 'ghs_secret' });
      expect(noTag.stderr).toContain('error: tag: no release tag');
      const noRepo = await cli(['publish', '--from', fromDir, '--tag', 'v1'], cwd, { GITHUB_TOKEN: 'ghs_secret' });
      expect(noRepo.stderr).toContain('error: --repo: no repository to publish to');
      for (const run of [noToken, noTag, noRepo]) expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(written(fromDir)).toEqual([]);
    });

    it('other bytes under a published name: refused with the files that differ, the release and --from unchanged; publish.replace: true replaces', async () => {
      const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
      writeCell(fromDir, 'linux-x86_64-abi3', { [NAME]: 'rebuilt wheel' });
      const server = await new FakeGitHub('o', 'r').start();
      servers.push(server);
      server.seed('v1.2.3', { assets: { [NAME]: 'first wheel', SHA256SUMS: `${sha256(Buffer.from('first wheel'))}  ${NAME}\n` } });
      const before = JSON.stringify(server.view('v1.2.3'));
      const cwd = project();
      const env = { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' };
      const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], cwd, env);
      expect(run.status).toBe(1);
      const errors = run.stderr.split('\n').filter((line) => line.startsWith('error: '));
      expect(errors.map((line) => line.split(':')[1]!.trim())).toEqual(['SHA256SUMS', NAME]);
      expect(errors[0]).toBe(
        `error: SHA256SUMS: would change lines of the published release v1.2.3's SHA256SUMS: other sha256 for ${NAME}; publish the files this release was made with, or set \`publish.replace: true\` in the config to change a published release; files may be added to a published release, but a published SHA256SUMS only gains lines`,
      );
      expect(errors[1]).toContain(
        `differs from the asset of the published release v1.2.3 (sha256 ${sha256(Buffer.from('first wheel'))}, 11 bytes; built: sha256 ${sha256(Buffer.from('rebuilt wheel'))}, 13 bytes); publish the files this release was made with, or set \`publish.replace: true\``,
      );
      expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(JSON.stringify(server.view('v1.2.3'))).toBe(before);
      expect(written(fromDir)).toEqual([]);

      writeFileSync(path.join(cwd, 'native-matrix.yml'), 'matrix:\n  platforms: [linux-x86_64]\npublish:\n  replace: true\n  sdist: false\n');
      const replaced = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], cwd, env);
      expect(replaced.status, replaced.stderr).toBe(0);
      // Each replaced file counted once.
      expect(replaced.stderr).toContain('Release v1.2.3: 0 added, 2 replaced, 0 already there, 0 removed; published');
      const [release] = server.view('v1.2.3');
      expect(release!.assets.map((a) => [a.name, a.sha256]).sort()).toEqual(
        [
          [NAME, sha256(Buffer.from('rebuilt wheel'))],
          ['SHA256SUMS', sha256(readFileSync(path.join(fromDir, 'SHA256SUMS')))],
        ].sort(),
      );
      expect(written(fromDir)).toEqual(['SHA256SUMS', 'release-manifest.json']);
    });
  });
});
