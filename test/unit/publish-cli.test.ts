import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCell } from '../helpers/cells.js';
import { FakeGitHub, sha256 } from '../helpers/fake-github.js';
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
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
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
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status, run.stderr).toBe(0);
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
    const run = await cli(['publish', '--from', fromDir, '--tag', 'v1.2.3', '--repo', 'o/r', '--dry-run'], project, { GITHUB_API_URL: server.base, GITHUB_TOKEN: 'ghs_secret' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('would create draft release v1.2.3');
    expect(run.stderr).toMatch(/would upload SHA256SUMS \(\d+ bytes\)/);
    expect(server.log.filter((line) => !line.startsWith('GET'))).toEqual([]);
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
    const errors = run.stderr.trim().split('\n').filter((line) => line.startsWith('error: '));
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
    expect(second.stderr).toContain(`error: cell windows-x86_64-abi3: is missing: no manifest.json in ${missing}/windows-x86_64-abi3/ or ${missing}/native-matrix-windows-x86_64-abi3/; let its build job finish (or re-run it) before publishing`);
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
});
