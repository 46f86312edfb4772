import type { Config } from '../config/types.js';
import type { Interpreter } from '../core/interpreters.js';
import type { ToolEnv, ToolName } from '../core/tools.js';
import type { GmpProvision, PlatformModule } from '../platforms/types.js';
import type { CargoGraph } from '../project/cargo-features.js';
import type { BuildBackend, ProjectFacts } from '../project/detect.js';
import type { BackendRoutes } from '../routes/backend-routes.js';
import type { CellContext } from '../routes/context.js';

/** What a wheel build of a cell is given. */
export interface WheelBuildInputs {
  readonly context: CellContext;
  readonly module: PlatformModule;
  readonly project: ProjectFacts;
  readonly gmp: GmpProvision;
  readonly tools: ToolEnv;
  /** The interpreters to build for: one for abi3, else every version of the cell. */
  readonly interpreters: readonly Interpreter[];
  readonly abi3: boolean;
  /** The project's resolved dependency graph for the target, read for a cross build. */
  readonly cargoGraph?: CargoGraph;
  /** Told of each wheel as soon as it is finished, while the next interpreter's is built: the caller may start repairing it. */
  readonly onWheel?: (wheel: string) => void;
}

/** The program a binary build made, and its package's version when project.binary.package names one. */
export interface BuiltProgram {
  readonly program: string;
  readonly version?: string;
}

/**
 * One way of building a project (maturin, any PEP 517 backend, cargo, make),
 * one module each: everything that depends on which it is lives behind this.
 */
export interface Backend {
  readonly name: BuildBackend;
  /** Which routes build its wheels and programs (the resolver's table). */
  readonly routes: BackendRoutes;
  /** The tools its wheel build runs from the tool environment. */
  readonly wheelTools: readonly ToolName[];
  /** The tools its sdist build runs, when it makes one. */
  readonly sdistTools?: readonly ToolName[];
  /**
   * Whether it compiles against each target interpreter's own headers and
   * sysconfig (PEP 517: a cross build needs the target's CPython), rather
   * than knowing the target's Pythons itself (maturin).
   */
  readonly compilesAgainstInterpreters: boolean;
  /** Whether the action caches its compiled builds (cargo target directories, one per interpreter) between non-release runs. */
  readonly cachesCompiledBuilds?: boolean;
  /** The cargo features a read of its resolved graph asks for, when it builds with cargo. */
  graphFeatureArgs?(config: Config): string[];
  /** Builds unrepaired wheels into a scratch directory and returns their paths. */
  buildWheels?(inputs: WheelBuildInputs): Promise<string[]>;
  /** Builds the source distribution into the empty directory `scratch`. */
  buildSdist?(context: CellContext, tools: ToolEnv, scratch: string): Promise<void>;
  /** Builds the program `name` for the cell's target. */
  readonly buildProgram?: (context: CellContext, module: PlatformModule, gmp: GmpProvision, name: string) => Promise<BuiltProgram>;
}
