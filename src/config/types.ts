import type { SourceLocation } from '../errors.js';
import type { GMP_LIBRARIES, MANYLINUX_CHOICES } from './schema.js';

export type GmpLibrary = (typeof GMP_LIBRARIES)[number];
export type ProjectKind = 'wheel' | 'binary' | 'both';
export type Backend = 'auto' | 'maturin' | 'setuptools' | 'cargo';
export type Manylinux = (typeof MANYLINUX_CHOICES)[number];

export interface ExcludeRule {
  readonly platform?: string;
  readonly python?: string;
  /** Where the rule is written, for the warning when it matches nothing. */
  readonly location?: SourceLocation;
}

/** A validated config with every default filled in. Frozen. */
export interface Config {
  /** The config file, or undefined when the project has none and runs on defaults. */
  readonly file?: string;
  /** The working directory (project root) that the config's relative paths start from. */
  readonly baseDir: string;
  readonly project: {
    /** Absolute path of the project (where pyproject.toml / Cargo.toml is). */
    readonly dir: string;
    readonly kind: ProjectKind;
    readonly backend: Backend;
    readonly import?: string;
    readonly smoke: readonly string[];
    readonly features: readonly string[];
    readonly defaultFeatures: boolean;
    readonly binary?: { readonly name?: string; readonly smoke: readonly string[] };
  };
  readonly gmp: {
    readonly source: 'system' | 'build';
    readonly version: string;
    readonly libraries: readonly GmpLibrary[];
    readonly tarballs: Partial<Record<GmpLibrary, { readonly url: string; readonly sha256: string }>>;
  };
  readonly matrix: {
    /** Expanded platform ids; undefined means the catalog's default selection. */
    readonly platforms?: readonly string[];
    /** Python versions; undefined means the catalog's default selection. */
    readonly python?: readonly string[];
    readonly abi3: 'auto' | boolean;
    readonly split: 'platform' | 'python';
    readonly exclude: readonly ExcludeRule[];
  };
  readonly publish: {
    readonly release: 'on-tag' | 'on-dispatch' | 'both' | 'never';
    readonly checksums: boolean;
    readonly draft: boolean;
    readonly name?: string;
    readonly notes?: string;
  };
  readonly linux: {
    /** The glibc Linux files are built for (`2_17`: manylinux_2_17), or `host`: the build machine's. */
    readonly manylinux: Manylinux;
  };
  /** Location of a key path in the config file, when there is one. */
  locate(keyPath: readonly (string | number)[]): SourceLocation | undefined;
}
