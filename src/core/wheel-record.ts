import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { readZip, writeZip, type ZipEntry } from './archive.js';

/** A RECORD line's hash: sha256, urlsafe base64 without padding (the wheel spec's form). */
export const recordHash = (data: Buffer) => `sha256=${createHash('sha256').update(data).digest('base64url')}`;

const RECORD = /^[^/]+\.dist-info\/RECORD$/;

/** A RECORD line's path: the first CSV field, quoted when it holds a comma or a quote. */
function recordPath(line: string): string {
  if (!line.startsWith('"')) return line.slice(0, line.indexOf(','));
  const match = /^"((?:[^"]|"")*)"/.exec(line);
  return match ? match[1]!.replace(/""/g, '"') : line;
}

const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/**
 * RECORD with the lines of `changed` files rewritten (hash and size) and
 * those of new files added before RECORD's own line; every other line as it
 * was, and its line ends too (auditwheel's csv writer ends lines with CRLF, maturin with LF).
 */
export function updateRecord(record: string, changed: ReadonlyMap<string, Buffer>): string {
  const eol = record.includes('\r\n') ? '\r\n' : '\n';
  const lines = record.split(eol);
  const seen = new Set<string>();
  const updated = lines.map((line) => {
    if (line === '') return line;
    const name = recordPath(line);
    const content = changed.get(name);
    if (!content) return line;
    seen.add(name);
    return `${csvField(name)},${recordHash(content)},${content.length}`;
  });
  const added = [...changed].filter(([name]) => !seen.has(name)).map(([name, content]) => `${csvField(name)},${recordHash(content)},${content.length}`);
  if (added.length === 0) return updated.join(eol);
  const own = updated.findIndex((line) => line !== '' && RECORD.test(recordPath(line)));
  const at = own >= 0 ? own : updated.length - (updated.at(-1) === '' ? 1 : 0);
  return [...updated.slice(0, at), ...added, ...updated.slice(at)].join(eol);
}

/**
 * Rewrites a wheel in place with `changed` (entry name → content): existing
 * entries get the new content, new ones go just before RECORD, and RECORD
 * follows. Every other entry keeps its content, order and mode; every entry
 * is dated `epochSeconds`, so the result is the same bytes on every machine.
 */
export async function rewriteWheel(wheel: string, changed: ReadonlyMap<string, Buffer>, epochSeconds: number): Promise<void> {
  const entries = await readZip(wheel);
  const present = new Set(entries.map((e) => e.name));
  const additions: ZipEntry[] = [...changed].filter(([name]) => !present.has(name)).map(([name, data]) => ({ name, data, mode: 0o100644, compress: true }));
  const updated: ZipEntry[] = [];
  for (const entry of entries) {
    if (RECORD.test(entry.name)) {
      updated.push(...additions, { ...entry, data: Buffer.from(updateRecord(entry.data.toString('utf8'), changed), 'utf8') });
      continue;
    }
    const data = changed.get(entry.name);
    updated.push(data ? { ...entry, data } : entry);
  }
  if (!entries.some((e) => RECORD.test(e.name))) throw new Error(`${wheel} has no .dist-info/RECORD`);
  const scratch = `${wheel}.rewrite-tmp`;
  try {
    await writeZip(updated, scratch, epochSeconds);
    await rename(scratch, wheel);
  } finally {
    await rm(scratch, { force: true });
  }
}
