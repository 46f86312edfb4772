import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { stableStringify } from '../core/cache.js';
import { PLAN_FILE } from '../core/names.js';
import { ZOD } from '../core/zod.js';
import { CellSchema } from './cell.js';
import type { Cell } from './types.js';

/**
 * The plan as a file: the plan job writes it once (and uploads it as the
 * artifact `native-matrix-plan`), build and publish read it instead of
 * planning again, every manifest records its digest, and publish refuses
 * cells built for another plan.
 */
export const PLAN_SCHEMA = 1;

export interface PlanBody {
  readonly schema: typeof PLAN_SCHEMA;
  readonly cells: readonly Cell[];
  /** Whether the run publishes a release, and under which tag. */
  readonly publish: boolean;
  readonly tag?: string;
}

export interface PlanFile {
  /** `sha256:<hex>` of the plan's canonical serialisation (keys sorted at every depth, no spaces). */
  readonly digest: string;
  readonly plan: PlanBody;
}

const PlanFileSchema = ZOD.strictObject({
  digest: ZOD.string(),
  plan: ZOD.strictObject({
    schema: ZOD.literal(PLAN_SCHEMA),
    cells: ZOD.array(CellSchema),
    publish: ZOD.boolean(),
    tag: ZOD.string().optional(),
  }),
});

export function planDigest(plan: PlanBody): string {
  return `sha256:${createHash('sha256').update(stableStringify(plan)).digest('hex')}`;
}

export function planFile(cells: readonly Cell[], publish: boolean, tag?: string): PlanFile {
  const plan: PlanBody = { schema: PLAN_SCHEMA, cells, publish, ...(tag ? { tag } : {}) };
  return { digest: planDigest(plan), plan };
}

/** Writes `dir/plan.json` and returns its path. */
export async function writePlanFile(dir: string, file: PlanFile): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, PLAN_FILE);
  await writeFile(target, `${JSON.stringify(file, null, 2)}\n`);
  return target;
}

/** Reads a plan.json and proves its digest; anything else is an error naming the file. */
export async function readPlanFile(file: string): Promise<PlanFile> {
  const refuse = (message: string, fix = 'use the plan.json the plan step wrote, unchanged') => new UserError({ key: file, message, fix });
  if (!existsSync(file)) throw refuse('does not exist', 'run the plan command first (on GitHub: a plan job before build and publish, as in workflows/release.yml)');
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw refuse(`is not JSON: ${(error as Error).message}`);
  }
  const parsed = PlanFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`is not a native-matrix plan (${issue.path.join('.') || 'value'}: ${issue.message})`);
  }
  const { digest, plan } = parsed.data;
  const actual = planDigest(plan);
  if (actual !== digest) throw refuse(`records digest ${digest}, but its plan has digest ${actual}: it was changed after planning`);
  return Object.freeze({ digest, plan });
}

/** The plan's own cell for a cell passed to a build (`${{ toJSON(matrix) }}`): the same id and the same content. */
export function plannedCell(file: PlanFile, cell: Cell, label: string): Cell {
  const planned = file.plan.cells.find((c) => c.id === cell.id);
  if (!planned) {
    throw new UserError({
      key: label,
      message: `names cell ${cell.id}, which is not in the plan (${file.plan.cells.map((c) => c.id).join(', ') || 'no cells'})`,
      fix: "pass ${{ toJSON(matrix) }} from a job whose matrix comes from this run's plan",
    });
  }
  if (stableStringify(planned) !== stableStringify(cell)) {
    throw new UserError({
      key: label,
      message: `differs from cell ${cell.id} of the plan (${file.digest})`,
      fix: "pass ${{ toJSON(matrix) }} unchanged, from a job whose matrix comes from this run's plan",
    });
  }
  return planned;
}

/** `dir/plan.json` when there is one (`native-matrix run` writes it next to the cells), else undefined. */
export async function readPlanFileIn(dir: string): Promise<PlanFile | undefined> {
  const file = path.join(dir, PLAN_FILE);
  return existsSync(file) ? readPlanFile(file) : undefined;
}
