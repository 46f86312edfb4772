import { UserError } from '../core/errors.js';
import { ZOD } from '../core/zod.js';
import type { Cell } from './types.js';

export const CellSchema = ZOD.strictObject({
  id: ZOD.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  platform: ZOD.string(),
  os: ZOD.enum(['linux', 'macos', 'windows']),
  arch: ZOD.string(),
  runner: ZOD.string(),
  target: ZOD.string(),
  python: ZOD.string(),
  abi3: ZOD.boolean(),
  wheel: ZOD.boolean(),
  binary: ZOD.boolean(),
  experimental: ZOD.boolean(),
  verify: ZOD.string().optional(),
  sdist: ZOD.literal(true).optional(),
});

/** Parses one matrix entry (`${{ toJSON(matrix) }}` or --cell) back into a cell. */
export function parseCell(json: string, label: string): Cell {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new UserError({ key: label, message: `is not JSON: ${(error as Error).message}`, fix: 'pass ${{ toJSON(matrix) }} from a job whose matrix comes from the plan' });
  }
  const parsed = CellSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError({
      key: label,
      message: `is not a native-matrix cell (${issue.path.join('.') || 'value'}: ${issue.message})`,
      fix: 'pass ${{ toJSON(matrix) }} from a job whose matrix comes from the plan, unchanged',
    });
  }
  return Object.freeze(parsed.data);
}
