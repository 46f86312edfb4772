import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import { UserError } from '../errors.js';
import { displayPath, readConfigSource, type ConfigSource } from './source.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

export const CONFIG_FILE_NAMES = ['native-matrix.yml', 'native-matrix.yaml'] as const;

export interface LoadConfigOptions {
  /** `--config` / the `config` input, relative to the working directory. */
  readonly configPath?: string;
  /** `working-directory`: the project root. */
  readonly workingDirectory: string;
  readonly catalog: Catalog;
}

/**
 * Finds and validates the config: the given file, else native-matrix.yml in
 * the working directory, else [tool.native-matrix] of its pyproject.toml,
 * else the defaults (the working directory is the project).
 */
export async function loadConfig({ configPath, workingDirectory, catalog }: LoadConfigOptions): Promise<Config> {
  const source = await findConfigSource(configPath, workingDirectory);
  return validateConfig(source, { catalog, workingDirectory });
}

async function findConfigSource(configPath: string | undefined, workingDirectory: string): Promise<ConfigSource> {
  if (configPath) {
    const file = path.resolve(workingDirectory, configPath);
    if (!existsSync(file)) {
      throw new UserError({
        key: 'config',
        message: `${displayPath(file)} does not exist`,
        fix: 'give the path of a native-matrix.yml or pyproject.toml, relative to the working directory',
      });
    }
    return readConfigSource(file);
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(workingDirectory, name);
    if (existsSync(file)) return readConfigSource(file);
  }
  const pyproject = path.join(workingDirectory, 'pyproject.toml');
  if (existsSync(pyproject)) return readConfigSource(pyproject);
  if (!existsSync(workingDirectory)) {
    throw new UserError({
      key: 'working-directory',
      message: `${workingDirectory} does not exist`,
      fix: 'set working-directory to the project root',
    });
  }
  return defaultsSource(workingDirectory);
}

/** A project without any config: every key takes its default. */
function defaultsSource(workingDirectory: string): ConfigSource {
  const absolutePath = path.join(workingDirectory, CONFIG_FILE_NAMES[0]);
  const file = displayPath(absolutePath);
  return {
    file,
    absolutePath,
    prefix: [],
    data: {},
    locate: () => ({ file, line: 1 }),
    rawText: () => undefined,
  };
}
