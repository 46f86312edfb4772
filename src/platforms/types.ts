import type { Interpreter } from '../core/interpreters.js';
import type { LicenceSource } from '../catalog/libraries.js';
import type { ToolEnv, ToolName } from '../core/tools.js';
import type { CargoGraph } from '../project/cargo-features.js';
import type { CellContext } from '../routes/context.js';

/** What the backend asks of the cell's interpreters. */
export interface InterpreterNeeds {
  /** It compiles against each target interpreter's own headers and sysconfig (PEP 517), so a cross build needs the target's CPython of every version. */
  readonly compilesAgainstInterpreters: boolean;
}

/** The interpreter that runs pip to build a wheel, and variables it needs (undefined removes one). */
export interface WheelBuilder {
  readonly python: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What a wheel is built for, beyond its interpreter. */
export interface WheelBuildFor {
  readonly abi3: boolean;
  readonly gmp?: GmpProvision;
}

/** A maturin build of a cell: the versions it builds for, and the project's resolved graph when the build is a cross build. */
export interface MaturinBuild {
  readonly versions: readonly string[];
  readonly abi3: boolean;
  readonly graph?: CargoGraph;
}

/** Where the GMP family came from and how compilers and loaders find it. */
export interface GmpProvision {
  readonly source: 'system' | 'build';
  /** Variables for compilers, cargo and the repair tool. */
  readonly env: Readonly<Record<string, string>>;
  /** Directories the repair tool should search for the shared libraries. */
  readonly libDirs: readonly string[];
  /** Whether a from-source build came from the cache. */
  readonly cacheHit?: boolean;
  /** The platform tag the toolchain builds for, when it targets other than the host (`manylinux_2_17_x86_64`). */
  readonly compatibility?: string;
  /** Directories rustc's linker must search for the GMP family (zig searches no system directory); added to the rustflags cargo uses. */
  readonly rustLinkDirs?: readonly string[];
  /** Directories of static libraries only, for the linker alone (not rustc's search path, where they would replace a crate's own bundled build). */
  readonly linkerLibDirs?: readonly string[];
  /** Variables for cargo and maturin builds only, over `env`: the C compiler that build scripts compile and run test programs with. */
  readonly cargoEnv?: Readonly<Record<string, string>>;
  /** How cargo builds a program, when not `cargo build --target <the platform's>` (cargo-zigbuild for an older glibc). */
  readonly cargo?: { readonly file: string; readonly subcommand: string; readonly target: string };
  /** Whether the GMP family exists only as static libraries (macOS built on Linux), so whatever links it carries it. */
  readonly linksStatically?: boolean;
  /** By library id (matrix/libraries.yml): the version and licence texts of what a wheel or program may carry from this provision (the GMP family, a toolchain's runtime). */
  readonly licences?: Readonly<Record<string, LicenceSource>>;
}

/** What the repair check found in a wheel. */
export interface WheelCheck {
  /** Libraries that the wheel carries. */
  readonly bundled: readonly string[];
  /** The wheel's platform tags. */
  readonly platformTags: readonly string[];
}

/**
 * The OS-specific half of a build, one module per OS (linux.ts, macos.ts,
 * windows.ts), chosen in platforms/index.ts: nothing else branches on the OS.
 */
export interface PlatformModule {
  /**
   * The cell's interpreters on this host: found on the machine, or (for a
   * cross build) provided for the cell's arch. Throws CannotBuildHereError
   * when the host has no way to provide them (the cell is then skipped by
   * `run`), a plain UserError when one is merely not installed.
   */
  findInterpreters(context: CellContext, versions: readonly string[], build: InterpreterNeeds): Promise<Interpreter[]>;
  /** What builds a PEP 517 project's wheel for `interpreter`: itself, or a cross-building stand-in (which may link differently for abi3, and find the GMP family through `gmp`). */
  wheelBuilder(context: CellContext, interpreter: Interpreter, build?: WheelBuildFor): Promise<WheelBuilder>;
  /** The tools this platform's wheels need (beyond the backend's). */
  readonly repairTools: readonly ToolName[];
  /** The tools the cell's compilers need, for wheels and binaries alike (zig for an older glibc). */
  toolchainTools?(context: CellContext): readonly ToolName[];
  /**
   * Variables a PEP 517 build needs on top of GMP's when the target's C
   * compiler is not the one GMP was built with (MSVC on a Windows runner):
   * where it finds the GMP family's headers and import libraries.
   */
  pep517Env?(context: CellContext, gmp: GmpProvision): Promise<Readonly<Record<string, string>>>;
  /** Provides GMP, and the cell's compilers with it; `tools` holds the toolchainTools when there are any. */
  provisionGmp(context: CellContext, tools?: ToolEnv): Promise<GmpProvision>;
  /** Repairs `wheel` into `outDir` so that GMP travels inside; returns the repaired wheel's path. */
  repairWheel(context: CellContext, wheel: string, outDir: string, gmp: GmpProvision, tools: ToolEnv): Promise<string>;
  /** Proves a repaired wheel needs nothing outside itself but the platform's allowed system libraries. */
  checkWheel(context: CellContext, wheel: string, tools: ToolEnv): Promise<WheelCheck>;
  /**
   * Copies the shared libraries a built program needs (and the system does
   * not provide) next to it in `stageDir`, and points the program at them.
   * Returns the names of the libraries bundled.
   */
  bundleProgram(context: CellContext, program: string, stageDir: string, gmp: GmpProvision): Promise<string[]>;
  /** Why nothing built for the cell runs on this host (its wheels are imported, its programs run, elsewhere), when so. */
  notRunHere?(context: CellContext): string | undefined;
  /** Checks a program archive as the target would load it, where it cannot be run here. */
  checkProgramArchive?(context: CellContext, archive: string, tools: ToolEnv | undefined): Promise<void>;
  /** The C compiler for programs built with make (a cross compiler when the host differs). */
  cCompiler(context: CellContext, gmp?: GmpProvision): string;
  /** `.tar.gz` or `.zip`: how programs for this platform are packaged. */
  readonly archiveFormat: 'tar.gz' | 'zip';
  /** How to run a built program here (natively, or under wine for a Windows build on Linux). */
  programCommand(context: CellContext, program: string, args: readonly string[]): { file: string; args: readonly string[]; env: Readonly<Record<string, string>> };
  /** The file name of a program: `name` or `name.exe`. */
  programFile(name: string): string;
}
