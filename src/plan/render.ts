import type { Catalog, Platform } from '../catalog/catalog.js';
import type { Config } from '../config/types.js';
import { runnerHost } from '../routes/runners.js';
import type { Cell } from './types.js';

/**
 * The platform tag a platform's wheels get: the catalog's tag family, with
 * the glibc of `linux.manylinux` filled in (`manylinux_2_17_x86_64`); for
 * `host`, the build machine's glibc decides.
 */
export function platformTagFor(platform: Pick<Platform, 'wheel-tag'>, linux: Config['linux']): string {
  const tag = platform['wheel-tag'];
  return linux.manylinux === 'host' ? tag.replace('manylinux_*', "manylinux_<the build machine's glibc>") : tag.replace('manylinux_*', `manylinux_${linux.manylinux}`);
}

export interface MinutesEstimate {
  /** Wall-clock runner minutes, summed over cells. */
  readonly minutes: number;
  /** The same, weighted by GitHub's per-OS multipliers. */
  readonly billed: number;
}

export const cellPythons = (cell: Cell): string[] => (cell.python ? cell.python.split('\n') : []);

/**
 * Minutes follow the runner: a cell is built and smoke-tested on its runner,
 * billed at that runner's OS multiplier (a macOS cell built on ubuntu with
 * macos.build-on: linux is billed as Linux), and a cell with a verify runner
 * pays for one more import per Python there, at that OS's multiplier.
 */
export function estimateMinutes(cells: readonly Cell[], catalog: Catalog): MinutesEstimate {
  let minutes = 0;
  let billed = 0;
  for (const cell of cells) {
    const platform = catalog.platforms.get(cell.platform)!;
    const smoke = platform.minutes.smoke * Math.max(1, cellPythons(cell).length);
    const cellMinutes = platform.minutes.build + smoke;
    const builtOn = runnerHost(catalog, cell.runner)?.os ?? cell.os;
    minutes += cellMinutes;
    billed += cellMinutes * catalog.minuteMultipliers[builtOn];
    if (cell.verify) {
      minutes += smoke;
      billed += smoke * catalog.minuteMultipliers[runnerHost(catalog, cell.verify)?.os ?? cell.os];
    }
  }
  return { minutes, billed };
}

/** What the tag column says of the sdist, which has no platform tag. */
const SDIST_TAG = 'source';

/** A cell's row: its platform, or `sdist` for the sdist cell (which runs on a platform's runner). */
const rowOf = (cell: Cell) => (cell.sdist ? cell.id : cell.platform);

/** Rows (platforms) × columns (Python versions), each entry the id of the cell that covers it. */
function grid(cells: readonly Cell[]): { platforms: string[]; columns: string[]; at: (p: string, c: string) => string } {
  const platforms = [...new Set(cells.map(rowOf))];
  const versions = [...new Set(cells.flatMap(cellPythons))];
  const columns = versions.length > 0 ? versions : ['binary'];
  const at = (platform: string, column: string) =>
    cells
      .filter((c) => rowOf(c) === platform && (versions.length === 0 || cellPythons(c).includes(column)))
      .map((c) => c.id)
      .join(', ');
  return { platforms, columns, at };
}

const escapeMarkdown = (text: string) => text.replace(/\|/g, '\\|');

/** The plan as the step summary shows it. */
export function planMarkdown(cells: readonly Cell[], catalog: Catalog, publish: boolean, linux: Config['linux']): string {
  const { platforms, columns, at } = grid(cells);
  const { minutes, billed } = estimateMinutes(cells, catalog);
  const lines = [
    '## native-matrix plan',
    '',
    `| platform | runner | tag | ${columns.join(' | ')} |`,
    `| --- | --- | --- | ${columns.map(() => ':---:').join(' | ')} |`,
    ...platforms.map((platform) => {
      const runner = cells.find((c) => rowOf(c) === platform)!.runner;
      const entries = columns.map((column) => {
        const id = at(platform, column);
        return id ? `\`${escapeMarkdown(id)}\`` : '—';
      });
      const tag = catalog.platforms.has(platform) ? platformTagFor(catalog.platforms.get(platform)!, linux) : SDIST_TAG;
      return `| ${platform} | \`${runner}\` | \`${escapeMarkdown(tag)}\` | ${entries.join(' | ')} |`;
    }),
    '',
    `**${cells.length} ${cells.length === 1 ? 'cell' : 'cells'}**, about ${minutes} runner minutes ` +
      `(${billed} billed minutes with GitHub's multipliers: Linux ×${catalog.minuteMultipliers.linux}, ` +
      `Windows ×${catalog.minuteMultipliers.windows}, macOS ×${catalog.minuteMultipliers.macos}). ` +
      `Publish: **${publish ? 'yes' : 'no'}**.`,
    '',
  ];
  return lines.join('\n');
}

/** The plan as a terminal table. */
export function planTable(cells: readonly Cell[], catalog: Catalog, publish: boolean, linux: Config['linux']): string {
  const { minutes, billed } = estimateMinutes(cells, catalog);
  const header = ['cell', 'runner', 'target', 'tag', 'python', 'abi3'];
  const rows = cells.map((c) => [
    c.id + (c.experimental ? ' (experimental)' : ''),
    c.runner,
    c.target,
    c.sdist ? SDIST_TAG : platformTagFor(catalog.platforms.get(c.platform)!, linux),
    cellPythons(c).join(' ') || '—',
    c.abi3 ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (row: string[]) =>
    row
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...rows.map(format),
    '',
    `${cells.length} ${cells.length === 1 ? 'cell' : 'cells'}, about ${minutes} runner minutes (${billed} billed); publish: ${publish ? 'yes' : 'no'}`,
  ].join('\n');
}
