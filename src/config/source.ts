import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import { getStaticTOMLValue, parseTOML, type AST } from 'toml-eslint-parser';
import { clip, ProblemList, UserError, type SourceLocation } from '../core/errors.js';

export type KeyPath = readonly (string | number)[];

/**
 * A config document as plain data, plus a way back from any key path to the
 * line where it is written, so that every problem can name file and line.
 */
export interface ConfigSource {
  /** The file as the user should read it in a message (relative to cwd when inside it). */
  readonly file: string;
  readonly absolutePath: string;
  /** `[tool.native-matrix]` for pyproject.toml; empty for native-matrix.yml. */
  readonly prefix: KeyPath;
  readonly data: unknown;
  /** The location of `keyPath`, or of its nearest ancestor that is written in the file. */
  locate(keyPath: KeyPath): SourceLocation;
  /** The text exactly as written for a scalar (to tell `3.10` from `"3.10"`). */
  rawText(keyPath: KeyPath): string | undefined;
}

export function displayPath(absolutePath: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, absolutePath);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolutePath;
}

export async function readConfigSource(absolutePath: string): Promise<ConfigSource> {
  const text = await readFile(absolutePath, 'utf8');
  const file = displayPath(absolutePath);
  return path.basename(absolutePath) === 'pyproject.toml' ? parsePyprojectConfig(text, file, absolutePath) : parseYamlConfig(text, file, absolutePath);
}

export function parseYamlConfig(text: string, file: string, absolutePath = file): ConfigSource {
  const lineCounter = new LineCounter();
  // yaml's own check for repeated keys is quadratic in the size of a mapping
  // (minutes for a hostile file); refuseRepeatedKeys does it in linear time.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const lineAt = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors.map((error) => ({
        location: lineAt(error.pos[0]),
        message: `not valid YAML: ${error.message.split('\n')[0]}`,
        fix: 'correct the YAML syntax (indentation, quotes, a missing colon)',
      })),
    );
  }

  refuseRepeatedKeys(doc, lineAt);

  // Walks down the document; returns the deepest node reached and the
  // offset where the path's last written element starts.
  const walk = (keyPath: KeyPath): { node: YamlNode | null; offset: number } => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    for (const key of keyPath) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
        if (!pair) return { node: null, offset };
        offset = (pair.key as YamlNode).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        offset = (node as YamlNode).range?.[0] ?? offset;
      } else {
        return { node: null, offset };
      }
    }
    return { node: node as YamlNode, offset };
  };

  return {
    file,
    absolutePath,
    prefix: [],
    data: toData(doc, lineAt),
    locate: (keyPath) => lineAt(walk(keyPath).offset),
    rawText: (keyPath) => {
      const { node } = walk(keyPath);
      return node && isScalar(node) && node.range ? text.slice(node.range[0], node.range[1]) : undefined;
    },
  };
}

/** Every mapping's keys must differ, as YAML requires. */
function refuseRepeatedKeys(doc: ReturnType<typeof parseDocument>, lineAt: (offset: number) => SourceLocation): void {
  const problems = new ProblemList();
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          problems.add(() => ({
            location: lineAt((pair.key as YamlNode).range?.[0] ?? 0),
            message: `not valid YAML: the key ${clip(key)} is written twice in the same mapping`,
            fix: 'remove one of them',
          }));
        }
        seen.add(key);
      }
    },
  });
  problems.throwIfAny();
}

/**
 * The document as plain data. yaml refuses aliases that would expand without
 * bound (an "alias bomb"); say where the first alias is, not how yaml failed.
 */
function toData(doc: ReturnType<typeof parseDocument>, lineAt: (offset: number) => SourceLocation): unknown {
  try {
    return doc.toJS() ?? {};
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw new UserError({
      location: lineAt(offset),
      message: 'its aliases (*name) expand to too many values',
      fix: 'write the values out, or use fewer aliases of aliases',
    });
  }
}

export const PYPROJECT_PREFIX: KeyPath = ['tool', 'native-matrix'];

export function parsePyprojectConfig(text: string, file: string, absolutePath = file): ConfigSource {
  const { document, locations, raw } = parseTomlWithLocations(text, file);
  const tool = (document.tool as Record<string, unknown> | undefined) ?? {};
  return {
    file,
    absolutePath,
    prefix: PYPROJECT_PREFIX,
    data: tool['native-matrix'] ?? {},
    locate: (keyPath) => {
      const full = [...PYPROJECT_PREFIX, ...keyPath];
      for (let length = full.length; length > 0; length--) {
        const line = locations.get(pathKey(full.slice(0, length)));
        if (line !== undefined) return { file, line };
      }
      return { file, line: 1 };
    },
    rawText: (keyPath) => raw.get(pathKey([...PYPROJECT_PREFIX, ...keyPath])),
  };
}

export const pathKey = (keyPath: KeyPath): string => JSON.stringify(keyPath);

/** Parses TOML and records the line of every key path and the raw text of every scalar. */
export function parseTomlWithLocations(text: string, file: string): { document: Record<string, unknown>; locations: Map<string, number>; raw: Map<string, string> } {
  let program: AST.TOMLProgram;
  try {
    program = parseTOML(text);
  } catch (error) {
    const parseError = error as { lineNumber?: number; message?: string };
    throw new UserError({
      location: { file, line: parseError.lineNumber ?? 1 },
      message: `not valid TOML: ${parseError.message ?? String(error)}`,
      fix: 'correct the TOML syntax',
    });
  }
  const locations = new Map<string, number>();
  const raw = new Map<string, string>();
  const arrayTableCounts = new Map<string, number>();

  const record = (keyPath: KeyPath, line: number) => {
    if (!locations.has(pathKey(keyPath))) locations.set(pathKey(keyPath), line);
  };
  const keyNames = (key: AST.TOMLKey) => key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
  const visitValue = (keyPath: KeyPath, value: AST.TOMLContentNode) => {
    record(keyPath, value.loc.start.line);
    if (value.type === 'TOMLArray') {
      value.elements.forEach((element, index) => visitValue([...keyPath, index], element));
    } else if (value.type === 'TOMLInlineTable') {
      value.body.forEach((entry) => visitKeyValue(keyPath, entry));
    } else {
      raw.set(pathKey(keyPath), text.slice(value.range[0], value.range[1]));
    }
  };
  const visitKeyValue = (base: KeyPath, entry: AST.TOMLKeyValue) => {
    const names = keyNames(entry.key);
    names.forEach((_, i) => record([...base, ...names.slice(0, i + 1)], entry.loc.start.line));
    visitValue([...base, ...names], entry.value);
  };

  for (const item of program.body[0].body) {
    if (item.type === 'TOMLKeyValue') {
      visitKeyValue([], item);
      continue;
    }
    let base: KeyPath = item.resolvedKey;
    if (item.kind === 'array') {
      // resolvedKey of an array table already carries its index in recent
      // parser versions; count ourselves when it does not.
      if (typeof base[base.length - 1] !== 'number') {
        const count = arrayTableCounts.get(pathKey(base)) ?? 0;
        arrayTableCounts.set(pathKey(base), count + 1);
        base = [...base, count];
      }
    }
    base.forEach((_, i) => record(base.slice(0, i + 1), item.loc.start.line));
    item.body.forEach((entry) => visitKeyValue(base, entry));
  }
  return { document: getStaticTOMLValue(program), locations, raw };
}
