import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Catalog } from '../catalog/catalog.js';
import { clip, ProblemList, type Problem } from '../core/errors.js';
import { ConfigSchema, type RawConfig } from './schema.js';
import { checkPlatform, checkPython, type Checked } from './selectors.js';
import type { KeyPath, ConfigSource } from './source.js';
import { closest, oneOf } from './suggest.js';
import type { Config, ExcludeRule } from './types.js';
import { checkSettings } from './settings.js';
import { refuseOtherFiles } from './foreign-file.js';
import { checkCombinations } from './combinations.js';

/** `matrix.exclude[0].python` */
export function dotted(keyPath: KeyPath): string {
  return keyPath.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${clipKey(key)}` : clipKey(key)), '');
}

// A key as a message shows it: a hostile file's kilobyte-long key is cut short.
const clipKey = (key: string) => (key.length > 40 ? `${key.slice(0, 40)}…` : key);

function valueAt(data: unknown, keyPath: KeyPath): unknown {
  let value = data;
  for (const key of keyPath) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${clip(value)}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}

// Walks the schema to the object at a key path, to list its allowed keys.
type AnySchema = z.core.$ZodType;
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.in) current = def.in;
    else return current;
  }
}
function objectKeysAt(keyPath: KeyPath): string[] {
  let schema = unwrap(ConfigSchema);
  for (const key of keyPath) {
    const def = schema._zod.def as {
      shape?: Record<string, AnySchema>;
      element?: AnySchema;
      options?: AnySchema[];
    };
    if (typeof key === 'number' && def.element) schema = unwrap(def.element);
    else if (def.shape?.[key as string]) schema = unwrap(def.shape[key as string]!);
    else return [];
  }
  const shape = (schema._zod.def as { shape?: Record<string, AnySchema> }).shape;
  return shape ? Object.keys(shape) : [];
}

const EXPECTED_FIX: Record<string, string> = {
  string: 'write a string, in quotes when in doubt',
  boolean: 'use true or false',
  array: 'write a list, e.g. [a, b]',
  object: 'write a mapping of keys to values',
  number: 'write a number',
};

/** Turns one schema issue into problems with location and fix (built when shown: see ProblemList). */
function problemsFromIssue(issue: z.core.$ZodIssue, source: ConfigSource): (() => Problem)[] {
  return issue.code === 'unrecognized_keys' ? issue.keys.map((key) => () => problemFromIssue({ ...issue, keys: [key] }, source)[0]!) : [() => problemFromIssue(issue, source)[0]!];
}

function problemFromIssue(issue: z.core.$ZodIssue, source: ConfigSource): Problem[] {
  const at = (keyPath: KeyPath) => ({ location: source.locate(keyPath), key: dotted([...source.prefix, ...keyPath]) });
  const issuePath = issue.path as KeyPath;
  const input = valueAt(source.data, issuePath);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const allowed = objectKeysAt(issuePath);
        const suggestion = closest(key, allowed);
        return {
          ...at([...issuePath, key]),
          message: 'unknown key',
          fix: suggestion ? `did you mean "${suggestion}"?` : `remove it; ${issuePath.length ? `${dotted(issuePath)} takes` : 'the top level takes'} ${oneOf(allowed)}`,
        };
      });
    case 'invalid_type': {
      if (issue.expected === 'string' && typeof input === 'number') {
        const raw = clip(source.rawText(issuePath) ?? String(input), 100);
        const misread = raw !== String(input) ? ` and is read as ${String(input)}` : '';
        return [{ ...at(issuePath), message: `${raw} is a number${misread}`, fix: `quote it: "${raw}"` }];
      }
      return [
        {
          ...at(issuePath),
          message: `expected ${issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${describeValue(input)}`,
          fix: EXPECTED_FIX[issue.expected] ?? `write a ${issue.expected}`,
        },
      ];
    }
    case 'invalid_value':
      return [
        {
          ...at(issuePath),
          message: `${describeValue(input)} is not allowed`,
          fix: `use ${oneOf(issue.values.map(String))}`,
        },
      ];
    case 'invalid_union':
      // The only unions are auto | true | false (`abi3`, `publish.prerelease`, `publish.latest`) and `smoke` (string | list).
      return [
        {
          ...at(issuePath),
          message: `${describeValue(input)} is not allowed`,
          fix: ['abi3', 'prerelease', 'latest'].includes(String(issuePath[issuePath.length - 1])) ? 'use auto, true or false' : 'write a string or a list of strings',
        },
      ];
    case 'invalid_format':
      return [{ ...at(issuePath), message: `${describeValue(input)} is not valid`, fix: `write ${issue.message}` }];
    case 'too_small':
      return [{ ...at(issuePath), message: 'must not be empty', fix: 'give a value or remove the key' }];
    default:
      return [{ ...at(issuePath), message: issue.message, fix: 'see the config reference in the README' }];
  }
}

export interface ValidateOptions {
  readonly catalog: Catalog;
  /** The project root that relative paths start from (default: the config's directory). */
  readonly workingDirectory?: string;
}

/** Validates a config document and fills in defaults; throws UserError listing every problem. */
export function validateConfig(source: ConfigSource, { catalog, workingDirectory }: ValidateOptions): Config {
  const data = source.data ?? {};
  refuseOtherFiles(source, data, objectKeysAt([]));
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    const problems = new ProblemList();
    parsed.error.issues.forEach((issue) => problemsFromIssue(issue, source).forEach((problem) => problems.add(problem)));
    problems.throwIfAny();
  }
  const raw = parsed.data!;
  const problems = new ProblemList();
  const report = (keyPath: KeyPath, message: string, fix: string) => problems.add(() => ({ location: source.locate(keyPath), key: dotted([...source.prefix, ...keyPath]), message, fix }));
  const collect = <T>(keyPath: KeyPath, checked: Checked<T>): T | undefined => {
    if ('problem' in checked) {
      report(keyPath, checked.problem.message, checked.problem.fix);
      return undefined;
    }
    return checked.value;
  };
  const reportDuplicates = (keyPath: KeyPath, values: readonly string[]) => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      if (seen.has(value)) report([...keyPath, index], `"${clip(value)}" is listed twice`, 'remove the repeat');
      seen.add(value);
    });
  };

  const platforms = raw.matrix.platforms?.flatMap((value, index) => collect(['matrix', 'platforms', index], checkPlatform(value, catalog)) ?? []);
  if (raw.matrix.platforms) reportDuplicates(['matrix', 'platforms'], raw.matrix.platforms);
  if (raw.matrix.platforms?.length === 0) report(['matrix', 'platforms'], 'is empty', 'list at least one platform, or remove the key for the default selection');
  raw.matrix.python?.forEach((value, index) => collect(['matrix', 'python', index], checkPython(value, catalog)));
  if (raw.matrix.python) reportDuplicates(['matrix', 'python'], raw.matrix.python);
  if (raw.matrix.python?.length === 0) report(['matrix', 'python'], 'is empty', 'list at least one version, or remove the key for the default selection');

  const exclude: ExcludeRule[] = raw.matrix.exclude.map((rule, index) => {
    const keyPath = ['matrix', 'exclude', index];
    if (rule.platform === undefined && rule.python === undefined) {
      report(keyPath, 'an exclude entry needs a platform, a python, or both', 'e.g. { platform: windows-x86_64, python: "3.10" }');
    }
    if (rule.platform !== undefined) collect([...keyPath, 'platform'], checkPlatform(rule.platform, catalog, { presets: false }));
    if (rule.python !== undefined) collect([...keyPath, 'python'], checkPython(rule.python, catalog));
    return Object.freeze({ ...rule, location: source.locate(keyPath) });
  });

  checkCombinations(raw, report);
  const baseDir = workingDirectory ?? path.dirname(source.absolutePath);
  if (raw.project.path !== undefined && !isInside(path.resolve(baseDir, raw.project.path), baseDir)) {
    report(
      ['project', 'path'],
      `${clip(raw.project.path)} is outside the working directory`,
      `give a path inside ${baseDir}, relative to it (or set working-directory to a directory that holds the project)`,
    );
  }

  const settings = checkSettings(raw, catalog, report);

  problems.throwIfAny();
  return Object.freeze({ ...freezeConfig(raw, source, platforms, exclude, baseDir), ...settings });
}

/** Whether `dir` is `root` or below it, also once symbolic links are followed. */
function isInside(dir: string, root: string): boolean {
  const below = (a: string, b: string) => {
    const relative = path.relative(b, a);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  };
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  return below(dir, root) && below(real(dir), real(root));
}

function freezeConfig(
  raw: RawConfig,
  source: ConfigSource,
  platforms: readonly string[] | undefined,
  exclude: readonly ExcludeRule[],
  workingDirectory: string,
): Omit<Config, 'build' | 'test' | 'overrides'> {
  // project.path is relative to the working directory; without it, the
  // project is where its pyproject.toml config is, else the working directory.
  const baseDir = workingDirectory;
  const defaultDir = source.prefix.length > 0 ? path.dirname(source.absolutePath) : workingDirectory;
  const smoke = raw.project.smoke === undefined ? [] : Array.isArray(raw.project.smoke) ? raw.project.smoke : [raw.project.smoke];
  return Object.freeze({
    file: source.file,
    baseDir,
    project: Object.freeze({
      dir: raw.project.path === undefined ? defaultDir : path.resolve(baseDir, raw.project.path),
      kind: raw.project.kind,
      backend: raw.project.backend,
      import: raw.project.import,
      smoke: Object.freeze([...smoke]),
      features: Object.freeze([...raw.project.features]),
      defaultFeatures: raw.project['default-features'],
      binary: raw.project.binary && Object.freeze({ name: raw.project.binary.name, smoke: Object.freeze([...raw.project.binary.smoke]), package: raw.project.binary.package }),
    }),
    gmp: Object.freeze({
      source: raw.gmp.source,
      version: raw.gmp.version,
      libraries: Object.freeze([...raw.gmp.libraries]),
      tarballs: Object.freeze({ ...raw.gmp.tarballs }),
    }),
    matrix: Object.freeze({
      platforms: platforms && Object.freeze([...new Set(platforms)]),
      python: raw.matrix.python && Object.freeze([...raw.matrix.python]),
      abi3: raw.matrix.abi3,
      split: raw.matrix.split,
      exclude: Object.freeze([...exclude]),
    }),
    publish: Object.freeze({ ...raw.publish }),
    windows: Object.freeze({ buildOn: raw.windows['build-on'] }),
    macos: Object.freeze({ buildOn: raw.macos['build-on'] }),
    linux: Object.freeze({ ...raw.linux }),
    metadata: Object.freeze({ ...raw.metadata }),
    locate: (keyPath: KeyPath) => source.locate(keyPath),
  });
}
