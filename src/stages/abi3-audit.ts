import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { CellContext } from '../routes/context.js';
import type { ToolEnv } from '../core/tools.js';

/**
 * Proves an abi3 wheel uses only the stable ABI of its floor version, with
 * `abi3audit --strict` (as cibuildwheel does): a wheel tagged abi3 that calls
 * outside it crashes or fails to import on a later Python. A violation fails
 * the cell with abi3audit's own finding.
 */
export async function auditAbi3(context: CellContext, tools: ToolEnv, wheel: string): Promise<void> {
  const result = await context.runner.run(tools.bin('abi3audit'), ['--strict', '--verbose', wheel], {
    // abi3audit reads the wheel only; its rich output is kept plain for the log.
    env: { NO_COLOR: '1', COLUMNS: '200' },
    allowFailure: true,
    purpose: 'abi3audit',
  });
  if (result.exitCode !== 0) {
    throw new UserError({
      key: 'abi3audit',
      message: `${path.basename(wheel)} is tagged abi3 but does not keep to the stable ABI:\n${result.all
        .trimEnd()
        .split('\n')
        .slice(-30)
        .map((line) => line.trimEnd())
        .join('\n')}`,
      fix: 'build it without the limited API (matrix.abi3: false), or replace the calls abi3audit names with stable-ABI ones',
    });
  }
}
