import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { publishDecision, type EventContext } from '../plan/event.js';
import { planMatrix, type Narrowing } from '../plan/planner.js';
import type { Cell } from '../plan/types.js';
import { detectProject } from '../backends/detect.js';
import type { ProjectFacts } from '../project/detect.js';
import type { Reporter } from '../core/reporter.js';

export interface PlanOptions {
  readonly workingDirectory: string;
  readonly configPath?: string;
  readonly narrowing: Narrowing;
  readonly event: EventContext;
  /** The release tag given to the plan (the action's `tag` input). */
  readonly tag?: string;
  readonly today?: Date;
}

export interface PlanResult {
  readonly config: Config;
  readonly project: ProjectFacts;
  readonly cells: readonly Cell[];
  /** Whether this event should publish a release. */
  readonly publish: boolean;
  /** The release tag, when the run has one. */
  readonly tag?: string;
  /** Whether this event also publishes to PyPI: it publishes, and publish.pypi is on. */
  readonly pypi: boolean;
}

/** The matrix object for `strategy.matrix`. */
export const matrixJson = (cells: readonly Cell[]) => JSON.stringify({ include: cells });

/** config → project facts → plan. Warnings go to the reporter; problems are thrown. */
export async function planCommand(options: PlanOptions, reporter: Reporter): Promise<PlanResult> {
  const catalog = loadCatalog();
  const config = await loadConfig({ configPath: options.configPath, workingDirectory: options.workingDirectory, catalog, warn: (problem) => reporter.warning(problem) });
  const project = detectProject(config);
  const plan = planMatrix({ config, catalog, project, narrowing: options.narrowing, today: options.today });
  const decision = publishDecision(config.publish.release, options.event, options.tag);
  plan.warnings.forEach((warning) => reporter.warning(warning));
  return Object.freeze({ config, project, cells: plan.cells, ...decision, pypi: decision.publish && config.publish.pypi });
}
