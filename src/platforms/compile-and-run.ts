import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A C compiler for build scripts of a cross build that compile a test program
 * and run it: gmp-mpfr-sys's use-system-libs links one against the GMP it is
 * given and runs it to learn GMP's configuration (limb size, version). Run
 * natively, the host's compiler would report the host's GMP; compiled for the
 * target, the program cannot run here. So the wrapper compiles with the
 * target's compiler and, when it links a program (`-o check.exe`), keeps it
 * as `check.exe<suffix>` and makes `check.exe` a script that runs it under
 * the emulator (wine, qemu-user). Compiles and shared libraries are left as
 * they are.
 */
export interface CompileAndRun {
  /** The wrapper's file name, under the cell's scratch `bin/`. */
  readonly name: string;
  /** The target's compiler and arguments every link gets (cross gccs ignore LIBRARY_PATH). */
  readonly compiler: string;
  readonly linkArgs: readonly string[];
  /** The command prefix that runs a target program here: `['qemu-aarch64', '-L', root]`. */
  readonly emulator: readonly string[];
  /** What the linked program is renamed with (wine wants `.exe`). */
  readonly suffix: string;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The wrapper script's text. */
export function compileAndRunScript({ compiler, linkArgs, emulator, suffix }: Omit<CompileAndRun, 'name'>): string {
  // The run script is written by printf from a %s argument, so no quoting level is lost.
  const runLine = `exec ${emulator.map(quote).join(' ')} "$0${suffix}" "$@"`;
  return `#!/bin/sh
set -eu
out=
link=1
previous=
for arg in "$@"; do
  if [ "$previous" = -o ]; then out=$arg; fi
  case $arg in -c | -S | -E | -M | -MM | -shared) link=0 ;; esac
  previous=$arg
done
if [ "$link" = 1 ]; then
  ${quote(compiler)} "$@"${linkArgs.map((arg) => ` ${quote(arg)}`).join('')}
else
  ${quote(compiler)} "$@"
fi
if [ "$link" = 1 ] && [ -n "$out" ]; then
  mv -f -- "$out" "$out"${quote(suffix)}
  printf '#!/bin/sh\\n%s\\n' ${quote(runLine)} > "$out"
  chmod +x -- "$out"
fi
`;
}

/** Writes the wrapper into `workDir/bin` and returns its path. */
export async function compileAndRunCompiler(workDir: string, spec: CompileAndRun): Promise<string> {
  const wrapper = path.join(workDir, 'bin', spec.name);
  await mkdir(path.dirname(wrapper), { recursive: true });
  await writeFile(wrapper, compileAndRunScript(spec));
  await chmod(wrapper, 0o755);
  return wrapper;
}
