import type { SourceLocation } from '../core/errors.js';
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
    /** `package`: the cargo workspace package the binary belongs to. */
    readonly binary?: { readonly name?: string; readonly smoke: readonly string[]; readonly package?: string };
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
    /** An `sdist` cell: the source distribution, proven by building and importing a wheel from it. */
    readonly sdist: boolean;
    /** Whether a publishing event also goes to PyPI (the workflows' `pypi` job). */
    readonly pypi: boolean;
    readonly name?: string;
    readonly notes?: string;
    /** Whether a published release's assets may get other bytes. */
    readonly replace: boolean;
    /** Whether assets of a published release that a run does not produce are removed. */
    readonly prune: boolean;
    /** auto: a pre-release when the tag has a pre-release marker. */
    readonly prerelease: 'auto' | boolean;
    /** auto: Latest only when the tag is the highest version released. */
    readonly latest: 'auto' | boolean;
  };
  readonly windows: {
    /** Where windows-x86_64 cells are built: on a Windows runner, or cross-built on a Linux one. */
    readonly buildOn: 'windows' | 'linux';
  };
  readonly macos: {
    /** Where macOS cells are built: on a Mac runner, or cross-built with zig on a Linux one. */
    readonly buildOn: 'macos' | 'linux';
  };
  /** `build`, `test` and `overrides`: resolve them for a platform with settingsFor (config/overrides.ts). */
  readonly build: BuildSettings;
  readonly test?: TestSettings;
  readonly overrides: readonly Override[];
  readonly linux: {
    /** The glibc Linux files are built for (`2_17`: manylinux_2_17), or `host`: the build machine's. */
    readonly manylinux: Manylinux;
  };
  readonly metadata: {
    /** Whether a metadata warning (which PyPI accepts: no readme) fails the cell too. */
    readonly strict: boolean;
  };
  /** Location of a key path in the config file, when there is one. */
  locate(keyPath: readonly (string | number)[]): SourceLocation | undefined;
}

/** Settings of every build step: the user's environment, commands and backend arguments. */
export interface BuildSettings {
  /** In the order written; a value may use `$NAME` / `${NAME}` of the environment before it. */
  readonly environment: Readonly<Record<string, string>>;
  /** Shell commands run in the project directory before each wheel build. */
  readonly beforeBuild: readonly string[];
  /** Extra arguments for maturin, cargo or pip wheel. */
  readonly args: readonly string[];
}

/** The project's own tests, run in every Python of a cell against the installed wheel. */
export interface TestSettings {
  readonly requires: readonly string[];
  /** Shell commands (a list runs as one, joined by &&); placeholders {project}, {wheel}, {python}. */
  readonly command?: string;
  /** Paths relative to the project, copied into the directory the command runs in. */
  readonly sources: readonly string[];
}

/** An `overrides` entry: what changes on its platforms; a key it sets replaces the base (environment merges by variable). */
export interface Override {
  readonly platforms: readonly string[];
  readonly build?: Partial<BuildSettings>;
  readonly test?: Partial<TestSettings>;
}
