import type { Platform } from '../catalog/catalog.js';
import type { Config } from '../config/types.js';
import type { CommandRunner } from '../core/process/runner.js';
import type { Reporter } from '../core/reporter.js';
import type { Route } from './route.js';

/** Everything a platform module may use for one cell. */
export interface CellContext {
  readonly platform: Platform;
  /** How this host builds the platform: the one answer to every question of OS, arch, emulator, paths and quoting. */
  readonly route: Route;
  readonly config: Config;
  readonly runner: CommandRunner;
  readonly reporter: Reporter;
  /** native-matrix's cache root. */
  readonly cacheDir: string;
  /** Scratch space for this build, removed afterwards. */
  readonly workDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** SOURCE_DATE_EPOCH of the build (the commit's time): `runner` gives it to every build command; archives are dated with it. */
  readonly sourceDateEpoch: number;
  /** Compile from the commit alone, reusing no compiled build of an earlier run (a release run). */
  readonly freshBuilds?: boolean;
}
