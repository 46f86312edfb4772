import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEventContext, shouldPublish } from '../../src/plan/event.js';

const tagPush = { name: 'push', ref: 'refs/tags/v1.0.0', inputs: {} };
const branchPush = { name: 'push', ref: 'refs/heads/main', inputs: {} };
const dispatch = (publish: unknown) => ({ name: 'workflow_dispatch', ref: 'refs/heads/main', inputs: { publish } });

describe('publish decision', () => {
  it.each([
    ['on-tag', tagPush, true],
    ['on-tag', branchPush, false],
    ['on-tag', dispatch('true'), false],
    ['on-dispatch', tagPush, false],
    ['on-dispatch', dispatch('true'), true],
    ['on-dispatch', dispatch(true), true],
    ['on-dispatch', dispatch('false'), false],
    ['on-dispatch', dispatch(undefined), false],
    ['both', tagPush, true],
    ['both', dispatch(true), true],
    ['both', branchPush, false],
    ['never', tagPush, false],
    ['never', dispatch(true), false],
    ['on-tag', { name: 'pull_request', ref: 'refs/pull/1/merge', inputs: {} }, false],
    ['on-tag', { inputs: {} }, false],
  ] as const)('%s with %o → %s', (policy, event, expected) => {
    expect(shouldPublish(policy, event)).toBe(expected);
  });

  it('reads dispatch inputs from the event payload', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'event-')), 'event.json');
    writeFileSync(file, JSON.stringify({ inputs: { publish: 'true', platforms: 'linux-x86_64' } }));
    expect(readEventContext({ GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: file })).toEqual({
      name: 'workflow_dispatch',
      ref: 'refs/heads/main',
      inputs: { publish: 'true', platforms: 'linux-x86_64' },
    });
    expect(readEventContext({}).inputs).toEqual({});
  });
});
