import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CommandLog } from '../core/process/runner.js';
import { moveFile } from '../core/archive.js';
import { CELL_LOG_FILE } from '../core/names.js';

export interface CellLog extends CommandLog {
  /** Moves the log to its place beside the manifest (whose directory the build makes). */
  keep(): Promise<void>;
  /** Closes it without keeping it (a cell this host does not build). */
  close(): Promise<void>;
}

/** Names of variables that hold credentials by convention (GITHUB_TOKEN, TWINE_PASSWORD, INPUT_GITHUB-TOKEN, AWS_SECRET_ACCESS_KEY …). */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_?KEY|AUTH/i;

/**
 * Replaces the values of the environment's credentials with *** in what the
 * log keeps: build.log travels with the cell's artifact, where GitHub's own
 * masking of the job's log does not reach.
 */
export function secretRedactor(env: NodeJS.ProcessEnv): (text: string) => string {
  const secrets = [
    ...new Set(
      Object.entries(env)
        .filter(([name, value]) => SECRET_NAME.test(name) && value && value.length >= 8)
        .map(([, value]) => value!),
    ),
  ];
  if (secrets.length === 0) return (text) => text;
  secrets.sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((kept, secret) => kept.split(secret).join('***'), text);
}

/**
 * Opens a cell's log in its scratch directory: the output directory is only
 * cleared once the cell is known to build here, and a failure names the
 * log's final path, where it will be.
 */
export async function openCellLog(workDir: string, finalPath: string, env: NodeJS.ProcessEnv = process.env): Promise<CellLog> {
  const scratch = path.join(workDir, CELL_LOG_FILE);
  const redact = secretRedactor(env);
  const stream = createWriteStream(scratch);
  // A log that cannot be made fails here, not later as an unhandled stream error.
  await once(stream, 'open');
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve()))));
  return {
    path: path.relative(process.cwd(), finalPath) || finalPath,
    write(text) {
      if (!closed) stream.write(redact(typeof text === 'string' ? text : Buffer.from(text).toString('utf8')));
    },
    close,
    async keep() {
      await close();
      await mkdir(path.dirname(finalPath), { recursive: true });
      await moveFile(scratch, finalPath);
    },
  };
}
