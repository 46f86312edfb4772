import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { posixQuote } from '../core/process/runner.js';
import { cachedDirectory, cacheKey } from '../core/cache.js';

/**
 * A C compiler for build scripts of a cross build that compile a test program
 * and run it: gmp-mpfr-sys's use-system-libs links one against the GMP it is
 * given and runs it to learn GMP's configuration (limb size, version). Run
 * natively, the host's compiler would report the host's GMP; compiled for the
 * target, the program cannot run here. So the wrapper compiles with the
 * target's compiler and, when it links a program (`-o check.exe`), keeps it
 * as `check.exe<suffix>` and makes `check.exe` a script that runs it under
 * the emulator (wine, qemu-user). Compiles, shared libraries, and outputs
 * that are not a fresh ELF or PE file (`-o /dev/null`) are left as they are.
 * Where nothing here runs the target's programs (macOS), `hostRebuild` names
 * the host's compiler: the program, once linked for the target (which proves
 * it links), is kept aside and built again for the host without its
 * libraries. That serves programs that only print the headers' macros, as
 * gmp-mpfr-sys's checks do; one the host cannot build says so when run.
 */
export interface CompileAndRun {
  /** The wrapper's file name. */
  readonly name: string;
  /** The target's compiler and arguments every link gets (cross gccs ignore LIBRARY_PATH). */
  readonly compiler: string;
  readonly linkArgs: readonly string[];
  /** The command prefix that runs a target program here: `['qemu-aarch64', '-L', root]`. */
  readonly emulator: readonly string[];
  /** What the linked program is renamed with (wine wants `.exe`). */
  readonly suffix: string;
  /** The host's compiler and arguments that build the program again to run here, instead of an emulator. */
  readonly hostRebuild?: readonly string[];
}

/** The wrapper script's text. */
export function compileAndRunScript({ compiler, linkArgs, emulator, suffix, hostRebuild }: Omit<CompileAndRun, 'name'>): string {
  if (hostRebuild) return hostRebuildScript(compiler, linkArgs, suffix, hostRebuild);
  // The run script is written by printf from a %s argument, so no quoting level is lost.
  const runLine = `exec ${emulator.map(posixQuote).join(' ')} "$0${suffix}" "$@"`;
  return `#!/bin/sh
set -eu
out=
link=1
previous=
for arg in "$@"; do
  if [ "$previous" = -o ]; then out=$arg; fi
  case $arg in
    -c | -S | -E | -M | -MM | -shared) link=0 ;;
    -o?*) out=\${arg#-o} ;;
    @*) link=0 ;; # a response file could name anything: not followed, the program is left as it is
  esac
  previous=$arg
done
if [ "$link" = 1 ]; then
  ${posixQuote(compiler)} "$@"${linkArgs.map((arg) => ` ${posixQuote(arg)}`).join('')}
else
  ${posixQuote(compiler)} "$@"
fi
# Only a program just written: a regular file that starts as ELF (7f 45 4c 46) or PE (4d 5a) does.
if [ "$link" = 1 ] && [ -n "$out" ] && [ -f "$out" ] && [ ! -L "$out" ]; then
  magic=$(od -An -tx1 -N4 -- "$out" | tr -d ' \\n')
  case $magic in
    7f454c46 | 4d5a*)
      mv -f -- "$out" "$out"${posixQuote(suffix)}
      printf '#!/bin/sh\\n%s\\n' ${posixQuote(runLine)} > "$out"
      chmod +x -- "$out"
      ;;
  esac
fi
`;
}

/** The wrapper that links for the target, then builds the program again for the host (see CompileAndRun). */
function hostRebuildScript(compiler: string, linkArgs: readonly string[], suffix: string, host: readonly string[]): string {
  return `#!/bin/sh
set -eu
out=
link=1
previous=
for arg in "$@"; do
  if [ "$previous" = -o ]; then out=$arg; fi
  case $arg in
    -c | -S | -E | -M | -MM | -shared) link=0 ;;
    -o?*) out=\${arg#-o} ;;
    @*) link=0 ;;
  esac
  previous=$arg
done
if [ "$link" = 0 ] || [ -z "$out" ]; then exec ${posixQuote(compiler)} "$@"; fi
${posixQuote(compiler)} "$@"${linkArgs.map((arg) => ` ${posixQuote(arg)}`).join('')}
mv -f -- "$out" "$out"${posixQuote(suffix)}
# The host's program takes no library: it may use the headers only.
for arg do
  shift
  case $arg in -l*) ;; *) set -- "$@" "$arg" ;; esac
done
# A program the host cannot build (a configure probe with the target's
# flags) still linked for the target: it only cannot run here, and says so if run.
if ! ${host.map(posixQuote).join(' ')} "$@" 2>/dev/null; then
  printf '#!/bin/sh\necho "%s was linked for another OS and cannot run here" >&2\nexit 1\n' "$out" > "$out"
  chmod +x -- "$out"
fi
`;
}

/**
 * The wrapper as CC, with the host's compilers as HOST_CC and HOST_CXX (cc-rs
 * compiles build scripts' own C code with them, not with the target's CC).
 * It lives in the cache under a key of its text: gmp-mpfr-sys keys its GMP
 * cache, and cc-rs its reruns, by CC's path, which must not change per run.
 */
export async function compileAndRunEnv(cacheDir: string, spec: CompileAndRun, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const script = compileAndRunScript(spec);
  const { dir } = await cachedDirectory(path.join(cacheDir, 'compile-and-run', cacheKey({ script })), async (target) => {
    await writeFile(path.join(target, spec.name), script);
    await chmod(path.join(target, spec.name), 0o755);
  });
  return { CC: path.join(dir, spec.name), HOST_CC: env.HOST_CC ?? 'cc', HOST_CXX: env.HOST_CXX ?? 'c++' };
}
