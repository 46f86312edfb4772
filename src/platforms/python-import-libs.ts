import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { CargoGraph } from '../project/cargo-features.js';
import { cachedDirectory, cacheKey } from '../core/cache.js';
import { sha256File } from '../core/hashing.js';
import { EMBEDDED_PYTHONS_VARIABLE, embeddedPython, embeddedPythonHint } from './embedded-pythons.js';
import type { MaturinBuild } from './types.js';
import type { CellContext } from '../routes/context.js';
import { parsePeExportNames } from './pe-files.js';

// A Windows extension module links the Python DLL: python3.dll (the stable
// ABI) or python3XY.dll. Cross-building without a Windows interpreter, PyO3
// needs that DLL's import library: PyO3 0.29+ links with raw-dylib and needs
// none, older PyO3 makes one only with its generate-import-lib feature
// (python3-dll-a, with export lists of its own). Without it, maturin stops
// ("compiling for Windows without an interpreter requires PyO3's
// generate-import-lib feature"). The engine has what is missing: the
// Windows CPythons it smoke-tests with carry the DLLs, whose export tables
// give the import libraries (dlltool).

/** PyO3 0.29 links the Python DLL with raw-dylib: no import library at all. */
const RAW_DYLIB_SINCE: readonly [number, number] = [0, 29];

/** Whether a cross build must provide the Python import library: PyO3 older than 0.29 without generate-import-lib. */
export function pyo3NeedsImportLibrary(pyo3: CargoGraph['pyo3']): boolean {
  if (!pyo3 || pyo3.generatesImportLib) return false;
  const [major = 0, minor = 0] = pyo3.version.split('.').map(Number);
  return major < RAW_DYLIB_SINCE[0] || (major === RAW_DYLIB_SINCE[0] && minor < RAW_DYLIB_SINCE[1]);
}

/**
 * The DLL an extension links and the names GNU ld finds its import library
 * by: PyO3 asks for `-lpython3` for abi3, and for one version `-lpython3.12`
 * on windows-gnu (MinGW's own name; older PyO3 asked for `-lpython312`).
 */
export function importLibrariesFor(version: string, abi3: boolean): { dll: string; libraries: string[] } {
  if (abi3) return { dll: 'python3.dll', libraries: ['libpython3.dll.a'] };
  const [major, minor] = version.split('.');
  return { dll: `python${major}${minor}.dll`, libraries: [`libpython${major}.${minor}.dll.a`, `libpython${major}${minor}.dll.a`] };
}

/** A module-definition file naming every export: `__imp_` references (PyO3's statics, dllimport) then bind to the DLL's data too. */
export const moduleDefinition = (dll: string, names: readonly string[]) => `LIBRARY ${dll}\nEXPORTS\n${names.map((name) => `${name}\n`).join('')}`;

/** Versions of the Windows CPythons under the embedded-Pythons root, newest first. */
function embeddedVersions(env: NodeJS.ProcessEnv, platformId: string): string[] {
  const root = env[EMBEDDED_PYTHONS_VARIABLE];
  if (!root) return [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const versions = names.flatMap((name) => (name.startsWith(`${platformId}-`) ? [name.slice(platformId.length + 1)] : []));
  return versions.filter((v) => /^\d+\.\d+$/.test(v) && embeddedPython(env, platformId, v)).sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1]));
}

/**
 * The directory of import libraries a cross build links the Python DLL
 * through, made with `dlltool` from a Windows CPython's DLLs and cached by
 * their sha256. For abi3, any version's python3.dll serves (the stable ABI
 * only grows; abi3audit holds the wheel to its floor), the floor's when it is
 * here; otherwise each version needs its own CPython here.
 */
export async function pythonImportLibraries(
  context: CellContext,
  dlltool: string,
  objdump: string,
  versions: readonly string[],
  abi3: boolean,
  /** What else would do without the Windows CPython (PyO3's own import libraries), for the error's fix. */
  otherwise = '',
): Promise<{ dir: string; from: string[] }> {
  const { platform, env } = context;
  // abi3: the floor's own python3.dll when it is here (linking then refuses a
  // newer symbol too), else the newest.
  const abi3Source = embeddedPython(env, platform.id, versions[0]!) ? versions[0]! : (embeddedVersions(env, platform.id)[0] ?? versions[0]!);
  const sources = (abi3 ? [abi3Source] : versions).map((version) => {
    const python = embeddedPython(env, platform.id, version);
    const wanted = importLibrariesFor(version, abi3);
    if (!python) {
      throw new UserError({
        key: `platform ${platform.id}`,
        message: `building for Python ${abi3 ? `${version} (abi3)` : version} here links ${wanted.dll} through an import library, which native-matrix makes from a Windows CPython${abi3 ? '' : ` ${version}`}: none found`,
        fix: `${embeddedPythonHint(platform.id)}, ${otherwise ? `or ${otherwise}, ` : ''}or build this cell on ${platform.runner}`,
      });
    }
    return { version, file: path.join(path.dirname(python), wanted.dll), ...wanted };
  });
  const digests = await Promise.all(sources.map(async (s) => ({ dll: s.dll, libraries: s.libraries, sha256: await sha256File(s.file) })));
  const { dir } = await cachedDirectory(path.join(context.cacheDir, 'python-import-libs', cacheKey({ digests, dlltool })), async (dir) => {
    for (const source of sources) {
      const { stdout } = await context.runner.run(objdump, ['-p', source.file], { quiet: true, purpose: `reading the exports of ${source.dll}` });
      const names = parsePeExportNames(stdout);
      if (names.length === 0) throw new Error(`${source.file} exports nothing that objdump shows`);
      const def = path.join(dir, `${path.basename(source.dll, '.dll')}.def`);
      await writeFile(def, moduleDefinition(source.dll, names));
      for (const library of source.libraries) {
        await context.runner.run(dlltool, ['--input-def', def, '--dllname', source.dll, '--output-lib', path.join(dir, library)], { purpose: `making ${library} for ${source.dll}` });
      }
    }
  });
  return { dir, from: sources.map((s) => `${s.dll} of Windows CPython ${s.version}`) };
}

/**
 * What a maturin build cross-built on Linux for Windows needs when its PyO3
 * makes no import library: the import libraries on rustc's search path
 * (which every PyO3 links through), and for abi3 PYO3_CROSS_LIB_DIR, which
 * lets maturin build without an interpreter (for other builds it would read
 * sysconfig data there, which a Windows CPython has none of).
 */
export async function crossPythonImportLibraries(context: CellContext, { versions, abi3, graph }: MaturinBuild, triple: string): Promise<{ env: Record<string, string>; rustLinkDirs: string[] }> {
  if (!pyo3NeedsImportLibrary(graph?.pyo3)) return { env: {}, rustLinkDirs: [] };
  const made = await pythonImportLibraries(
    context,
    `${triple}-dlltool`,
    `${triple}-objdump`,
    versions,
    abi3,
    "turn on PyO3's generate-import-lib feature (PyO3 older than 0.29 makes none without it)",
  );
  context.reporter.info(`PyO3 ${graph!.pyo3!.version} makes no Python import library without its generate-import-lib feature: linking through ${made.from.join(', ')} (${made.dir})`);
  const env: Record<string, string> = abi3 ? { PYO3_CROSS_LIB_DIR: made.dir } : {};
  return { env, rustLinkDirs: [made.dir] };
}
