import path from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import type { RawBuildSettings, RawConfig, RawTestSettings } from './schema.js';
import { checkPlatform } from './selectors.js';
import type { KeyPath } from './source.js';
import type { BuildSettings, Override, TestSettings } from './types.js';

type Report = (keyPath: KeyPath, message: string, fix: string) => void;

const asList = (value: string | readonly string[] | undefined): string[] | undefined => (value === undefined ? undefined : typeof value === 'string' ? [value] : [...value]);

/** A test command given as a list runs as one shell command, each part only when the one before passed (as cibuildwheel does). */
const joinCommand = (value: string | readonly string[] | undefined): string | undefined => asList(value)?.join(' && ') || undefined;

function partialBuild(raw: RawBuildSettings): Partial<BuildSettings> {
  return Object.freeze({
    ...(raw.environment !== undefined ? { environment: Object.freeze({ ...raw.environment }) } : {}),
    ...(raw['before-build'] !== undefined ? { beforeBuild: Object.freeze(asList(raw['before-build'])!) } : {}),
    ...(raw.args !== undefined ? { args: Object.freeze([...raw.args]) } : {}),
  });
}

function partialTest(raw: RawTestSettings): Partial<TestSettings> {
  return Object.freeze({
    ...(raw.requires !== undefined ? { requires: Object.freeze([...raw.requires]) } : {}),
    ...(raw.command !== undefined ? { command: joinCommand(raw.command) } : {}),
    ...(raw.sources !== undefined ? { sources: Object.freeze([...raw.sources]) } : {}),
  });
}

const NO_BUILD_SETTINGS: BuildSettings = Object.freeze({ environment: Object.freeze({}), beforeBuild: Object.freeze([]), args: Object.freeze([]) });
const NO_TEST_SETTINGS: TestSettings = Object.freeze({ requires: Object.freeze([]), sources: Object.freeze([]) });

/** Checks `build`, `test` and `overrides` (beyond their structure) and returns them frozen. */
export function checkSettings(raw: RawConfig, catalog: Catalog, report: Report): { build: BuildSettings; test?: TestSettings; overrides: Override[] } {
  const checkTest = (test: RawTestSettings | undefined, keyPath: KeyPath) => {
    test?.sources?.forEach((source, index) => {
      const normal = path.posix.normalize(source.replace(/\\/g, '/'));
      if (path.isAbsolute(source) || /^[A-Za-z]:/.test(source) || normal === '..' || normal.startsWith('../')) {
        report([...keyPath, 'sources', index], `"${source}" is outside the project`, 'give a path relative to the project directory, inside it');
      }
    });
    if (test && raw.project.kind === 'binary') report(keyPath, 'tests run against a wheel, but project.kind is binary', 'set kind: wheel or both, or remove the key');
  };
  const checkBuild = (build: RawBuildSettings | undefined, keyPath: KeyPath) => {
    for (const name of Object.keys(build?.environment ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) report([...keyPath, 'environment', name], `"${name}" is not a variable name`, 'use letters, digits and _, not starting with a digit');
    }
    asList(build?.['before-build'])?.forEach((command, index) => {
      if (!command.trim()) report([...keyPath, 'before-build', ...(typeof build!['before-build'] === 'string' ? [] : [index])], 'is an empty command', 'write a command, or remove it');
    });
  };
  checkBuild(raw.build, ['build']);
  checkTest(raw.test, ['test']);
  if (raw.test && raw.test.command === undefined && raw.test.sources !== undefined) {
    report(['test', 'sources'], 'copies test sources, but no test.command runs them', 'add test.command, e.g. "pytest"');
  }

  const overrides = raw.overrides.map((entry, index): Override => {
    const keyPath = ['overrides', index];
    if (entry.platforms.length === 0) report([...keyPath, 'platforms'], 'is empty', 'list the platforms this override is for, e.g. [windows-x86_64]');
    const platforms = entry.platforms.flatMap((value, i) => {
      const checked = checkPlatform(value, catalog);
      if ('problem' in checked) {
        report([...keyPath, 'platforms', i], checked.problem.message, checked.problem.fix);
        return [];
      }
      return checked.value;
    });
    if (entry.build === undefined && entry.test === undefined) report(keyPath, 'changes nothing', 'give it build: or test: settings, or remove it');
    checkBuild(entry.build, [...keyPath, 'build']);
    checkTest(entry.test, [...keyPath, 'test']);
    return Object.freeze({
      platforms: Object.freeze([...new Set(platforms)]),
      ...(entry.build ? { build: partialBuild(entry.build) } : {}),
      ...(entry.test ? { test: partialTest(entry.test) } : {}),
    });
  });

  return {
    build: Object.freeze({ ...NO_BUILD_SETTINGS, ...partialBuild(raw.build ?? {}) }),
    ...(raw.test ? { test: Object.freeze({ ...NO_TEST_SETTINGS, ...partialTest(raw.test) }) } : {}),
    overrides,
  };
}

/**
 * The build and test settings of one platform: the base ones, then every
 * override that names the platform, in order (later entries win). A key an
 * override sets replaces the base value, except `environment`, which is
 * merged variable by variable.
 */
export function settingsFor(
  config: { readonly build: BuildSettings; readonly test?: TestSettings; readonly overrides: readonly Override[] },
  platformId: string,
): { build: BuildSettings; test?: TestSettings } {
  let build = config.build;
  let test = config.test;
  for (const override of config.overrides) {
    if (!override.platforms.includes(platformId)) continue;
    if (override.build) {
      build = { ...build, ...override.build, environment: { ...build.environment, ...override.build.environment } };
    }
    if (override.test) test = { ...(test ?? NO_TEST_SETTINGS), ...override.test };
  }
  return { build: Object.freeze(build), ...(test ? { test: Object.freeze(test) } : {}) };
}
