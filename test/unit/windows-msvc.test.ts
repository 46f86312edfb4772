import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { UserError } from '../../src/core/errors.js';
import { parsePeExportNames } from '../../src/platforms/pe-files.js';
import { declaresDllImport, libraryDll, llvmDlltoolArgs, msvcEnv, msvcGmp, msvcLibraryName, type Msys2Tools } from '../../src/platforms/windows-msvc.js';
import type { CellContext } from '../../src/routes/context.js';
import { compilerVariables, pep517StepEnv } from '../../src/backends/pep517.js';
import { FakeRunner } from '../helpers/fake-runner.js';
import { routeOf } from '../helpers/route.js';

const catalog = loadCatalog();
const platform = catalog.platforms.get('windows-x86_64')!;

// llvm-objdump -p (MSYS2's CLANG environments) of a DLL: named exports, one
// by ordinal only, and a forwarder.
const LLVM_OBJDUMP = `
Export Table:
 DLL name: libgmp-10.dll
 Ordinal base: 1
 Ordinal      RVA  Name
       1 0x220ffc  __gmpz_init
       2  0x5a4e0  __gmp_bits_per_limb
       3  0x5a500
       4           __gmpz_clear (forwarded to libgmp-impl.__gmpz_clear)

The Import Tables:
`;

// GNU objdump -p (MSYS2's MINGW64) of the same DLL.
const GNU_OBJDUMP = `
[Ordinal/Name Pointer] Table
\t[   0] __gmp_bits_per_limb
\t[   1] __gmpz_init

The Function Table (interpreted .pdata section contents)
`;

const GMP_H = '/* Instantiated by configure. */\n#if ! defined (__GMP_WITHIN_CONFIGURE)\n#define __GMP_LIBGMP_DLL  1\n#endif\n';

/** An MSYS2 MinGW environment as pacman leaves it: DLLs in bin, headers (the family's and MinGW's C library's) in include. */
function msys2Env(dlls: readonly string[], headers: readonly string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nm-msys2-'));
  mkdirSync(path.join(root, 'bin'));
  mkdirSync(path.join(root, 'include'));
  for (const dll of dlls) writeFileSync(path.join(root, 'bin', dll), dll);
  // A DLL build's gmp.h, as MSYS2's and a --enable-shared build's are.
  for (const header of headers) writeFileSync(path.join(root, 'include', header), header === 'gmp.h' ? GMP_H : `/* ${header} */`);
  return path.join(root, 'bin');
}

function context(libraries: string, runner: FakeRunner, env: NodeJS.ProcessEnv = {}): CellContext {
  const config = validateConfig(parseYamlConfig(`gmp:\n  libraries: ${libraries}\n`, 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
  const silent = { info() {}, status() {}, warning() {}, group: <T>(_: string, work: () => Promise<T>) => work(), section: <T>(_: string, work: () => Promise<T>) => work() };
  return {
    platform,
    route: routeOf({ os: 'windows', arch: 'x86_64' }, platform),
    config,
    runner,
    reporter: silent,
    cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')),
    workDir: mkdtempSync(path.join(tmpdir(), 'nm-work-')),
    env: { PATH: 'C:\\hostedtoolcache\\Python\\3.12\\x64;C:\\Windows\\system32', ...env },
    sourceDateEpoch: 315532800,
  };
}

function msys2Tools(installed: string[][]): Msys2Tools {
  return {
    objdump: 'C:\\msys64\\ucrt64\\bin\\objdump.exe',
    bin: 'C:\\msys64\\ucrt64\\bin',
    packagePrefix: 'mingw-w64-ucrt-x86_64',
    install: (packages) => {
      installed.push([...packages]);
      return Promise.resolve();
    },
  };
}

const answering = () => new FakeRunner(({ file }) => (file.endsWith('objdump.exe') ? { stdout: GNU_OBJDUMP } : undefined));

describe('the import libraries of an MSVC build against MinGW DLLs', () => {
  it("reads export names from GNU objdump's name table and from llvm-objdump's export table (skipping ordinal-only exports)", () => {
    expect(parsePeExportNames(GNU_OBJDUMP)).toEqual(['__gmp_bits_per_limb', '__gmpz_init']);
    expect(parsePeExportNames(LLVM_OBJDUMP)).toEqual(['__gmpz_init', '__gmp_bits_per_limb', '__gmpz_clear']);
    expect(parsePeExportNames('Export Table:\n DLL name: x.dll\n')).toEqual([]);
  });

  it("finds each library's own DLL (libgmp-10.dll, never libgmpxx-4.dll) and names its import library as MSVC's linker looks for it", () => {
    const bin = ['libgcc_s_seh-1.dll', 'libgmpxx-4.dll', 'libgmp-10.dll', 'libmpfr-6.dll', 'libmpc-3.dll'];
    expect(libraryDll(bin, 'gmp')).toBe('libgmp-10.dll');
    expect(libraryDll(bin, 'mpfr')).toBe('libmpfr-6.dll');
    expect(libraryDll(['libgmpxx-4.dll'], 'gmp')).toBeUndefined();
    // setuptools' libraries=['gmp'] and -lgmp are gmp.lib to link.exe, as gmpy2 and python-flint name theirs.
    expect(msvcLibraryName('gmp')).toBe('gmp.lib');
    expect(msvcLibraryName('mpc')).toBe('mpc.lib');
  });

  it("makes MSVC-format import libraries with llvm-dlltool for the target's machine", () => {
    expect(llvmDlltoolArgs('x86_64', 'gmp.def', 'libgmp-10.dll', 'gmp.lib')).toEqual(['-m', 'i386:x86-64', '-d', 'gmp.def', '-D', 'libgmp-10.dll', '-l', 'gmp.lib']);
    expect(llvmDlltoolArgs('aarch64', 'gmp.def', 'libgmp-10.dll', 'gmp.lib').slice(0, 2)).toEqual(['-m', 'arm64']);
  });

  it("puts the headers and import libraries before whatever INCLUDE and LIB were (MSVC's own come first once vcvarsall runs)", () => {
    expect(msvcEnv('C:\\w\\include', 'C:\\w\\lib', {})).toEqual({ INCLUDE: 'C:\\w\\include', LIB: 'C:\\w\\lib' });
    expect(msvcEnv('C:\\w\\include', 'C:\\w\\lib', { INCLUDE: 'C:\\sdk\\include', LIB: 'C:\\sdk\\lib' })).toEqual({ INCLUDE: 'C:\\w\\include;C:\\sdk\\include', LIB: 'C:\\w\\lib;C:\\sdk\\lib' });
  });

  it("makes gmp.lib, mpfr.lib and mpc.lib from the DLLs' exports, copies only the family's headers, and keeps MSYS2 off the build's PATH", async () => {
    const bin = msys2Env(['libgmp-10.dll', 'libgmpxx-4.dll', 'libmpfr-6.dll', 'libmpc-3.dll', 'libgcc_s_seh-1.dll'], ['gmp.h', 'gmpxx.h', 'mpfr.h', 'mpf2mpfr.h', 'mpc.h', 'stdio.h', 'pthread.h']);
    const runner = answering();
    const installed: string[][] = [];
    const cell = context('[gmp, mpfr, mpc]', runner, { INCLUDE: 'C:\\before' });
    const env = await msvcGmp(cell, { source: 'system', libDirs: [bin] }, msys2Tools(installed));

    expect(installed).toEqual([['mingw-w64-ucrt-x86_64-llvm-tools']]);
    const out = path.join(cell.workDir, 'msvc-gmp');
    // MinGW's C library headers (stdio.h) must never shadow MSVC's; gmpxx.h needs libgmpxx, which MSVC cannot link.
    expect(readdirSync(path.join(out, 'include')).sort()).toEqual(['gmp.h', 'mpc.h', 'mpf2mpfr.h', 'mpfr.h']);
    expect(readFileSync(path.join(out, 'lib', 'gmp.def'), 'utf8')).toBe('LIBRARY libgmp-10.dll\nEXPORTS\n__gmp_bits_per_limb\n__gmpz_init\n');
    expect(runner.lines()).toEqual([
      `C:\\msys64\\ucrt64\\bin\\objdump.exe -p ${path.join(bin, 'libgmp-10.dll')}`,
      `C:\\msys64\\ucrt64\\bin\\llvm-dlltool.exe -m i386:x86-64 -d ${path.join(out, 'lib', 'gmp.def')} -D libgmp-10.dll -l ${path.join(out, 'lib', 'gmp.lib')}`,
      `C:\\msys64\\ucrt64\\bin\\objdump.exe -p ${path.join(bin, 'libmpfr-6.dll')}`,
      `C:\\msys64\\ucrt64\\bin\\llvm-dlltool.exe -m i386:x86-64 -d ${path.join(out, 'lib', 'mpfr.def')} -D libmpfr-6.dll -l ${path.join(out, 'lib', 'mpfr.lib')}`,
      `C:\\msys64\\ucrt64\\bin\\objdump.exe -p ${path.join(bin, 'libmpc-3.dll')}`,
      `C:\\msys64\\ucrt64\\bin\\llvm-dlltool.exe -m i386:x86-64 -d ${path.join(out, 'lib', 'mpc.def')} -D libmpc-3.dll -l ${path.join(out, 'lib', 'mpc.lib')}`,
    ]);
    expect(env).toEqual({ INCLUDE: `${path.join(out, 'include')};C:\\before`, LIB: path.join(out, 'lib'), PATH: 'C:\\hostedtoolcache\\Python\\3.12\\x64;C:\\Windows\\system32' });
  });

  it('makes only what gmp.libraries asks for', async () => {
    const bin = msys2Env(['libgmp-10.dll', 'libmpfr-6.dll'], ['gmp.h', 'mpfr.h']);
    const runner = answering();
    await msvcGmp(context('[gmp]', runner), { source: 'system', libDirs: [bin] }, msys2Tools([]));
    expect(runner.lines().filter((line) => line.includes('llvm-dlltool'))).toHaveLength(1);
  });

  it("refuses a library whose DLL or header is missing, naming it and MSYS2's package", async () => {
    const noMpfr = msys2Env(['libgmp-10.dll'], ['gmp.h']);
    const error = await msvcGmp(context('[gmp, mpfr]', answering()), { source: 'system', libDirs: [noMpfr] }, msys2Tools([])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/gmp\.libraries: mpfr's DLL \(libmpfr-N\.dll\) is not in .*; check that MSYS2's mingw-w64-ucrt-x86_64-mpfr package is installed/);
    // Built from source, the DLL is the build's to make: no MSYS2 package would help.
    const fromSource = await msvcGmp(context('[gmp, mpfr]', answering()), { source: 'build', libDirs: [noMpfr] }, msys2Tools([])).catch((e: unknown) => e);
    expect((fromSource as UserError).message).toMatch(/mpfr's DLL \(libmpfr-N\.dll\) is not in .*; read the cell's log for mpfr's build from source .*or set gmp\.source: system/);
    expect((fromSource as UserError).message).not.toMatch(/package/);

    const noHeader = msys2Env(['libgmp-10.dll'], []);
    await expect(msvcGmp(context('[gmp]', answering()), { source: 'system', libDirs: [noHeader] }, msys2Tools([]))).rejects.toThrow(/gmp's header gmp\.h is not in /);
  });

  it('refuses a DLL whose exports objdump cannot read, as a user error with what to do', async () => {
    const bin = msys2Env(['libgmp-10.dll'], ['gmp.h']);
    const silent = new FakeRunner(() => ({ stdout: 'no export table here' }));
    const error = await msvcGmp(context('[gmp]', silent), { source: 'system', libDirs: [bin] }, msys2Tools([])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /libgmp-10\.dll exports nothing that objdump\.exe -p shows; it is no DLL of the GMP family for this arch: check that MSYS2's mingw-w64-ucrt-x86_64-gmp package is installed/,
    );
  });

  it("refuses a gmp.h that is not a DLL build's: without dllimport, MSVC code would read gmp_version through a code thunk", async () => {
    expect(declaresDllImport(GMP_H)).toBe(true);
    expect(declaresDllImport('#define __GMP_LIBGMP_DLL  0\n')).toBe(false);
    const bin = msys2Env(['libgmp-10.dll'], []);
    writeFileSync(path.join(path.dirname(bin), 'include', 'gmp.h'), '#define __GMP_LIBGMP_DLL  0\n');
    const error = await msvcGmp(context('[gmp]', answering()), { source: 'build', libDirs: [bin] }, msys2Tools([])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/gmp\.h is not a DLL build's \(no #define __GMP_LIBGMP_DLL 1\)/);
  });
});

describe('the environment of an MSVC build', () => {
  const interpreter = { version: '3.12', executable: 'C:\\hostedtoolcache\\windows\\Python\\3.12.7\\x64\\python.exe', fullVersion: '3.12.7', freeThreaded: false };
  const ours = { CPPFLAGS: '-IC:\\gmp\\include', LDFLAGS: '-LC:\\gmp\\lib', C_INCLUDE_PATH: 'C:\\gmp\\include', LIBRARY_PATH: 'C:\\gmp\\lib', INCLUDE: 'C:\\w\\include', PATH: 'C:\\py' };

  it("gives cl.exe and link.exe none of GCC's flags and no -ffile-prefix-map, which they warn about or, under /WX, refuse", () => {
    const msvc = { ...context('[gmp]', new FakeRunner()), route: { ...routeOf({ os: 'windows', arch: 'x86_64' }, platform), msvc: true } };
    const env = compilerVariables(msvc, ours);
    expect(env).toEqual({ INCLUDE: 'C:\\w\\include', PATH: 'C:\\py' });
    expect(pep517StepEnv(msvc, env, interpreter)).toEqual(env);
  });

  it('keeps them, and adds the path maps, for a GNU compiler', () => {
    const gnu = context('[gmp]', new FakeRunner());
    expect(gnu.route.msvc).toBe(false);
    expect(compilerVariables(gnu, ours)).toEqual(ours);
    expect(pep517StepEnv(gnu, ours, interpreter).CPPFLAGS).toMatch(/^-ffile-prefix-map=.* -IC:\\gmp\\include$/);
  });
});
