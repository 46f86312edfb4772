import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheRoot } from '../../src/core/cache.js';
import { findInterpreters } from '../../src/core/interpreters.js';
import { ensureToolEnv, type ToolEnv } from '../../src/core/tools.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { UserError } from '../../src/core/errors.js';
import { checkMacosWheel } from '../../src/platforms/macos.js';
import { ExecaRunner } from '../../src/core/process/runner.js';
import { quietLog } from '../helpers/engine.js';

// A real macOS wheel that links GMP, from PyPI: gmpy2 2.3.2 for arm64, which
// carries libgmp, libmpfr and libmpc in gmpy2.libs/.
const WHEEL = 'gmpy2-2.3.2-cp312-cp312-macosx_11_0_arm64.whl';
const runner = new ExecaRunner(quietLog());
const platform = loadCatalog().platforms.get('macos-arm64')!;
let tools: ToolEnv;
let wheel: string;

beforeAll(async () => {
  const [python] = await findInterpreters(['3.12'], { runner });
  tools = await ensureToolEnv({ runner, host: python!, tools: ['delocate'], cacheDir: cacheRoot() });
  const dir = mkdtempSync(path.join(tmpdir(), 'macos-wheel-'));
  await runner.run(tools.python, ['-m', 'pip', 'download', '--only-binary', ':all:', '--platform', 'macosx_11_0_arm64', '--python-version', '3.12', '--no-deps', '--dest', dir, 'gmpy2==2.3.2'], {
    env: { PIP_FIND_LINKS: undefined },
  });
  wheel = path.join(
    dir,
    readdirSync(dir).find((f) => f === WHEEL)!,
  );
});

describe('the macOS repair check reads real Mach-O files (on Linux, with macholib)', () => {
  it("finds gmpy2's libgmp inside the wheel and every load command satisfied", async () => {
    const check = await checkMacosWheel(runner, tools, wheel, platform, '11.0');
    expect(check.bundled).toEqual(['libgmp.10.dylib', 'libmpc.3.dylib', 'libmpfr.6.dylib']);
    expect(check.platformTags).toEqual(['macosx_11_0_arm64']);
  });

  it('refuses the same wheel for an older deployment target than its libraries were built for', async () => {
    const error = await checkMacosWheel(runner, tools, wheel, platform, '10.9').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('gmpy2.libs/libgmp.10.dylib requires macOS 11.0, newer than the deployment target 10.9');
  });

  it('refuses the wheel once libgmp is taken out of it', async () => {
    const broken = path.join(mkdtempSync(path.join(tmpdir(), 'macos-broken-')), WHEEL);
    await runner.run(tools.python, [
      '-c',
      'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], "w") as dst:\n    [dst.writestr(i, src.read(i)) for i in src.infolist() if not i.filename.endswith("libgmp.10.dylib")]',
      wheel,
      broken,
    ]);
    const error = await checkMacosWheel(runner, tools, broken, platform, '11.0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('gmpy2/gmpy2.cpython-312-darwin.so needs @loader_path/../gmpy2.libs/libgmp.10.dylib, which is neither in the wheel nor a system library');
  });
});
