import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileAndRunEnv } from '../../src/platforms/compile-and-run.js';
import { asmPatchM4, MACHO_JRCXZ } from '../../src/platforms/gmp-asm-patch.js';

// The m4 that fixes GMP's x86_64 assembly for zig's Mach-O linker: what it
// passes through and what it refuses. Patching the real file is proven by
// test/integration/macos-cross.test.ts, which links GMP built with it.
describe('the m4 wrapper that applies matrix/gmp-patches.yml', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-gmp-m4-'));
  const mpn = path.join(root, 'mpn');
  mkdirSync(path.join(mpn, 'x86_64'), { recursive: true });
  const run = async (cwd: string, file: string) => spawnSync(await asmPatchM4(path.join(root, 'cache')), ['-DOPERATION_add_n', file], { cwd, encoding: 'utf8' });

  it('carries the fix of one file, checked by sha256 before and after', () => {
    expect(MACHO_JRCXZ.file).toBe('mpn/x86_64/aors_n.asm');
    expect(MACHO_JRCXZ.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(MACHO_JRCXZ['patched-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(MACHO_JRCXZ.diff).toContain('+\tjrcxz\tL(nclt4)');
  });

  it('runs m4 unchanged on every other file', async () => {
    writeFileSync(path.join(mpn, 'other.asm'), "ifdef(`OPERATION_add_n', `add', `sub')\n");
    const result = await run(mpn, 'other.asm');
    expect(result.stdout.trim()).toBe('add');
    expect(result.status).toBe(0);
  });

  it('refuses an aors_n.asm it was not made for, read directly or included by a fat build, naming the file and its sha256', async () => {
    const asm = path.join(mpn, 'x86_64', 'aors_n.asm');
    writeFileSync(asm, 'not GMP 6.3.0\n');
    const direct = await run(mpn, 'x86_64/aors_n.asm');
    expect(direct.status).toBe(1);
    expect(direct.stderr).toContain(`x86_64/aors_n.asm is not the mpn/x86_64/aors_n.asm of GMP 6.2.1 or 6.3.0`);
    expect(direct.stderr).toContain(`expected ${MACHO_JRCXZ.sha256}`);
    writeFileSync(path.join(mpn, 'x86_64_add_n.asm'), 'define(OPERATION_add_n)\ninclude(.././mpn/x86_64/aors_n.asm)\n');
    const included = await run(mpn, 'x86_64_add_n.asm');
    expect(included.status).toBe(1);
    expect(included.stderr).toContain('.././mpn/x86_64/aors_n.asm is not the mpn/x86_64/aors_n.asm');
  });
});

describe('the compile-and-run wrapper where nothing runs the target: the program is built again for the host', () => {
  it('links for the target with the libraries, then builds for the host without them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nm-host-rebuild-'));
    const target = path.join(dir, 'target-cc');
    writeFileSync(target, '#!/bin/sh\nout=\nprev=\nfor a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done\nprintf "macho %s\\n" "$*" > "$out"\n');
    chmodSync(target, 0o755);
    writeFileSync(path.join(dir, 'check.c'), '#include <stdio.h>\nint main(void) { puts("host"); return 0; }\n');
    const env = await compileAndRunEnv(path.join(dir, 'cache'), { name: 'cc', compiler: target, linkArgs: [], emulator: [], suffix: '.macho', hostRebuild: ['cc'] }, {});
    const link = spawnSync(env.CC!, ['-fPIC', 'check.c', '-lgmp', '-o', 'check.exe'], { cwd: dir, encoding: 'utf8' });
    expect(link.status, link.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'check.exe.macho'), 'utf8')).toBe('macho -fPIC check.c -lgmp -o check.exe\n');
    expect(spawnSync(path.join(dir, 'check.exe'), { encoding: 'utf8' }).stdout).toBe('host\n');
    // A program the host cannot build (here: a missing source) linked for the target all the same; run, it says why it cannot.
    expect(spawnSync(env.CC!, ['missing.c', '-o', 'probe'], { cwd: dir }).status).toBe(0);
    expect(spawnSync(path.join(dir, 'probe'), { encoding: 'utf8' }).stderr).toContain('probe was linked for another OS and cannot run here');
  });
});
