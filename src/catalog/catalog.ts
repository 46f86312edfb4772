import type { z } from 'zod';
import { ZOD } from '../core/zod.js';
import platformsData from '../../matrix/platforms.yml';
import pythonData from '../../matrix/python.yml';
import presetsData from '../../matrix/presets.yml';

const OsSchema = ZOD.enum(['linux', 'macos', 'windows']);
export type Os = z.infer<typeof OsSchema>;

const PlatformSchema = ZOD.strictObject({
  os: OsSchema,
  arch: ZOD.enum(['x86_64', 'aarch64']),
  runner: ZOD.string(),
  target: ZOD.string(),
  'wheel-tag': ZOD.string(),
  'deployment-target': ZOD.string().optional(),
  msys2: ZOD.strictObject({
    root: ZOD.string(),
    environment: ZOD.string(),
    prefix: ZOD.string(),
    /** The environment for C extensions built by MSVC, when not the same (one that links the UCRT, as CPython does). */
    msvc: ZOD.strictObject({ environment: ZOD.string(), prefix: ZOD.string() }).optional(),
  }).optional(),
  repair: ZOD.enum(['auditwheel', 'delocate', 'delvewheel']),
  minutes: ZOD.strictObject({ build: ZOD.number(), smoke: ZOD.number() }),
  experimental: ZOD.boolean().default(false),
});

const PythonSchema = ZOD.strictObject({
  'end-of-life': ZOD.union([ZOD.string(), ZOD.date()]).transform((d) => new Date(d).toISOString().slice(0, 10)),
  default: ZOD.boolean().default(false),
  'free-threaded': ZOD.boolean().default(false),
});

const CatalogFileSchemas = {
  platforms: ZOD.strictObject({
    platforms: ZOD.record(ZOD.string(), PlatformSchema),
    'minute-multipliers': ZOD.record(OsSchema, ZOD.number()),
  }),
  python: ZOD.strictObject({ python: ZOD.record(ZOD.string(), PythonSchema) }),
  presets: ZOD.strictObject({ presets: ZOD.record(ZOD.string(), ZOD.array(ZOD.string())) }),
};

export interface Platform extends z.infer<typeof PlatformSchema> {
  readonly id: string;
}

export interface PythonVersion {
  /** As written in the catalog and understood by actions/setup-python: `3.13`, `3.13t`. */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  readonly freeThreaded: boolean;
  /** ISO date. */
  readonly endOfLife: string;
  readonly isDefault: boolean;
}

export interface Catalog {
  readonly platforms: ReadonlyMap<string, Platform>;
  readonly pythons: ReadonlyMap<string, PythonVersion>;
  readonly presets: ReadonlyMap<string, readonly string[]>;
  readonly minuteMultipliers: Readonly<Record<Os, number>>;
}

/** Orders Python versions numerically, a free-threaded build after its GIL twin. */
export function comparePythons(a: PythonVersion, b: PythonVersion): number {
  return a.major - b.major || a.minor - b.minor || Number(a.freeThreaded) - Number(b.freeThreaded);
}

/** Checks the catalog files' data (as parsed from matrix/*.yml) and indexes it. */
export function parseCatalog(files: { platforms: unknown; python: unknown; presets: unknown }): Catalog {
  const platformsFile = CatalogFileSchemas.platforms.parse(files.platforms);
  const pythonFile = CatalogFileSchemas.python.parse(files.python);
  const presetsFile = CatalogFileSchemas.presets.parse(files.presets);

  const platforms = new Map<string, Platform>();
  for (const [id, platform] of Object.entries(platformsFile.platforms)) {
    platforms.set(id, Object.freeze({ id, ...platform }));
  }

  const pythons: PythonVersion[] = Object.entries(pythonFile.python).map(([version, entry]) => {
    const match = /^(\d+)\.(\d+)(t?)$/.exec(version);
    if (!match) throw new Error(`matrix/python.yml: malformed version "${version}"`);
    const freeThreaded = match[3] === 't';
    if (freeThreaded !== entry['free-threaded']) {
      throw new Error(`matrix/python.yml: "${version}" must be marked free-threaded exactly when it ends in "t"`);
    }
    return Object.freeze({
      version,
      major: Number(match[1]),
      minor: Number(match[2]),
      freeThreaded,
      endOfLife: entry['end-of-life'],
      isDefault: entry.default,
    });
  });
  pythons.sort(comparePythons);

  const presets = new Map<string, readonly string[]>();
  for (const [name, ids] of Object.entries(presetsFile.presets)) {
    for (const id of ids) {
      if (!platforms.has(id)) throw new Error(`matrix/presets.yml: preset ${name} names unknown platform ${id}`);
    }
    presets.set(name, Object.freeze([...ids]));
  }

  return Object.freeze({
    platforms,
    pythons: new Map(pythons.map((p) => [p.version, p])),
    presets,
    minuteMultipliers: Object.freeze(platformsFile['minute-multipliers']),
  });
}

let cached: Catalog | undefined;

/** The catalog shipped in `matrix/`, parsed once. */
export function loadCatalog(): Catalog {
  cached ??= parseCatalog({ platforms: platformsData, python: pythonData, presets: presetsData });
  return cached;
}
