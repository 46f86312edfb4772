import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareVersions } from '../core/versions.js';
import { readZip } from '../core/archive.js';
import type { BundledLibrary, ResolvedLibrary } from '../catalog/libraries.js';
import { BUNDLED_SBOM, bundledSbom, type SbomSubject } from './bundled-sbom.js';
import { rewriteWheel } from '../core/wheel-record.js';

/**
 * The directory of the bundled libraries' texts under a wheel's
 * `.dist-info/licenses/` (PEP 639), one directory per library below it: a
 * name of its own, so that they never meet the project's own licence files
 * (a `COPYING` of its own), which PEP 639 puts there by their project paths.
 */
export const BUNDLED_LICENSES = 'native-matrix-bundled';

/**
 * METADATA with a `License-File:` line for each of `files` (relative to
 * `.dist-info/licenses/`), when its Metadata-Version is 2.4 or newer, which
 * defines the field; undefined for an older one, which must stay as it is
 * (PyPI and twine refuse a 2.4 field in older metadata).
 */
export function withLicenseFiles(metadata: string, files: readonly string[]): string | undefined {
  const version = /^Metadata-Version:\s*(\S+)\s*$/im.exec(metadata)?.[1];
  if (!version || compareVersions(version, '2.4') < 0) return undefined;
  const end = metadata.search(/\r?\n\r?\n/);
  const headers = end >= 0 ? metadata.slice(0, end) : metadata.replace(/\r?\n$/, '');
  const listed = new Set([...headers.matchAll(/^License-File:\s*(.+?)\s*$/gim)].map((m) => m[1]));
  const lines = files.filter((file) => !listed.has(file)).map((file) => `License-File: ${file}`);
  if (lines.length === 0) return metadata;
  const rest = end >= 0 ? metadata.slice(end) : '\n';
  return `${headers}\n${lines.join('\n')}${rest}`;
}

/** Each library's texts as `<dir>/<library>/<text>`. */
const placements = (libraries: readonly ResolvedLibrary[], dir: string) =>
  new Map(libraries.map((library) => [library, library.texts.map((text) => ({ text, at: `${dir}/${library.name}/${text.name}` }))]));

const recorded = (libraries: readonly ResolvedLibrary[], placed: ReturnType<typeof placements>): BundledLibrary[] =>
  libraries.map((library) => {
    const { texts: _texts, purl: _purl, ...rest } = library;
    return { ...rest, licenseFiles: placed.get(library)?.map((p) => p.at) ?? [] };
  });

/**
 * Puts the licence texts of the libraries a repaired wheel carries into its
 * `.dist-info/licenses/native-matrix-bundled/<library>/`, a CycloneDX SBOM
 * of them into `.dist-info/sboms/` (PEP 770), `License-File:` lines into a
 * METADATA of version 2.4 or newer, and RECORD to match, reproducibly. A
 * wheel that carries nothing is left as it is.
 */
export async function addWheelLicences(wheel: string, libraries: readonly ResolvedLibrary[], subject: SbomSubject): Promise<BundledLibrary[]> {
  if (libraries.length === 0) return [];
  const distInfo = (await readZip(wheel, (name) => /^[^/]+\.dist-info\/METADATA$/.test(name))).find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
  if (!distInfo) throw new Error(`${path.basename(wheel)} has no .dist-info/METADATA`);
  const dir = distInfo.name.slice(0, distInfo.name.indexOf('/'));
  const placed = placements(libraries, `${dir}/licenses/${BUNDLED_LICENSES}`);
  const changed = new Map<string, Buffer>();
  for (const list of placed.values()) for (const { text, at } of list) changed.set(at, await readFile(text.path));
  changed.set(
    `${dir}/sboms/${BUNDLED_SBOM}`,
    Buffer.from(
      bundledSbom(subject, libraries, (library) => placed.get(library)!.map((p) => p.at)),
      'utf8',
    ),
  );
  const licenseFiles = [...placed.values()].flat().map(({ at }) => at.slice(`${dir}/licenses/`.length));
  const metadata = withLicenseFiles(distInfo.data.toString('utf8'), licenseFiles);
  if (metadata !== undefined && metadata !== distInfo.data.toString('utf8')) changed.set(distInfo.name, Buffer.from(metadata, 'utf8'));
  await rewriteWheel(wheel, changed, subject.epochSeconds);
  return recorded(libraries, placed);
}

/**
 * Copies the licence texts of the libraries a program's archive carries
 * into its staging directory `stageDir` (the archive's top, `stem`) as
 * `licenses/<library>/`, with the CycloneDX SBOM beside them.
 */
export async function stageArchiveLicences(stageDir: string, stem: string, libraries: readonly ResolvedLibrary[], subject: SbomSubject): Promise<BundledLibrary[]> {
  if (libraries.length === 0) return [];
  const placed = placements(libraries, `${stem}/licenses`);
  for (const list of placed.values()) {
    for (const { text, at } of list) {
      const target = path.join(path.dirname(stageDir), ...at.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(text.path, target);
    }
  }
  await mkdir(path.join(stageDir, 'licenses'), { recursive: true });
  await writeFile(
    path.join(stageDir, 'licenses', BUNDLED_SBOM),
    bundledSbom(subject, libraries, (library) => placed.get(library)!.map((p) => p.at)),
  );
  return recorded(libraries, placed);
}
