import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import checkLinuxWheel from '../../python/check_linux_wheel.py';
import checkMacosWheel from '../../python/check_macos_wheel.py';
import type { CommandRunner } from './process/runner.js';

// Small Python programs that run in the tool environment, where the
// libraries that read wheels and binaries (pyelftools and auditwheel's
// policies; macholib) live. Bundled as text; written out when first used.
const HELPERS = { check_linux_wheel: checkLinuxWheel, check_macos_wheel: checkMacosWheel } as const;
export type PythonHelper = keyof typeof HELPERS;

let helperDir: Promise<string> | undefined;

async function helperPath(name: PythonHelper): Promise<string> {
  helperDir ??= mkdtemp(path.join(tmpdir(), 'native-matrix-helpers-'));
  const file = path.join(await helperDir, `${name}.py`);
  await writeFile(file, HELPERS[name]);
  return file;
}

/** Runs a helper with the given interpreter and returns its JSON output. */
export async function runPythonHelper(runner: CommandRunner, python: string, name: PythonHelper, args: readonly string[]): Promise<unknown> {
  const result = await runner.run(python, [await helperPath(name), ...args], { quiet: true, purpose: name.replace(/_/g, ' ') });
  return JSON.parse(result.stdout);
}
