import { existsSync } from 'node:fs';
import path from 'node:path';
import librariesData from '../../matrix/libraries.yml';
import { ZOD } from '../core/zod.js';

const LibrarySchema = ZOD.strictObject({
  files: ZOD.string(),
  licence: ZOD.string(),
  texts: ZOD.array(ZOD.string()),
  debian: ZOD.string().optional(),
  'common-licenses': ZOD.array(ZOD.string()),
  msys2: ZOD.string().optional(),
  purl: ZOD.string(),
});

/** A library of the catalog (matrix/libraries.yml). */
export interface KnownLibrary {
  readonly id: string;
  readonly files: RegExp;
  /** SPDX expression. */
  readonly licence: string;
  /** Licence files of its source tree. */
  readonly texts: readonly string[];
  /** Debian's binary package of the library. */
  readonly debian?: string;
  readonly commonLicenses: readonly string[];
  readonly msys2?: string;
  readonly purl: string;
}

export const LIBRARIES: ReadonlyMap<string, KnownLibrary> = new Map(
  Object.entries(ZOD.strictObject({ libraries: ZOD.record(ZOD.string(), LibrarySchema) }).parse(librariesData).libraries).map(([id, entry]) => [
    id,
    { id, files: new RegExp(entry.files), licence: entry.licence, texts: entry.texts, debian: entry.debian, commonLicenses: entry['common-licenses'], msys2: entry.msys2, purl: entry.purl },
  ]),
);

/** The library a bundled file (its base name, whatever its directory) belongs to, if the catalog knows it. */
export function libraryOfFile(fileName: string): KnownLibrary | undefined {
  const base = fileName.split(/[\\/]/).pop()!;
  return [...LIBRARIES.values()].find((library) => library.files.test(base));
}

/** One licence text of a library: its name as carried, and where it is read from. */
export interface LicenceText {
  readonly name: string;
  readonly path: string;
}

/** Where a provision found a library: its version and its licence texts. */
export interface LicenceSource {
  readonly version?: string;
  readonly texts: readonly LicenceText[];
}

/** The texts of `names` that exist in `dir`, in the catalog's order. */
export function textsIn(dir: string, names: readonly string[]): LicenceText[] {
  return names.map((name) => ({ name, path: path.join(dir, name) })).filter((text) => existsSync(text.path));
}

/** A library a wheel or archive carries, as the manifest records it. */
export interface BundledLibrary {
  /** The catalog's id (`gmp`), or the file's own name when the catalog does not know it. */
  readonly name: string;
  readonly version?: string;
  /** SPDX expression, or `unknown`. */
  readonly licence: string;
  /** `shared`: the files listed travel beside the extension; `static`: linked into it. */
  readonly linkage: 'shared' | 'static';
  /** Its files as the wheel or archive carries them (none when linked statically). */
  readonly files: readonly string[];
  /** Its licence texts' paths inside the wheel or archive. */
  readonly licenseFiles: readonly string[];
}

/** A library with the texts still to be copied in: `licenseFiles` are filled in by whoever places them. */
export interface ResolvedLibrary extends Omit<BundledLibrary, 'licenseFiles'> {
  readonly texts: readonly LicenceText[];
  readonly purl?: string;
}

/**
 * The libraries behind `bundledFiles` (names as the repair or bundling step
 * reported them) and those linked statically, with the version and licence
 * texts the provision found. Unknown files and missing texts are warnings:
 * what is carried is always reported, never dropped.
 */
export function resolveLibraries(
  bundledFiles: readonly string[],
  sources: Readonly<Record<string, LicenceSource>>,
  staticLibraries: readonly { readonly id: string; readonly source: LicenceSource }[] = [],
): { libraries: ResolvedLibrary[]; warnings: string[] } {
  const warnings: string[] = [];
  const shared = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const file of bundledFiles) {
    const known = libraryOfFile(file);
    if (known) shared.set(known.id, [...(shared.get(known.id) ?? []), file]);
    else unknown.push(file);
  }
  const describe = (id: string, linkage: 'shared' | 'static', files: readonly string[], source: LicenceSource | undefined): ResolvedLibrary => {
    const known = LIBRARIES.get(id)!;
    if (!source || source.texts.length === 0) warnings.push(`${files.join(', ') || `${id} (linked statically)`}: ${id}'s licence texts were not found where it came from; it is carried without them`);
    return {
      name: id,
      ...(source?.version ? { version: source.version } : {}),
      licence: known.licence,
      linkage,
      files: [...files].sort(),
      texts: source?.texts ?? [],
      ...(source?.version ? { purl: `${known.purl}@${source.version}` } : {}),
    };
  };
  const libraries = [
    ...[...shared].map(([id, files]) => describe(id, 'shared', files, sources[id])),
    ...staticLibraries.filter((s) => !shared.has(s.id)).map((s) => describe(s.id, 'static', [], s.source)),
    ...unknown.map((file): ResolvedLibrary => {
      warnings.push(`${file} is carried, but native-matrix does not know which library it is or its licence: check that its licence allows that, and add its texts yourself`);
      return { name: file, licence: 'unknown', linkage: 'shared', files: [file], texts: [] };
    }),
  ];
  return { libraries: libraries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), warnings };
}
