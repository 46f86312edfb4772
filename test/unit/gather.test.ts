import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { Cell } from '../../src/plan/types.js';
import { gatherCells } from '../../src/publish/gather.js';
import { checkManifest, RELEASE_FILE_NAME } from '../../src/publish/manifest-schema.js';
import { writeCell } from '../helpers/cells.js';

const cells = (...ids: string[]) => ids.map((id) => ({ id, experimental: false }) as unknown as Cell);
const problemsOf = (promise: Promise<unknown>) =>
  promise.then(
    () => [],
    (error: unknown) => (error as UserError).problems.map((problem) => `${problem.key}: ${problem.message}`),
  );

describe('gathering the cells to publish', () => {
  it('leaves alone a link in --from that is no cell of the plan, and refuses one named like a cell', async () => {
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a.whl': 'a' });
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'elsewhere-'));
    symlinkSync(elsewhere, path.join(fromDir, 'latest'));
    expect((await gatherCells(fromDir, cells('linux-x86_64-abi3'))).files.map((file) => file.name)).toEqual(['a.whl']);

    writeCell(elsewhere, 'windows-x86_64-abi3', { 'w.whl': 'w' });
    symlinkSync(path.join(elsewhere, 'windows-x86_64-abi3'), path.join(fromDir, 'native-matrix-windows-x86_64-abi3'));
    expect(await problemsOf(gatherCells(fromDir, cells('linux-x86_64-abi3', 'windows-x86_64-abi3')))).toEqual([`${path.join(fromDir, 'native-matrix-windows-x86_64-abi3')}: is a symbolic link`]);
  });

  it('takes only file names GitHub keeps as they are', () => {
    for (const name of ['demo-1.0-cp310-abi3-win_amd64.whl', 'qsym-cli-linux-x86_64.tar.gz', 'a', 'x+y_z-1']) expect(RELEASE_FILE_NAME.test(name), name).toBe(true);
    // GitHub renames a name ending in '.'; paths, hidden files and newlines never pass.
    for (const name of ['demo.whl.', 'demo-', 'demo_', '.hidden', '../x', 'a\nb', '']) expect(RELEASE_FILE_NAME.test(name), name).toBe(false);
  });

  it('refuses a cell present both as <id>/ and as native-matrix-<id>/', async () => {
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a.whl': 'a' });
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a.whl': 'other a' }, { dirName: 'native-matrix-linux-x86_64-abi3' });
    expect(await problemsOf(gatherCells(fromDir, cells('linux-x86_64-abi3')))).toEqual([
      `cell linux-x86_64-abi3: is in both ${fromDir}/linux-x86_64-abi3/ and ${fromDir}/native-matrix-linux-x86_64-abi3/`,
    ]);
  });
});

describe('the manifest schema publish reads', () => {
  const manifest = (file: Record<string, unknown>) => ({ schema: 1, cell: { id: 'linux-x86_64' }, ok: true, files: [{ name: 'a.whl', sha256: 'a'.repeat(64), size: 1, smoke: [], ...file }] });
  const gmp = {
    name: 'gmp',
    version: '6.3.0',
    licence: 'LGPL-3.0-or-later OR GPL-2.0-or-later',
    linkage: 'shared',
    files: ['libgmp-10.dll'],
    licenseFiles: ['a-1.dist-info/licenses/native-matrix-bundled/gmp/COPYINGv2'],
  };

  it('takes the carried libraries beside the bundled file names, and a manifest from before either', () => {
    expect(checkManifest(manifest({ bundled: ['libgmp-10.dll'], libraries: [gmp] }), 'm.json').problems).toEqual([]);
    expect(checkManifest(manifest({}), 'm.json').problems).toEqual([]);
  });

  it('refuses carried libraries that are not what build writes', () => {
    expect(checkManifest(manifest({ libraries: [{ ...gmp, licence: undefined }] }), 'm.json').problems.map((p) => p.message)).toEqual([
      'files[0].libraries[0].licence: Invalid input: expected string, received undefined',
    ]);
    expect(checkManifest(manifest({ bundled: 'libgmp-10.dll' }), 'm.json').problems.map((p) => p.message)).toEqual(['files[0].bundled: Invalid input: expected array, received string']);
  });
});
