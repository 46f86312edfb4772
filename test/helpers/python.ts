import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './engine.js';

/** The newest pyenv CPython of a minor version: `3.12` → …/versions/3.12.1/bin/python3. */
export function pythonPath(version: string): string {
  const root = path.join(process.env.PYENV_ROOT ?? path.join(process.env.HOME ?? '/root', '.pyenv'), 'versions');
  const dir = readdirSync(root)
    .filter((name) => name.startsWith(`${version}.`))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .at(-1);
  if (!dir) throw new Error(`no CPython ${version} under ${root}`);
  return path.join(root, dir, 'bin', 'python3');
}

/** The tests' own pypiserver and twine (scripts/install-deps.sh), apart from native-matrix's tool environments. */
export const PYPI_VENV = path.join(ROOT, '.cache/pypi-venv/bin');

/** `twine check --strict`, run independently of the build's own check. */
export function twineCheck(files: readonly string[]) {
  const twine = path.join(PYPI_VENV, 'twine');
  if (!existsSync(twine)) throw new Error(`${twine} is missing: run scripts/install-deps.sh`);
  return spawnSync(twine, ['--no-color', 'check', '--strict', ...files], { encoding: 'utf8' });
}
