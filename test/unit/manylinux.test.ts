import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { parseYamlConfig } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { checkGlibcSymbols, glibcError, glibcTarget, oldestVersions, parseDynamicSymbols } from '../../src/platforms/glibc.js';
import { linux } from '../../src/platforms/linux.js';
import { developmentFiles, sharedLibrariesOf, zigEnv } from '../../src/platforms/zig.js';
import { platformTagFor } from '../../src/plan/render.js';
import { FakeRunner } from '../helpers/fake-runner.js';

const catalog = loadCatalog();
const config = (yaml: string) => validateConfig(parseYamlConfig(yaml, 'native-matrix.yml', '/p/native-matrix.yml'), { catalog });
const x86 = catalog.platforms.get('linux-x86_64')!;
const aarch64 = catalog.platforms.get('linux-aarch64')!;

// readelf -W --dyn-syms, as binutils 2.40 prints it (aarch64's variant-PCS marker included).
const READELF = `
Symbol table '.dynsym' contains 9 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND 
     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND memcpy@GLIBC_2.14 (2)
     2: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND closefrom
     3: 0000000000000000     0 NOTYPE  WEAK   DEFAULT  UND __gmon_start__
     4: 0000000000000000     0 FUNC    WEAK   DEFAULT  UND statx
     5: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND __gmpz_init
     6: 0000000000001540    22 FUNC    GLOBAL DEFAULT   12 PyInit__demo
     7: 0000000000000000     0 FUNC    GLOBAL DEFAULT [VARIANT_PCS]  UND __tls_get_addr@GLIBC_2.17 (3)
     8: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND getrandom@GLIBC_2.25 (4)
`;
const LIBC = `
     1: 00000000000a0fd0    11 FUNC    GLOBAL DEFAULT   15 memcpy@GLIBC_2.2.5
     2: 00000000000a1030    11 FUNC    GLOBAL DEFAULT   15 memcpy@@GLIBC_2.14
     3: 00000000000f0c00    60 FUNC    GLOBAL DEFAULT   15 closefrom@@GLIBC_2.34
     4: 00000000000f0c00    60 FUNC    WEAK   DEFAULT   15 statx@@GLIBC_2.28
`;

describe('linux.manylinux in the config', () => {
  it('defaults to 2_17 and takes the other choices; a wrong one names file, line and the choices', () => {
    expect(config('{}\n').linux.manylinux).toBe('2_17');
    expect(config('linux:\n  manylinux: "2_28"\n').linux.manylinux).toBe('2_28');
    expect(config('linux:\n  manylinux: host\n').linux.manylinux).toBe('host');
    expect(() => config('linux:\n  manylinux: "2_16"\n')).toThrow('native-matrix.yml:2: linux.manylinux: the string "2_16" is not allowed; use 2_17, 2_28, 2_31, 2_34 or host');
    expect(() => config('linux:\n  manylinx: "2_28"\n')).toThrow('native-matrix.yml:2: linux.manylinx: unknown key; did you mean "manylinux"?');
  });

  it('gives zig, cargo-zigbuild and auditwheel their targets, per arch', () => {
    expect(glibcTarget({ config: config('{}\n'), platform: x86 })).toEqual({
      version: '2.17',
      policy: 'manylinux_2_17_x86_64',
      zigTarget: 'x86_64-linux-gnu.2.17',
      cargoTarget: 'x86_64-unknown-linux-gnu.2.17',
    });
    expect(glibcTarget({ config: config('linux: { manylinux: "2_34" }\n'), platform: aarch64 })).toEqual({
      version: '2.34',
      policy: 'manylinux_2_34_aarch64',
      zigTarget: 'aarch64-linux-gnu.2.34',
      cargoTarget: 'aarch64-unknown-linux-gnu.2.34',
    });
    expect(glibcTarget({ config: config('linux: { manylinux: host }\n'), platform: x86 })).toBeUndefined();
  });

  it('shows the tag in the plan', () => {
    expect(platformTagFor(x86, config('{}\n').linux)).toBe('manylinux_2_17_x86_64');
    expect(platformTagFor(aarch64, config('linux: { manylinux: "2_31" }\n').linux)).toBe('manylinux_2_31_aarch64');
    expect(platformTagFor(x86, config('linux: { manylinux: host }\n').linux)).toBe("manylinux_<the build machine's glibc>_x86_64");
    expect(platformTagFor(catalog.platforms.get('windows-x86_64')!, config('{}\n').linux)).toBe('win_amd64');
  });

  it('asks for zig and cargo-zigbuild only for a glibc target', () => {
    const ctx = (yaml: string) => ({ config: config(yaml), platform: x86 }) as never;
    expect(linux.toolchainTools!(ctx('{}\n'))).toEqual(['ziglang', 'cargo-zigbuild']);
    expect(linux.toolchainTools!(ctx('linux: { manylinux: host }\n'))).toEqual([]);
  });
});

describe('the glibc symbol check', () => {
  it('reads versioned, unversioned, weak and defined symbols from readelf', () => {
    const symbols = parseDynamicSymbols(READELF);
    expect(symbols.find((s) => s.name === 'memcpy')).toEqual({ name: 'memcpy', version: 'GLIBC_2.14', weak: false, defined: false });
    expect(symbols.find((s) => s.name === 'closefrom')).toEqual({ name: 'closefrom', weak: false, defined: false });
    expect(symbols.find((s) => s.name === 'statx')).toMatchObject({ weak: true, defined: false });
    expect(symbols.find((s) => s.name === 'PyInit__demo')).toMatchObject({ defined: true });
    expect(symbols.find((s) => s.name === '__tls_get_addr')).toMatchObject({ version: 'GLIBC_2.17', defined: false });
  });

  it('knows the oldest version of each libc symbol', () => {
    const oldest = oldestVersions(parseDynamicSymbols(LIBC));
    expect(oldest.get('memcpy')).toBe('2.2.5');
    expect(oldest.get('closefrom')).toBe('2.34');
  });

  it('names file, symbol and version, and suggests linux.manylinux or a code change', () => {
    const target = glibcTarget({ config: config('{}\n'), platform: x86 })!;
    const error = glibcError(config('linux:\n  manylinux: "2_17"\n'), 'demo-0.1.0-cp312-cp312-linux_x86_64.whl', target, [
      { file: 'demo/_demo.so', symbol: 'closefrom', version: '2.34' },
      { file: 'demo/_demo.so', symbol: 'getrandom', version: '2.25' },
    ]);
    expect(error.message).toBe(
      'native-matrix.yml:2: linux.manylinux: demo-0.1.0-cp312-cp312-linux_x86_64.whl needs a newer glibc than 2.17 (manylinux_2_17_x86_64): demo/_demo.so needs closefrom from GLIBC_2.34; demo/_demo.so needs getrandom from GLIBC_2.25; ' +
        'set linux.manylinux: "2_34" (users then need glibc 2.34 or newer), or change the code not to use closefrom, getrandom',
    );
    const newest = glibcError(config('{}\n'), 'x', target, [{ file: 'a.so', symbol: 'f', version: '2.39' }]);
    expect(newest.message).toContain('set linux.manylinux: "host"');
  });
});

describe('zig', () => {
  it("picks the GMP family's headers and shared libraries from dpkg -L, not the static archives that would shadow a bundled libgmp.a", () => {
    const listed = developmentFiles(
      [
        '/.',
        '/usr/include/x86_64-linux-gnu/gmp.h',
        '/usr/include/gmpxx.h',
        '/usr/lib/x86_64-linux-gnu/libgmp.a',
        '/usr/lib/x86_64-linux-gnu/libgmp.so',
        '/usr/lib/libmpc.a',
        '/usr/lib/libmpc.so',
        '/usr/lib/x86_64-linux-gnu/pkgconfig/gmp.pc',
        '/usr/share/doc/libgmp-dev/copyright',
      ].join('\n'),
    );
    expect(listed).toEqual({ headers: ['/usr/include/x86_64-linux-gnu/gmp.h', '/usr/include/gmpxx.h'], libraries: ['/usr/lib/x86_64-linux-gnu/libgmp.so', '/usr/lib/libmpc.so'] });
  });

  it("sets the compilers, setuptools' linkers and the zig for cargo-zigbuild", () => {
    const toolchain = { zig: '/t/zig', cc: '/z/cc', cxx: '/z/c++', ar: '/z/ar', ranlib: '/z/ranlib' };
    expect(zigEnv(toolchain)).toEqual({
      CC: '/z/cc',
      CXX: '/z/c++',
      AR: '/z/ar',
      RANLIB: '/z/ranlib',
      LDSHARED: '/z/cc -shared',
      LDCXXSHARED: '/z/c++ -shared',
      CARGO_ZIGBUILD_ZIG_PATH: '/t/zig',
    });
  });
});

describe("rustc's view of a GMP built from source", () => {
  it('links its shared libraries only, so that its libgmp.a cannot take the place of a bundled one', async () => {
    const lib = mkdtempSync(path.join(tmpdir(), 'gmp-prefix-lib-'));
    for (const name of ['libgmp.a', 'libgmp.la', 'libgmp.so', 'libgmp.so.10', 'libgmp.so.10.5.0', 'libgmpxx.so.4']) writeFileSync(path.join(lib, name), name);
    mkdirSync(path.join(lib, 'pkgconfig'));
    const context = { cacheDir: mkdtempSync(path.join(tmpdir(), 'nm-cache-')) } as unknown as Parameters<typeof sharedLibrariesOf>[0];
    const view = await sharedLibrariesOf(context, lib);
    expect(
      readdirSync(view)
        .filter((name) => !name.startsWith('.'))
        .sort(),
    ).toEqual(['libgmp.so', 'libgmp.so.10', 'libgmp.so.10.5.0', 'libgmpxx.so.4']);
    expect(readlinkSync(path.join(view, 'libgmp.so.10'))).toBe(path.join(lib, 'libgmp.so.10'));
    expect(await sharedLibrariesOf(context, lib)).toBe(view);
  });
});

describe('checkGlibcSymbols', () => {
  it('checks every ELF file under a directory (and only those), against the limit and the libc table', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'glibc-check-'));
    mkdirSync(path.join(root, 'demo.libs'), { recursive: true });
    writeFileSync(path.join(root, 'demo.libs', '_demo.so'), '\x7fELF...');
    writeFileSync(path.join(root, 'README'), 'not an ELF file');
    const runner = new FakeRunner(({ file }) => (file === 'readelf' ? { stdout: READELF } : undefined));
    const libc = oldestVersions(parseDynamicSymbols(LIBC));
    const report = await checkGlibcSymbols(runner, root, '2.17', libc);
    expect(runner.lines()).toEqual([`readelf -W --dyn-syms ${path.join(root, 'demo.libs', '_demo.so')}`]);
    // memcpy 2.14 and __tls_get_addr 2.17 are fine; weak statx is looked up at run time; __gmpz_init is no libc symbol.
    expect(report).toEqual({
      newest: '2.34',
      violations: [
        { file: 'demo.libs/_demo.so', symbol: 'closefrom', version: '2.34' },
        { file: 'demo.libs/_demo.so', symbol: 'getrandom', version: '2.25' },
      ],
    });
    expect((await checkGlibcSymbols(runner, root, undefined, libc)).violations).toEqual([]);
  });
});
