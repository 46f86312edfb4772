import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileAndRunEnv } from '../../src/platforms/compile-and-run.js';

describe('the compile-and-run wrapper for build scripts of a cross build', () => {
  const dir = mkdtempSync(path.join(tmpdir(), "nm-car dir's-"));
  // A stand-in compiler that writes an "ELF" file recording its arguments to -o (or -oFILE).
  const compiler = path.join(dir, 'target gcc');
  writeFileSync(
    compiler,
    '#!/bin/sh\nout=\nprev=\nfor a in "$@"; do [ "$prev" = -o ] && out=$a; case $a in -o?*) out=${a#-o};; esac; prev=$a; done\n[ -n "$out" ] && printf "\\177ELF %s\\n" "$*" > "$out"\nexit 0\n',
  );
  chmodSync(compiler, 0o755);
  const spec = {
    name: 'cc-emulated',
    compiler,
    linkArgs: ['-L', "/gmp's lib"],
    // The "emulator" prints what it was asked to run.
    emulator: ['sh', '-c', 'echo "emulated: $0 $*"'],
    suffix: '.elf',
  };

  it('links with the target compiler, then runs the program under the emulator; keeps the host compilers apart; lives at a stable path', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'nm-cache-'));
    const env = await compileAndRunEnv(cacheDir, spec, {});
    expect(env).toMatchObject({ HOST_CC: 'cc', HOST_CXX: 'c++' });
    expect(env.CC!.startsWith(path.join(cacheDir, 'compile-and-run'))).toBe(true);
    expect((await compileAndRunEnv(cacheDir, spec, { HOST_CC: 'gcc-12' })).CC).toBe(env.CC);
    expect((await compileAndRunEnv(cacheDir, spec, { HOST_CC: 'gcc-12' })).HOST_CC).toBe('gcc-12');
    const run = (...args: string[]) => spawnSync(env.CC!, args, { cwd: dir, encoding: 'utf8' });

    expect(run('-fPIC', 'check.c', '-lgmp', '-o', 'check.exe').status).toBe(0);
    expect(readFileSync(path.join(dir, 'check.exe.elf'), 'utf8')).toBe("\x7fELF -fPIC check.c -lgmp -o check.exe -L /gmp's lib\n");
    const program = spawnSync(path.join(dir, 'check.exe'), ['first arg', 'b'], { encoding: 'utf8' });
    expect(program.stdout).toBe(`emulated: ${path.join(dir, 'check.exe.elf')} first arg b\n`);
    // -oFILE, as one argument.
    expect(run('check.c', '-ocheck2').status).toBe(0);
    expect(existsSync(path.join(dir, 'check2.elf'))).toBe(true);

    expect(run('-c', 'x.c', '-o', 'x.o').status).toBe(0);
    expect(existsSync(path.join(dir, 'x.o.elf'))).toBe(false);
    expect(run('-shared', 'x.o', '-o', 'libx.so').status).toBe(0);
    expect(existsSync(path.join(dir, 'libx.so.elf'))).toBe(false);
    // A response file could say anything: the output is left alone.
    expect(run('@args.rsp', '-o', 'fromrsp').status).toBe(0);
    expect(existsSync(path.join(dir, 'fromrsp.elf'))).toBe(false);
  });

  it('leaves alone an output that is not a program it just wrote: /dev/null, a link, a file of other bytes', async () => {
    const env = await compileAndRunEnv(mkdtempSync(path.join(tmpdir(), 'nm-cache-')), { ...spec, compiler: 'true' }, {});
    const run = (...args: string[]) => spawnSync(env.CC!, args, { cwd: dir, encoding: 'utf8' });
    expect(run('probe.c', '-o', '/dev/null').status).toBe(0);
    expect(existsSync('/dev/null.elf')).toBe(false);
    writeFileSync(path.join(dir, 'text-out'), 'not a program');
    expect(run('probe.c', '-o', 'text-out').status).toBe(0);
    expect(readFileSync(path.join(dir, 'text-out'), 'utf8')).toBe('not a program');
  });
});
