import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { publishDecision } from '../../src/plan/event.js';
import { planDigest, planFile, plannedCell, readPlanFile, readPlanFileIn, writePlanFile } from '../../src/plan/plan-file.js';
import type { Cell } from '../../src/plan/types.js';
import { gatherCells } from '../../src/publish/gather.js';
import { writeCell } from '../helpers/cells.js';
import { ABI3_MATURIN_PROJECT, makeProject } from '../helpers/project.js';

const cell = (id: string, platform: string): Cell => ({
  id,
  platform,
  os: 'linux',
  arch: 'x86_64',
  runner: 'ubuntu-24.04',
  target: 't',
  python: '3.12\n3.13',
  abi3: true,
  wheel: true,
  binary: false,
  experimental: false,
});
const CELLS = [cell('linux-x86_64-abi3', 'linux-x86_64'), cell('windows-x86_64-abi3', 'windows-x86_64')];

async function thrown(promise: Promise<unknown> | (() => unknown)): Promise<UserError> {
  const error = await (typeof promise === 'function' ? Promise.resolve().then(promise) : promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('plan.json', () => {
  it('has a digest of its canonical JSON: the same plan in any key order, another for any change', () => {
    const plan = planFile(CELLS, true, 'v1.0.0');
    expect(plan.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const reordered = { tag: 'v1.0.0', publish: true, cells: CELLS.map((c) => Object.fromEntries(Object.entries(c).reverse()) as unknown as Cell), schema: 1 as const };
    expect(planDigest(reordered)).toBe(plan.digest);
    expect(planFile(CELLS, true, 'v1.0.1').digest).not.toBe(plan.digest);
    expect(planFile(CELLS, false).digest).not.toBe(plan.digest);
    expect(planFile(CELLS.slice(1), true, 'v1.0.0').digest).not.toBe(plan.digest);
  });

  it('round-trips through the file, and a changed file is refused naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plan-'));
    const plan = planFile(CELLS, true, 'v1.0.0');
    const file = await writePlanFile(dir, plan);
    expect(await readPlanFile(file)).toEqual(plan);
    expect(await readPlanFileIn(dir)).toEqual(plan);
    expect(await readPlanFileIn(mkdtempSync(path.join(tmpdir(), 'no-plan-')))).toBeUndefined();

    writeFileSync(file, readFileSync(file, 'utf8').replace('"publish": true', '"publish": false'));
    expect((await thrown(readPlanFile(file))).message).toMatch(
      new RegExp(`^${file}: records digest sha256:[0-9a-f]+, but its plan has digest sha256:[0-9a-f]+: it was changed after planning; use the plan.json the plan step wrote, unchanged$`),
    );
    writeFileSync(file, '{"digest": "x", "plan": {"schema": 1, "cells": [{"id": "a"}], "publish": true}}');
    expect((await thrown(readPlanFile(file))).message).toContain(`${file}: is not a native-matrix plan (plan.cells.0.platform:`);
    writeFileSync(file, 'not json');
    expect((await thrown(readPlanFile(file))).message).toContain(`${file}: is not JSON:`);
    expect((await thrown(readPlanFile(path.join(dir, 'missing.json')))).message).toContain('does not exist; run the plan command first');
  });

  it("takes a build's cell only when the plan has it, unchanged", async () => {
    const plan = planFile(CELLS, false);
    expect(plannedCell(plan, { ...CELLS[1]! }, 'input cell')).toBe(plan.plan.cells[1]);
    expect((await thrown(() => plannedCell(plan, cell('macos-arm64-abi3', 'macos-arm64'), 'input cell'))).message).toBe(
      "input cell: names cell macos-arm64-abi3, which is not in the plan (linux-x86_64-abi3, windows-x86_64-abi3); pass ${{ toJSON(matrix) }} from a job whose matrix comes from this run's plan",
    );
    expect((await thrown(() => plannedCell(plan, { ...CELLS[0]!, python: '3.12' }, 'input cell'))).message).toContain(`input cell: differs from cell linux-x86_64-abi3 of the plan (${plan.digest})`);
  });

  it('publish refuses cells built for another plan, or for none', async () => {
    const plan = planFile(CELLS, true, 'v1.0.0');
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a-cp310-abi3-manylinux_2_17_x86_64.whl': 'a' }, { plan: plan.digest });
    writeCell(fromDir, 'windows-x86_64-abi3', { 'a-cp310-abi3-win_amd64.whl': 'b' }, { plan: planFile(CELLS, true, 'v0.9.0').digest });
    const error = await thrown(gatherCells(fromDir, CELLS, plan.digest));
    expect(error.message).toContain(`${path.join(fromDir, 'windows-x86_64-abi3', 'manifest.json')}: was built for plan sha256:`);
    expect(error.message).toContain(`not this run's plan ${plan.digest}; rebuild the cell in this workflow run`);
    expect(error.message).not.toContain('linux-x86_64-abi3/manifest.json');

    writeCell(fromDir, 'windows-x86_64-abi3', { 'a-cp310-abi3-win_amd64.whl': 'b' });
    expect((await thrown(gatherCells(fromDir, CELLS, plan.digest))).message).toContain('was built for plan (none recorded)');

    writeCell(fromDir, 'windows-x86_64-abi3', { 'a-cp310-abi3-win_amd64.whl': 'b' }, { plan: plan.digest });
    expect((await gatherCells(fromDir, CELLS, plan.digest)).files.map((f) => f.cellId)).toEqual(['linux-x86_64-abi3', 'windows-x86_64-abi3']);
  });
});

describe('the publish decision at plan time', () => {
  const dispatch = (inputs: Record<string, unknown>, ref = 'refs/heads/main') => ({ name: 'workflow_dispatch', ref, inputs });

  it('takes the tag from the plan input, the dispatch input, or the tag the run is on', () => {
    expect(publishDecision('both', dispatch({ publish: 'true', tag: 'v2.0.0' }))).toEqual({ publish: true, tag: 'v2.0.0' });
    expect(publishDecision('both', dispatch({ publish: true }), 'v2.0.1')).toEqual({ publish: true, tag: 'v2.0.1' });
    expect(publishDecision('both', dispatch({ publish: true }, 'refs/tags/v2.0.2'))).toEqual({ publish: true, tag: 'v2.0.2' });
    expect(publishDecision('on-tag', { name: 'push', ref: 'refs/tags/v3.0.0', inputs: {} })).toEqual({ publish: true, tag: 'v3.0.0' });
  });

  it('fails a publishing dispatch from a branch without a tag, and nothing else', async () => {
    const error = await thrown(() => publishDecision('on-dispatch', dispatch({ publish: 'true', tag: '  ' })));
    expect(error.message).toBe(
      'tag: this workflow_dispatch run asks to publish a release but names no tag, and does not run on a tag; run the workflow with its `tag` input set to the release tag (e.g. v1.2.0), pass tag: to the plan step, or start it from the tag',
    );
    // Not publishing: no tag needed.
    expect(publishDecision('on-dispatch', dispatch({ publish: 'false' }))).toEqual({ publish: false });
    expect(publishDecision('on-tag', dispatch({ publish: 'true' }))).toEqual({ publish: false });
    expect(publishDecision('on-tag', { name: 'push', ref: 'refs/heads/main', inputs: {} })).toEqual({ publish: false });
  });
});

describe('native-matrix publish --from a directory with plan.json', () => {
  const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

  it("publishes that plan's cells, under its tag, and refuses a cell of another plan", async () => {
    const project = makeProject({ ...ABI3_MATURIN_PROJECT, 'native-matrix.yml': 'matrix:\n  platforms: [linux-x86_64]\n  python: ["3.12"]\n' });
    const fromDir = mkdtempSync(path.join(tmpdir(), 'from-'));
    const plan = planFile(CELLS, true, 'v4.5.6');
    await writePlanFile(fromDir, plan);
    writeCell(fromDir, 'linux-x86_64-abi3', { 'a-cp310-abi3-manylinux_2_17_x86_64.whl': 'a' }, { plan: plan.digest });
    writeCell(fromDir, 'windows-x86_64-abi3', { 'a-cp310-abi3-win_amd64.whl': 'b' }, { plan: plan.digest });
    const publish = () => spawnSync(process.execPath, [CLI, 'publish', '--from', fromDir, '--repo', 'o/r', '--dry-run'], { cwd: project, encoding: 'utf8', env: { PATH: process.env.PATH } });
    // The config alone plans one cell; plan.json has two, and its tag.
    const ok = publish();
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`Plan ${plan.digest}: 2 cells`);
    expect(ok.stderr).toContain('would publish 3 assets to o/r release v4.5.6');

    writeCell(fromDir, 'windows-x86_64-abi3', { 'a-cp310-abi3-win_amd64.whl': 'b' }, { plan: planFile(CELLS, false).digest });
    const refused = publish();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`windows-x86_64-abi3/manifest.json: was built for plan sha256:`);
  });
});
