import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTomlWithLocations } from '../config/source.js';
import { displayPath } from '../config/source.js';

export type Table = Record<string, unknown>;

/** Reads and parses a TOML file of the project, or undefined when it does not exist. */
export function readToml(file: string): Table | undefined {
  if (!existsSync(file)) return undefined;
  return parseTomlWithLocations(readFileSync(file, 'utf8'), displayPath(file)).document;
}

export function readText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export function table(value: unknown): Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : {};
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The nearest Cargo.toml above `dir` that declares a [workspace], if any. */
export function findWorkspaceManifest(dir: string): { file: string; manifest: Table } | undefined {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const file = path.join(current, 'Cargo.toml');
    const manifest = readToml(file);
    if (manifest && manifest.workspace) return { file, manifest };
    if (path.dirname(current) === current) return undefined;
  }
}
