import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hookModule, windowsCrossWheelBuilder } from '../../src/platforms/windows-cross-build.js';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { WINDOWS_PYCONFIG_H, windowsPythonHeaders } from '../../src/platforms/windows-headers.js';
import type { CellContext } from '../../src/routes/context.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const dir = mkdtempSync(path.join(tmpdir(), 'windows-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REPORT =
  'import importlib.machinery, json, os; print(json.dumps([os.environ.get("_PYTHON_HOST_PLATFORM"), os.environ.get("_PYTHON_SYSCONFIGDATA_NAME"), importlib.machinery.EXTENSION_SUFFIXES[:2]]))';

/** Runs `script` (named `name`) after the hook, as a .pth file's import would run it first. */
function runAs(name: string) {
  writeFileSync(path.join(dir, '_hook.py'), hookModule({ hostPlatform: 'win-amd64', sysconfigdata: '_sysconfigdata_x', dir: '/target', extSuffix: '.cp311-win_amd64.pyd' }));
  const script = path.join(dir, name);
  writeFileSync(script, `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import _hook\n${REPORT}\n`);
  const run = spawnSync('python3', ['-I', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as [string | null, string | null, string[]];
}

describe("the Windows cross-building stand-in's interpreter hook", () => {
  it("reports the Windows target in the build backend's process (pyproject_hooks' _in_process.py): platform, sysconfig and extension suffixes", () => {
    expect(runAs('_in_process.py')).toEqual(['win-amd64', '_sysconfigdata_x', ['.cp311-win_amd64.pyd', '.pyd']]);
  });

  it('leaves pip itself a Linux program, which installs the build requirements for this machine', () => {
    const [platform, sysconfigdata, suffixes] = runAs('__pip-runner__.py');
    expect([platform, sysconfigdata]).toEqual([null, null]);
    expect(suffixes[0]).toMatch(/\.so$/);
  });
});

describe("Windows' pyconfig.h", () => {
  it('describes 64-bit Windows CPython: LLP64, a 16-bit wchar_t, NT threads, the API imported from the Python DLL', () => {
    for (const line of [
      '#define MS_WIN64',
      '#define SIZEOF_LONG 4',
      '#define SIZEOF_VOID_P 8',
      '#define SIZEOF_WCHAR_T 2',
      '#define NT_THREADS',
      '#define Py_ENABLE_SHARED 1',
      '#define HAVE_DECLSPEC_DLL',
      // Without it, every PyDoc_STR is "".
      '#define WITH_DOC_STRINGS 1',
    ])
      expect(WINDOWS_PYCONFIG_H).toContain(line);
  });
});

describe('the headers of a Windows build on Linux', () => {
  const platform = loadCatalog().platforms.get('windows-x86_64')!;
  const context = (include: string, cacheDir: string) =>
    ({
      platform,
      runner: new FakeRunner(() => ({ stdout: `${include}\n` })),
      cacheDir,
      env: {},
    }) as unknown as CellContext;
  const native = { version: '3.12', executable: '/usr/bin/python3.12', fullVersion: '3.12.3', freeThreaded: false };

  it("are the host CPython's, with Windows' pyconfig.h in place of its own", async () => {
    const include = mkdtempSync(path.join(dir, 'include-'));
    writeFileSync(path.join(include, 'Python.h'), '#include "pyconfig.h"\n');
    writeFileSync(path.join(include, 'pyconfig.h'), '#define HAVE_FORK 1\n');
    const headers = await windowsPythonHeaders(context(include, mkdtempSync(path.join(dir, 'cache-'))), native);
    expect(readFileSync(path.join(headers, 'Python.h'), 'utf8')).toBe('#include "pyconfig.h"\n');
    expect(readFileSync(path.join(headers, 'pyconfig.h'), 'utf8')).toBe(WINDOWS_PYCONFIG_H);
  });

  it('are never used for a free-threaded CPython, whose extensions need a pyconfig.h of their own: the build refuses, naming the fix', async () => {
    const runner = new FakeRunner(() => undefined);
    const free = { ...native, version: '3.13t', freeThreaded: true };
    await expect(windowsCrossWheelBuilder({ ...context('', dir), runner }, free, { abi3: false })).rejects.toThrow('C extensions for free-threaded Python 3.13t are not cross-built on Linux');
    expect(runner.lines()).toEqual([]);
  });

  it('without Python.h on this machine, fail naming the interpreter and the fix', async () => {
    const empty = mkdtempSync(path.join(dir, 'include-'));
    await expect(windowsPythonHeaders(context(empty, mkdtempSync(path.join(dir, 'cache-'))), native)).rejects.toThrow(
      `Windows extensions for Python 3.12 are compiled here against the headers of this machine's Python 3.12 (/usr/bin/python3.12), and its include directory (${empty}) has no Python.h`,
    );
    await expect(windowsPythonHeaders(context(empty, mkdtempSync(path.join(dir, 'cache-'))), native)).rejects.toThrow(
      "; install Python 3.12's headers (Debian/Ubuntu: apt-get install python3.12-dev;",
    );
  });
});
