import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CommandLog } from '../process/runner.js';
import { moveFile } from './archive.js';

/** A cell's full log, beside its manifest.json (and uploaded with it). */
export const CELL_LOG_FILE = 'build.log';

export interface CellLog extends CommandLog {
  /** Moves the log to its place beside the manifest (whose directory the build makes). */
  keep(): Promise<void>;
  /** Closes it without keeping it (a cell this host does not build). */
  close(): Promise<void>;
}

/**
 * Opens a cell's log in its scratch directory: the output directory is only
 * cleared once the cell is known to build here, and a failure names the
 * log's final path, where it will be.
 */
export async function openCellLog(workDir: string, finalPath: string): Promise<CellLog> {
  const scratch = path.join(workDir, CELL_LOG_FILE);
  const stream = createWriteStream(scratch);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))));
  return {
    path: path.relative(process.cwd(), finalPath) || finalPath,
    write(text) {
      if (!closed) stream.write(text);
    },
    close,
    async keep() {
      await close();
      await mkdir(path.dirname(finalPath), { recursive: true });
      await moveFile(scratch, finalPath);
    },
  };
}
