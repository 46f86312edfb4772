import path from 'node:path';
import type { Config } from '../config/types.js';
import { readToml, table } from './files.js';

/**
 * The module a smoke test imports: the config's `import`, else maturin's
 * module-name (its top package for a mixed layout), else the distribution
 * name with dashes as underscores.
 */
export function importNameFor(config: Config, distribution: string): string {
  if (config.project.import) return config.project.import;
  const pyproject = readToml(path.join(config.project.dir, 'pyproject.toml'));
  const moduleName = table(table(pyproject?.tool).maturin)['module-name'];
  if (typeof moduleName === 'string') return moduleName.split('.')[0]!;
  return distribution.replace(/[-.]/g, '_');
}
