import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import patchesData from '../../matrix/gmp-patches.yml';
import { cachedDirectory, cacheKey } from '../core/cache.js';

/** A fix to one file of GMP's sources (matrix/gmp-patches.yml). */
export interface GmpPatch {
  /** The file it patches, relative to GMP's top directory. */
  readonly file: string;
  readonly sha256: string;
  readonly 'patched-sha256': string;
  /** A unified diff of that file, for `patch`. */
  readonly diff: string;
}

export const GMP_PATCHES = (patchesData as { patches: Record<string, GmpPatch> }).patches;

/** The fix zig's Mach-O linker needs in GMP's x86_64 assembly. */
export const MACHO_JRCXZ = GMP_PATCHES['macho-jrcxz']!;

/**
 * The wrapper's text. GMP turns each .asm file into assembly with `$M4 file`
 * from its mpn directory; a fat build's per-CPU file (`x86_64_add_n.asm`)
 * instead `include()`s the shared source by a relative path. Either way the
 * wrapper finds the patched file, checks its sha256, patches a copy and has
 * m4 read that. This reaches GMP wherever it is built: by the engine, or by
 * gmp-mpfr-sys from the sources in cargo's registry, which must not be
 * changed in place (its build links them into its build directory).
 */
export function asmPatchM4Script(patch: GmpPatch): string {
  const suffix = `/${patch.file}`;
  const pattern = suffix.replace(/[.]/g, '\\.');
  return `#!/bin/sh
# m4 for GMP's assembly, with the fix of ${patch.file} that zig's Mach-O
# linker needs (matrix/gmp-patches.yml, macho-jrcxz).
set -eu
sha() { sha256sum < "$1" | cut -d' ' -f1; }
last=
for arg do last=$arg; done
target=
included=
case $last in
  *.asm)
    if [ -f "$last" ]; then
      case $(readlink -f -- "$last") in
        *${suffix}) target=$last ;;
        *)
          included=$(sed -n 's|^include(\\(.*${pattern}\\))[[:space:]]*$|\\1|p' "$last")
          target=$included
          ;;
      esac
    fi
    ;;
esac
[ -n "$target" ] || exec m4 "$@"
sum=$(sha "$target")
[ "$sum" != ${patch['patched-sha256']} ] || exec m4 "$@"
if [ "$sum" != ${patch.sha256} ]; then
  echo "native-matrix: $target is not the ${patch.file} of GMP 6.2.1 or 6.3.0 (sha256 $sum, expected ${patch.sha256}): the fix zig's Mach-O linker needs (matrix/gmp-patches.yml) is made for that file; build GMP 6.3.0 (gmp.version), or set macos.build-on: macos" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
patch -s -o "$tmp/patched.asm" "$target" < "$(dirname -- "$0")/fix.diff"
if [ "$(sha "$tmp/patched.asm")" != ${patch['patched-sha256']} ]; then
  echo "native-matrix: patching $target gave a file of another sha256 than matrix/gmp-patches.yml names" >&2
  exit 1
fi
input=$tmp/patched.asm
if [ -n "$included" ]; then
  sed "s|^include(.*${pattern})|include($tmp/patched.asm)|" "$last" > "$tmp/top.asm"
  input=$tmp/top.asm
fi
n=$#
i=0
for arg do
  i=$((i + 1))
  shift
  [ "$i" != "$n" ] || arg=$input
  set -- "$@" "$arg"
done
m4 "$@"
`;
}

/** The m4 wrapper (and its diff) in the cache, under a key of their text: GMP's cache keys see a stable path. */
export async function asmPatchM4(cacheDir: string, patch: GmpPatch = MACHO_JRCXZ): Promise<string> {
  const { dir } = await cachedDirectory(path.join(cacheDir, 'gmp-m4', cacheKey({ patch })), async (target) => {
    await writeFile(path.join(target, 'fix.diff'), patch.diff);
    await writeFile(path.join(target, 'gmp-m4'), asmPatchM4Script(patch));
    await chmod(path.join(target, 'gmp-m4'), 0o755);
  });
  return path.join(dir, 'gmp-m4');
}
