import type { Os } from '../catalog/catalog.js';
import type { Problem } from '../core/errors.js';

/**
 * One matrix entry, as it appears in `{"include":[…]}` and reaches the build
 * job through `${{ toJSON(matrix) }}`.
 */
export interface Cell {
  /** Stable and readable: `linux-x86_64-abi3`, `macos-arm64-cp313t`. */
  readonly id: string;
  readonly platform: string;
  readonly os: Os;
  readonly arch: string;
  readonly runner: string;
  readonly target: string;
  /** The Python versions this cell builds or tests, newline-separated (actions/setup-python's format). */
  readonly python: string;
  readonly abi3: boolean;
  /** Whether this cell builds wheels and/or the binary. */
  readonly wheel: boolean;
  readonly binary: boolean;
  /** Experimental platforms: the workflow lets them fail (continue-on-error). */
  readonly experimental: boolean;
  /**
   * For a cell cross-built on another OS's runner (windows.build-on or macos.build-on: linux):
   * the runner of its own OS where the workflow installs and imports the wheels.
   */
  readonly verify?: string;
  /** The `sdist` cell: builds the source distribution and proves it by a wheel built from it. */
  readonly sdist?: true;
}

export interface Plan {
  readonly cells: readonly Cell[];
  readonly warnings: readonly Problem[];
}

/** GitHub refuses a matrix with more jobs than this. */
export const GITHUB_MATRIX_LIMIT = 256;
