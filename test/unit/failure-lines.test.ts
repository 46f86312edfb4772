import { describe, expect, it } from 'vitest';
import { failureLines } from '../../src/core/process/failure-lines.js';
import { CommandFailed } from '../../src/core/process/runner.js';

// Real outputs: gcc 12 on a missing semicolon, and cargo 1.95 on a type error,
// each after the noise a build prints before it.
const NOISE = Array.from({ length: 300 }, (_, i) => `mpn/generic/add_n.c:${i}:1: warning: 'dllexport' attribute ignored [-Wattributes]`).join('\n');
const GCC = `${NOISE}
gcc -O2 -fPIC -I/usr/include/python3.12 -c src/mod.c -o build/mod.o
src/mod.c: In function ‘f’:
src/mod.c:4:3: error: expected ‘,’ or ‘;’ before ‘return’
    4 |   return x;
      |   ^~~~~~
error: command '/usr/bin/gcc' failed with exit code 1
`;
const RUSTC = `   Compiling pyo3-build-config v0.23.5
   Compiling libc v0.2.169
${NOISE}
   Compiling rs v0.1.0 (/tmp/errs/rs)
error[E0308]: mismatched types
 --> src/main.rs:2:18
  |
2 |     let x: u32 = "text";
  |            ---   ^^^^^^ expected \`u32\`, found \`&str\`
  |            |
  |            expected due to this

For more information about this error, try \`rustc --explain E0308\`.
error: could not compile \`rs\` (bin "rs") due to 1 previous error
💥 maturin failed
  Caused by: Failed to build a native library through cargo
`;

describe('the lines that say why a command failed', () => {
  it("a C compiler's error, with its function and the source line, not the warnings before it", () => {
    expect(failureLines(GCC)).toEqual([
      'src/mod.c: In function ‘f’:',
      'src/mod.c:4:3: error: expected ‘,’ or ‘;’ before ‘return’',
      '    4 |   return x;',
      '      |   ^~~~~~',
      "error: command '/usr/bin/gcc' failed with exit code 1",
    ]);
  });

  it("a compiler's coloured output, read without its escape sequences (gcc ends each with an erase to the line's end)", () => {
    const esc = '\u001b';
    const coloured = GCC.replace('src/mod.c: In function ‘f’:', `${esc}[01m${esc}[Ksrc/mod.c:${esc}[m${esc}[K In function ‘${esc}[01m${esc}[Kf${esc}[m${esc}[K’:`).replace(
      'src/mod.c:4:3: error: ',
      `${esc}[01m${esc}[Ksrc/mod.c:4:3:${esc}[m${esc}[K ${esc}[01;31m${esc}[Kerror: ${esc}[m${esc}[K`,
    );
    expect(coloured).not.toBe(GCC);
    expect(failureLines(coloured)).toEqual(failureLines(GCC));
  });

  it("rustc's diagnostic up to its blank line; cargo's echo of it left out", () => {
    expect(failureLines(RUSTC)).toEqual([
      'error[E0308]: mismatched types',
      ' --> src/main.rs:2:18',
      '  |',
      '2 |     let x: u32 = "text";',
      '  |            ---   ^^^^^^ expected `u32`, found `&str`',
      '  |            |',
      '  |            expected due to this',
    ]);
  });

  it('a Python traceback to its exception', () => {
    const output =
      'collecting ...\nTraceback (most recent call last):\n  File "<string>", line 1, in <module>\n    import demo\nImportError: libgmp.so.10: cannot open shared object file: No such file or directory\nafter\n';
    expect(failureLines(output)).toEqual([
      'Traceback (most recent call last):',
      '  File "<string>", line 1, in <module>',
      '    import demo',
      'ImportError: libgmp.so.10: cannot open shared object file: No such file or directory',
    ]);
  });

  it('the last 20 lines when nothing looks like a cause, and at most 40 lines when much does', () => {
    const plain = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    expect(failureLines(plain)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 30}`));
    const many = Array.from({ length: 100 }, (_, i) => `x.c:${i}:1: error: bad ${i}`).join('\n');
    expect(failureLines(many)).toHaveLength(40);
  });

  it('a failed command names itself, the cause and the log that holds the rest', () => {
    const failure = new CommandFailed({ file: 'cargo', args: ['build'] }, { exitCode: 101, stdout: '', stderr: RUSTC, all: RUSTC, seconds: 1 }, 'cargo build', 'out/linux-x86_64/build.log');
    expect(failure.problems[0]!.message).toMatch(/^`cargo build` exited with code 101:\nerror\[E0308\]: mismatched types\n --> src\/main.rs:2:18\n/);
    expect(failure.problems[0]!.message).not.toContain('dllexport');
    expect(failure.problems[0]!.fix).toBe('its full output is in out/linux-x86_64/build.log');
  });
});
