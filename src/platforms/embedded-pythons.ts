import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Where a machine keeps CPythons for platforms it cannot install one for
 * (python-build-standalone distributions, as scripts/install-deps.sh extracts
 * them): `<root>/<platform>-<version>/`, e.g. `windows-x86_64-3.14/python.exe`
 * (run under wine) or `linux-aarch64-3.14/bin/python3.14` (under qemu-user).
 */
export const EMBEDDED_PYTHONS_VARIABLE = 'NATIVE_MATRIX_PYTHONS';

/** The interpreter of `version` for `platformId` under the embedded-Pythons root, when there is one. */
export function embeddedPython(env: NodeJS.ProcessEnv, platformId: string, version: string): string | undefined {
  // The Windows-only name this variable had before, still honoured.
  const root = env[EMBEDDED_PYTHONS_VARIABLE] ?? (platformId.startsWith('windows-') ? env.NATIVE_MATRIX_WINDOWS_PYTHONS : undefined);
  if (!root || version.endsWith('t')) return undefined;
  const dir = path.join(root, `${platformId}-${version}`);
  const executable = platformId.startsWith('windows-') ? path.join(dir, 'python.exe') : path.join(dir, 'bin', `python${version}`);
  return existsSync(executable) ? executable : undefined;
}

/** How a user points native-matrix at such interpreters, for the fix of a "not smoke-tested here" warning. */
export const embeddedPythonHint = (platformId: string): string =>
  `put a python-build-standalone CPython at $${EMBEDDED_PYTHONS_VARIABLE}/${platformId}-<version>/ (scripts/install-deps.sh extracts Windows 3.10, 3.11 and 3.14, Linux x86_64 3.14 and Linux arm64 3.10, 3.11 and 3.14 into .cache/python)`;
