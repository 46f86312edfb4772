import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileAndRunCompiler } from '../../src/platforms/compile-and-run.js';

describe('the compile-and-run wrapper for build scripts of a cross build', () => {
  it('links with the target compiler, then runs the program under the emulator; compiles and shared libraries stay as they are', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "nm-car dir's-"));
    // A stand-in compiler that records its arguments in the output file.
    const compiler = path.join(dir, 'target gcc');
    writeFileSync(compiler, '#!/bin/sh\nout=\nprev=\nfor a in "$@"; do [ "$prev" = -o ] && out=$a; prev=$a; done\nprintf "%s\\n" "$*" > "$out"\n');
    chmodSync(compiler, 0o755);
    const wrapper = await compileAndRunCompiler(dir, {
      name: 'cc-emulated',
      compiler,
      linkArgs: ['-L', "/gmp's lib"],
      // The "emulator" prints what it was asked to run.
      emulator: ['sh', '-c', 'echo "emulated: $0 $*"; cat "$0"'],
      suffix: '.elf',
    });
    const run = (...args: string[]) => spawnSync(wrapper, args, { cwd: dir, encoding: 'utf8' });

    expect(run('-fPIC', 'check.c', '-lgmp', '-o', 'check.exe').status).toBe(0);
    expect(readFileSync(path.join(dir, 'check.exe.elf'), 'utf8')).toBe("-fPIC check.c -lgmp -o check.exe -L /gmp's lib\n");
    const program = spawnSync(path.join(dir, 'check.exe'), ['first arg', 'b'], { encoding: 'utf8' });
    expect(program.stdout).toBe(`emulated: ${path.join(dir, 'check.exe.elf')} first arg b\n-fPIC check.c -lgmp -o check.exe -L /gmp's lib\n`);

    expect(run('-c', 'x.c', '-o', 'x.o').status).toBe(0);
    expect(readFileSync(path.join(dir, 'x.o'), 'utf8')).toBe('-c x.c -o x.o\n');
    expect(existsSync(path.join(dir, 'x.o.elf'))).toBe(false);
    expect(run('-shared', 'x.o', '-o', 'libx.so').status).toBe(0);
    expect(readFileSync(path.join(dir, 'libx.so'), 'utf8')).toBe('-shared x.o -o libx.so\n');
  });
});
