import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/**
 * The one-way dependency order of src/, from the bottom layer (the first row)
 * to the top one (the last): a module imports only from its own layer or a
 * lower one, a row before its own. Types count as imports too. Every folder
 * and top-level file of src/ is in exactly one layer: a new folder must be
 * placed here.
 */
const LAYERS: readonly { readonly layer: string; readonly holds: readonly string[]; readonly what: string }[] = [
  { layer: 'core', holds: ['core', 'yml.d.ts'], what: 'primitives: errors, processes, cache, downloads, archives, hashing, file and artifact names, Python environments and tools' },
  { layer: 'catalog', holds: ['catalog'], what: 'the catalog: platforms, Pythons, presets, libraries (matrix/*.yml)' },
  { layer: 'config', holds: ['config'], what: "reading and validating a project's config" },
  { layer: 'project', holds: ['project'], what: 'what the project is: its backend, its cargo graph and flags' },
  { layer: 'routes', holds: ['routes'], what: 'how the host builds a platform (the route), and the per-cell context' },
  { layer: 'platforms', holds: ['platforms'], what: 'the OS-specific half of a build, and the toolchains it provisions' },
  { layer: 'backends', holds: ['backends'], what: 'maturin, PEP 517, cargo and make behind one interface, and the user build settings they apply' },
  { layer: 'stages', holds: ['stages'], what: 'the build pipeline: backends, repair, smoke, licences, manifest, sdist, binaries' },
  { layer: 'plan', holds: ['plan'], what: 'the planner and the plan file' },
  { layer: 'publish', holds: ['publish'], what: 'gathering and checking the cells, and deciding what a release must become' },
  { layer: 'github', holds: ['github'], what: "GitHub's API, artifacts, cache and attestations" },
  { layer: 'commands', holds: ['commands'], what: 'plan, build, verify, publish' },
  { layer: 'entry', holds: ['adapters', 'action.ts', 'cli.ts', 'options.ts'], what: 'the terminal and the GitHub runner, and the entry points' },
];

const MAX_LINES = 300;

/**
 * Files over MAX_LINES while they are being split (issue 20, "One route for
 * each host and target"); an entry fails once its file is short enough, so
 * that none lingers.
 */
const BEING_SPLIT: readonly string[] = [];

const layerOf = (relative: string): number => LAYERS.findIndex((row) => row.holds.includes(relative.split('/')[0]!));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * The module specifiers a TypeScript file imports: `import … from`,
 * `import type … from`, `export … from`, side-effect `import '…'`, and
 * `import('…')` (dynamic, or in a type), over as many lines as they take.
 */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const statements = /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/gm;
  const bare = /^\s*import\s*(['"])([^'"]+)\1/gm;
  const calls = /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g;
  return [...code.matchAll(statements), ...code.matchAll(bare), ...code.matchAll(calls)].map((match) => match[2]!);
}

/** The file under src/ (relative to it) that a relative specifier of `file` names, or undefined for a package or a file outside src/. */
function resolveInSrc(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  let target = path.resolve(path.dirname(file), specifier);
  if (target.endsWith('.js') && existsSync(`${target.slice(0, -3)}.ts`)) target = `${target.slice(0, -3)}.ts`;
  const relative = path.relative(SRC, target);
  return relative.startsWith('..') ? undefined : relative.split(path.sep).join('/');
}

const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

describe('the dependency order of src/', () => {
  const files = sourceFiles(SRC);

  it('reads every form of import, over several lines, types too', () => {
    const sample = [
      "import { a,\n  b,\n  type C,\n} from './one.js';",
      "import type { D } from '../two.js';",
      "export { e } from './three.js';",
      "export type * from './four.js';",
      "import './five.js';",
      "const f = (await import('./six.js')) as typeof import('./seven.js');",
      "/** import { g } from './not-an-import.js'; */",
      "// import { h } from './not-either.js';",
    ].join('\n');
    expect(importsOf(sample).sort()).toEqual(['../two.js', './five.js', './four.js', './one.js', './seven.js', './six.js', './three.js']);
  });

  it('places every folder and top-level file of src/ in a layer', () => {
    const unplaced = readdirSync(SRC).filter((name) => layerOf(name) < 0);
    expect(unplaced, `place these in LAYERS of ${path.basename(import.meta.url)}`).toEqual([]);
    const held = LAYERS.flatMap((row) => row.holds);
    expect(
      held.filter((name, index) => held.indexOf(name) !== index),
      'in two layers',
    ).toEqual([]);
  });

  it('has no import against the order', () => {
    const offences: string[] = [];
    for (const file of files) {
      const from = path.relative(SRC, file).split(path.sep).join('/');
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const to = resolveInSrc(file, specifier);
        if (to === undefined) continue;
        const [a, b] = [layerOf(from), layerOf(to)];
        if (b < 0) offences.push(`src/${from} → ${specifier} (${to} is in no layer)`);
        else if (b > a) offences.push(`src/${from} → ${specifier} (layer ${LAYERS[a]!.layer} imports layer ${LAYERS[b]!.layer})`);
      }
    }
    expect(offences).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const long = files.map((file) => ({ file: path.relative(SRC, file).split(path.sep).join('/'), lines: lineCount(readFileSync(file, 'utf8')) })).filter(({ lines }) => lines > MAX_LINES);
    expect(long.filter(({ file }) => !BEING_SPLIT.includes(file)).map(({ file, lines }) => `src/${file}: ${lines} lines`)).toEqual([]);
    const done = BEING_SPLIT.filter((file) => !long.some((entry) => entry.file === file));
    expect(done, 'remove these from BEING_SPLIT: they are short enough now').toEqual([]);
  });
});
