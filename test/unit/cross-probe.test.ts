import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';
import { linux } from '../../src/platforms/linux.js';
import type { PlatformModule } from '../../src/platforms/types.js';
import type { CellContext } from '../../src/routes/context.js';
import { windows } from '../../src/platforms/windows.js';
import type { Reporter } from '../../src/core/reporter.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { routeOf } from '../helpers/route.js';

const catalog = loadCatalog();
const silent: Reporter = { info() {}, status() {}, warning() {}, group: (_title, work) => work(), section: (_title, work) => work() };

// What Debian's cross linker says when the cross C library is missing.
const NO_CRT = [
  '/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: cannot find crt1.o: No such file or directory',
  '/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: cannot find crti.o: No such file or directory',
  'collect2: error: ld returned 1 exit status',
].join('\n');

function context(platformId: string, runner: FakeRunner): CellContext {
  // The machine's own toolchain (linux.manylinux: host): GMP is cross-built with the cross gcc.
  const config = validateConfig(parseYamlConfig(`matrix:\n  platforms: [${platformId}]\nlinux:\n  manylinux: host\n`, 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
  return {
    platform: catalog.platforms.get(platformId)!,
    route: routeOf({ os: 'linux', arch: 'x86_64' }, catalog.platforms.get(platformId)!, config.linux.manylinux),
    config,
    runner,
    reporter: silent,
    cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')),
    workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
    env: {},
    sourceDateEpoch: 315532800,
  };
}

async function provisionError(module: PlatformModule, platformId: string, compiler: string, output: string): Promise<{ error: UserError; commands: string[] }> {
  const runner = new FakeRunner(({ file }) => (file === compiler ? { exitCode: 1, all: output, stderr: output } : undefined));
  const error = await module.provisionGmp(context(platformId, runner)).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UserError);
  return { error: error as UserError, commands: runner.lines() };
}

describe('the cross toolchain is proven before any cross build', () => {
  it('linux-aarch64 on x86_64: a gcc without its C library names libc6-dev-arm64-cross and the command that installs it', async () => {
    const { error, commands } = await provisionError(linux, 'linux-aarch64', 'aarch64-linux-gnu-gcc', NO_CRT);
    expect(error.message).toBe(
      'platform linux-aarch64: the cross compiler aarch64-linux-gnu-gcc cannot compile and link a program ' +
        '(/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: cannot find crt1.o: No such file or directory; ' +
        '/usr/lib/gcc-cross/aarch64-linux-gnu/12/../../../../aarch64-linux-gnu/bin/ld: cannot find crti.o: No such file or directory; ' +
        'collect2: error: ld returned 1 exit status); it needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross; ' +
        'install them: sudo apt-get install --no-install-recommends gcc-aarch64-linux-gnu libc6-dev-arm64-cross',
    );
    // Nothing else ran: GMP's configure never saw the broken compiler.
    expect(commands).toEqual([expect.stringMatching(/^aarch64-linux-gnu-gcc \S+\/cross-probe\.c -o \S+\/cross-probe$/)]);
  });

  it('windows-x86_64 on Linux: a missing mingw-w64 gcc names its packages', async () => {
    const { error, commands } = await provisionError(windows, 'windows-x86_64', 'x86_64-w64-mingw32-gcc', 'spawn x86_64-w64-mingw32-gcc ENOENT: command not found');
    expect(error.message).toBe(
      'platform windows-x86_64: the cross compiler x86_64-w64-mingw32-gcc cannot compile and link a program (spawn x86_64-w64-mingw32-gcc ENOENT: command not found); ' +
        'it needs gcc-mingw-w64-x86-64 and mingw-w64-x86-64-dev; install them: sudo apt-get install --no-install-recommends gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev',
    );
    // Probed once, and nothing built after it.
    expect(commands.filter((line) => line.startsWith('x86_64-w64-mingw32-gcc'))).toHaveLength(1);
    expect(commands.at(-1)).toMatch(/^x86_64-w64-mingw32-gcc /);
  });

  it('a compiler that links is proven once per run, and the build goes on', async () => {
    const runner = new FakeRunner(({ file }) => (file === 'aarch64-linux-gnu-gcc' ? undefined : { exitCode: 1, all: 'stop here' }));
    const ctx = context('linux-aarch64', runner);
    // The next step after the probe is the runner's first other command, which this runner fails.
    await expect(linux.provisionGmp(ctx)).rejects.toThrow(/stop here/);
    await expect(linux.provisionGmp(ctx)).rejects.toThrow(/stop here/);
    expect(runner.lines().filter((line) => line.startsWith('aarch64-linux-gnu-gcc'))).toHaveLength(1);
  });
});
