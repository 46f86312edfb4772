import { describe, expect, it } from 'vitest';
import { hostInterpreterVersions } from '../../src/adapters/github-commands.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { hostFacts } from '../../src/core/host.js';
import type { Cell } from '../../src/plan/types.js';

describe("the action's cache key", () => {
  it('holds the interpreters the runner has, also for a Windows cell built on Linux (windows.build-on: linux)', async () => {
    const cell: Cell = {
      id: 'windows-x86_64',
      platform: 'windows-x86_64',
      os: 'windows',
      arch: 'x86_64',
      runner: 'ubuntu-24.04',
      verify: 'windows-2025',
      target: 'x86_64-pc-windows-gnu',
      python: '3.11\n3.12',
      abi3: false,
      wheel: true,
      binary: false,
      experimental: false,
    };
    const versions = await hostInterpreterVersions(cell, hostFacts({ os: 'linux', arch: 'x86_64' }), new ExecaRunner());
    expect(versions).toEqual({ '3.11': expect.stringMatching(/^3\.11\.\d+$/), '3.12': expect.stringMatching(/^3\.12\.\d+$/) });
  });
});
