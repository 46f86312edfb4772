import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { Cell } from '../../src/plan/types.js';
import { writeCell } from '../helpers/cells.js';
import { cellErrors } from '../helpers/engine.js';

describe("the integration tests' build helper", () => {
  it('reports a failed cell by the error its manifest records, else by what was thrown', async () => {
    const outRoot = mkdtempSync(path.join(tmpdir(), 'nm-out-'));
    const dir = writeCell(outRoot, 'linux-aarch64', {}, { ok: false });
    const manifestPath = path.join(dir, 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), error: 'the cross compiler cannot link' }));
    const cell = (id: string) => ({ id }) as Cell;
    const message = await cellErrors(outRoot, [
      { cell: cell('linux-aarch64'), error: new UserError({ message: 'thrown' }) },
      { cell: cell('windows-x86_64'), error: new UserError({ key: 'platform windows-x86_64', message: 'no manifest' }) },
    ]);
    expect(message).toBe('cell linux-aarch64 failed: the cross compiler cannot link\ncell windows-x86_64 failed: platform windows-x86_64: no manifest');
  });
});
