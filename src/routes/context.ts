import type { Platform } from '../catalog/catalog.js';
import type { Config } from '../config/types.js';
import type { CommandRunner } from '../core/process/runner.js';
import type { Reporter } from '../core/reporter.js';
import type { Host } from './host.js';

/** Everything a platform module may use for one cell. */
export interface CellContext {
  readonly platform: Platform;
  readonly host: Host;
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
}
