import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadCatalog } from '../catalog/catalog.js';
import { loadConfig } from '../config/load.js';
import { displayPath } from '../config/source.js';
import { CannotBuildHereError, describeFailure, UserError } from '../core/errors.js';
import { cellPythons } from '../plan/render.js';
import type { Cell } from '../plan/types.js';
import { ExecaRunner, type CommandRunner } from '../core/process/runner.js';
import { detectProject } from '../backends/detect.js';
import type { Reporter } from '../core/reporter.js';
import { buildMarkdown } from '../stages/summary.js';
import type { Manifest } from '../stages/manifest.js';
import { buildCell, CellFailedError, type CellOutcome } from './build.js';
import { planCommand } from './plan.js';
import { planFile, writePlanFile } from '../plan/plan-file.js';
import { SDIST_CELL_ID } from '../plan/planner.js';

export interface BuildManyOptions {
  readonly workingDirectory: string;
  readonly configPath?: string;
  /** Explicit cells (--cell), else those planned for `platform` (--platform), else every cell (run). */
  readonly cells?: readonly Cell[];
  /** The digest of the plan the explicit cells come from (the action's plan artifact). */
  readonly planDigest?: string;
  /** Compile from the commit alone, reusing no compiled build of an earlier run (a release run). */
  readonly freshBuilds?: boolean;
  readonly platform?: string;
  readonly python?: readonly string[];
  readonly outRoot: string;
  /** How the user named outRoot (`--out`), for messages. */
  readonly outLabel?: string;
  /** `run`: skip the cells this host cannot build instead of failing on them. */
  readonly skipForeign: boolean;
  readonly runner?: CommandRunner;
  readonly env?: NodeJS.ProcessEnv;
}

export interface BuildManyResult {
  readonly outcomes: readonly CellOutcome[];
  readonly skipped: readonly { cell: Cell; reason: string }[];
  readonly failed: readonly { cell: Cell; error: UserError }[];
  readonly summaryPath: string;
}

/** Refuses, before any work, an output directory that a file stands in the way of. */
function checkOutputDirectory(dir: string, label: string): void {
  let existing = dir;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if (!statSync(existing).isDirectory()) {
    throw new UserError({
      key: label,
      message: existing === dir ? `${displayPath(dir)} is a file, not a directory` : `${displayPath(dir)} cannot be made: ${displayPath(existing)} is a file`,
      fix: 'give a directory for the output (it is created when missing)',
    });
  }
}

/** Narrows an explicit cell's Python versions by --python. */
function narrowCell(cell: Cell, python: readonly string[] | undefined): Cell {
  if (!python || python.length === 0) return cell;
  const kept = cellPythons(cell).filter((v) => python.includes(v));
  if (kept.length === 0) throw new UserError({ key: '--python', message: `selects none of the cell's versions (${cellPythons(cell).join(', ')})`, fix: 'name versions of the cell, or omit --python' });
  return { ...cell, python: kept.join('\n') };
}

/**
 * Builds several cells one after another. A failing cell does not stop the
 * others, and loses nothing already built; failures are reported together.
 */
export async function buildMany(options: BuildManyOptions, reporter: Reporter): Promise<BuildManyResult> {
  checkOutputDirectory(options.outRoot, options.outLabel ?? 'output directory');
  const catalog = loadCatalog();
  const env = options.env ?? process.env;
  let cells: readonly Cell[];
  let config;
  let project;
  let planDigest = options.planDigest;
  if (options.cells) {
    config = await loadConfig({ configPath: options.configPath, workingDirectory: options.workingDirectory, catalog, warn: (problem) => reporter.warning(problem) });
    project = detectProject(config);
    cells = options.cells.map((cell) => narrowCell(cell, options.python));
  } else {
    // `--platform sdist` picks the sdist cell; any other id that platform's cells.
    const sdistOnly = options.platform === SDIST_CELL_ID;
    const planned = await planCommand(
      {
        workingDirectory: options.workingDirectory,
        configPath: options.configPath,
        narrowing: { platforms: options.platform && !sdistOnly ? [options.platform] : undefined, python: options.python, platformsLabel: '--platform', pythonLabel: '--python' },
        event: { inputs: {} },
      },
      reporter,
    );
    ({ config, project } = planned);
    // The plan file holds the whole plan (publish checks cells against it); this run builds the cells asked for.
    const plan = planFile(planned.cells, false);
    planDigest = plan.digest;
    if (options.skipForeign) await writePlanFile(options.outRoot, plan);
    cells = planned.cells.filter((cell) => !options.platform || (sdistOnly ? cell.sdist : cell.platform === options.platform && !cell.sdist));
    if (sdistOnly && cells.length === 0) {
      throw new UserError({
        location: config.locate(['publish', 'sdist']),
        key: '--platform sdist',
        message: 'the plan has no sdist cell (publish.sdist is off, or the project builds no wheels)',
        fix: 'set publish.sdist: true for a project with wheels',
      });
    }
  }
  const runner = options.runner ?? new ExecaRunner();
  const outcomes: CellOutcome[] = [];
  const skipped: { cell: Cell; reason: string }[] = [];
  const failed: { cell: Cell; error: UserError }[] = [];
  // The summary shows failed cells too, from the manifests they wrote.
  const manifests: Manifest[] = [];
  for (const [index, cell] of cells.entries()) {
    try {
      const title = cells.length > 1 ? `${cell.id} (cell ${index + 1} of ${cells.length})` : cell.id;
      const outcome = await reporter.section(title, () => buildCell({ cell, config, project, catalog, runner, reporter, outRoot: options.outRoot, env, planDigest, freshBuilds: options.freshBuilds }));
      outcomes.push(outcome);
      manifests.push(outcome.manifest);
    } catch (thrown) {
      if (options.skipForeign && thrown instanceof CannotBuildHereError) {
        // The reason, and where the cell does build (its runner).
        reporter.status(`Skipping ${cell.id}: ${thrown.reason}; ${thrown.problems[0]!.fix}`);
        skipped.push({ cell, reason: thrown.reason });
        continue;
      }
      if (thrown instanceof CellFailedError) manifests.push(thrown.manifest);
      const error = thrown instanceof CellFailedError ? thrown.cause : thrown;
      // Whatever went wrong, the other cells still build.
      const failure = describeFailure(error);
      if (failure.internal) reporter.info(failure.internal);
      failed.push({ cell, error: error instanceof UserError ? error : new UserError(failure.problems.map((problem) => ({ key: `cell ${cell.id}`, ...problem }))) });
    }
  }
  await mkdir(options.outRoot, { recursive: true });
  const summaryPath = path.join(options.outRoot, 'summary.md');
  await writeFile(summaryPath, buildMarkdown(manifests));
  return { outcomes, skipped, failed, summaryPath };
}
