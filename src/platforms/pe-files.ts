import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { CommandRunner } from '../core/process/runner.js';

// Reading Windows PE files with MinGW's objdump (`objdump -p`): what a DLL or
// program imports, and what a DLL exports.

/** Windows DLLs every Windows has (and python3*.dll, which the interpreter brings): never bundled. */
const SYSTEM_DLL =
  /^(?:kernel32|kernelbase|user32|gdi32|advapi32|shell32|ole32|oleaut32|ws2_32|msvcrt|ucrtbase|ntdll|bcrypt|crypt32|secur32|shlwapi|version|winmm|comctl32|comdlg32|userenv|iphlpapi|dbghelp|psapi|rpcrt4|setupapi|imm32|uxtheme|normaliz|bcryptprimitives|python3\d*|vcruntime140(?:_1)?|msvcp140)\.dll$|^(?:api|ext)-ms-win-/i;
export const isWindowsSystemDll = (name: string) => SYSTEM_DLL.test(name);

/** `DLL Name: libgmp-10.dll` lines of `objdump -p`: the PE import table. */
export function parsePeImports(objdumpOutput: string): string[] {
  return [...objdumpOutput.matchAll(/^\s*DLL Name:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
}

/** Names from the rows after a table's header line, up to the first line that is not a row. */
function tableRows(after: string | undefined, row: RegExp): string[] {
  const names: string[] = [];
  for (const line of (after ?? '').split('\n').slice(1)) {
    const match = row.exec(line);
    if (!match) break;
    if (match[1]) names.push(match[1]);
  }
  return names;
}

/**
 * The export names of a DLL, from `objdump -p`: GNU objdump's
 * `[Ordinal/Name Pointer] Table`, or llvm-objdump's (MSYS2's CLANG
 * environments) `Ordinal RVA Name` rows, where an export by ordinal only has
 * no name and a forwarded one says where to.
 */
export function parsePeExportNames(objdumpOutput: string): string[] {
  const gnu = objdumpOutput.split(/^\[Ordinal\/Name Pointer\] Table\s*$/m)[1];
  if (gnu !== undefined) return tableRows(gnu, /^\s*\[\s*\d+\]\s+(\S+)\s*$/);
  const llvm = objdumpOutput.split(/^\s*Ordinal\s+RVA\s+Name\s*$/m)[1];
  return tableRows(llvm, /^\s*\d+\s+(?:0x[0-9a-f]+)?\s*([^\s(]+)?(?:\s+\(forwarded to \S+\))?\s*$/i);
}

/**
 * Walks the PE import tables from `start`, recursively, and returns the
 * DLLs that must travel with it, with where they were found. A DLL that is
 * neither found nor a Windows system DLL is an error: the program could not
 * start on a clean Windows.
 */
export async function walkPeImports(runner: CommandRunner, objdump: string, start: string, searchDirs: readonly string[]): Promise<{ name: string; found: string }[]> {
  const needed: { name: string; found: string }[] = [];
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const { stdout } = await runner.run(objdump, ['-p', file], { quiet: true, purpose: 'reading the PE imports' });
    for (const dll of parsePeImports(stdout)) {
      const key = dll.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const found = searchDirs.map((dir) => path.join(dir, dll)).find((candidate) => existsSync(candidate));
      if (found) {
        needed.push({ name: dll, found });
        queue.push(found);
      } else if (!isWindowsSystemDll(dll)) {
        throw new UserError({
          key: 'binary',
          message: `${path.basename(file)} needs ${dll}, which is neither a Windows system DLL nor found in ${searchDirs.join(', ')}`,
          fix: 'check gmp.libraries and the MinGW toolchain',
        });
      }
    }
  }
  return needed;
}
