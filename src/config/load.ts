import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import { UserError, type Problem } from '../core/errors.js';
import { displayPath, parseTomlWithLocations, pathKey, PYPROJECT_PREFIX, readConfigSource, type ConfigSource } from './source.js';
import type { Config } from './types.js';
import { validateConfig } from './validate.js';

export const CONFIG_FILE_NAMES = ['native-matrix.yml', 'native-matrix.yaml'] as const;

export interface LoadConfigOptions {
  /** `--config` / the `config` input, relative to the working directory. */
  readonly configPath?: string;
  /** `working-directory`: the project root. */
  readonly workingDirectory: string;
  readonly catalog: Catalog;
  /** Told about what is valid but probably not meant (an ignored config section). */
  readonly warn?: (problem: Problem) => void;
}

/**
 * Finds and validates the config: the given file, else native-matrix.yml in
 * the working directory, else [tool.native-matrix] of its pyproject.toml,
 * else the defaults (the working directory is the project).
 */
export async function loadConfig({ configPath, workingDirectory, catalog, warn }: LoadConfigOptions): Promise<Config> {
  const source = await findConfigSource(configPath, workingDirectory, warn);
  return validateConfig(source, { catalog, workingDirectory });
}

async function findConfigSource(configPath: string | undefined, workingDirectory: string, warn?: (problem: Problem) => void): Promise<ConfigSource> {
  if (configPath) {
    const file = path.resolve(workingDirectory, configPath);
    const kind = existsSync(file) ? (statSync(file).isFile() ? 'file' : 'not a file') : 'missing';
    if (kind !== 'file') {
      throw new UserError({
        key: 'config',
        message: `${displayPath(file)} ${kind === 'missing' ? 'does not exist' : 'is not a file'}`,
        fix: 'give the path of a native-matrix.yml or pyproject.toml, relative to the working directory',
      });
    }
    return readConfigSource(file);
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = path.join(workingDirectory, name);
    if (existsSync(file)) {
      if (!statSync(file).isFile()) {
        throw new UserError({ key: 'config', message: `${displayPath(file)} is not a file`, fix: `make ${name} the config file, or remove it` });
      }
      const ignored = ignoredPyprojectSection(path.join(workingDirectory, 'pyproject.toml'), name);
      if (ignored) warn?.(ignored);
      return readConfigSource(file);
    }
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

/** A [tool.native-matrix] section that the native-matrix.yml beside it overrides. */
function ignoredPyprojectSection(pyproject: string, configName: string): Problem | undefined {
  if (!existsSync(pyproject) || !statSync(pyproject).isFile()) return undefined;
  const text = readFileSync(pyproject, 'utf8');
  if (!text.includes('native-matrix')) return undefined;
  let line: number | undefined;
  try {
    line = parseTomlWithLocations(text, pyproject).locations.get(pathKey(PYPROJECT_PREFIX));
  } catch {
    return undefined; // not the config, so not ours to judge
  }
  if (line === undefined) return undefined;
  return {
    location: { file: displayPath(pyproject), line },
    key: 'tool.native-matrix',
    message: `is ignored: ${configName} is the config`,
    fix: `move these keys into ${configName} and remove the section, or remove ${configName}`,
  };
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
