import type { Interpreter } from './interpreters.js';
import { pythonCommand } from './interpreters.js';

// How Python environments are made and filled: uv where it can run the
// interpreter (an order of magnitude faster than pip, and no pip in the
// environment), else the tool environment's pinned pip run by the
// interpreter itself. Chosen by installerFor, for the tool environment and
// for every smoke and test environment.

export type Command = readonly [file: string, args: readonly string[]];

export interface Installer {
  readonly name: 'uv' | 'pip';
  /** Creates a virtual environment without pip for `interpreter` at `dir`. */
  createVenv(dir: string): Command;
  /** Installs `requirements` into the environment whose interpreter is `venvPython`. */
  install(venvPython: string, args: readonly string[]): Command;
  /** The variables that point the installer at the user's package index (from theirs). */
  indexEnv(env: NodeJS.ProcessEnv): Record<string, string>;
}

/** Variables that name a package index, its credentials and how to reach it: passed to installs that use the index. */
const INDEX_VARIABLES = [
  'PIP_INDEX_URL',
  'PIP_EXTRA_INDEX_URL',
  'PIP_TRUSTED_HOST',
  'PIP_CERT',
  'PIP_CLIENT_CERT',
  'PIP_DEFAULT_TIMEOUT',
  'PIP_TIMEOUT',
  'PIP_RETRIES',
  'PIP_PROXY',
  'UV_DEFAULT_INDEX',
  'UV_INDEX',
  'UV_INDEX_URL',
  'UV_EXTRA_INDEX_URL',
  'UV_INSECURE_HOST',
  'UV_NATIVE_TLS',
  'UV_CACHE_DIR',
  'UV_HTTP_TIMEOUT',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'XDG_CACHE_HOME',
  'LOCALAPPDATA',
  'APPDATA',
];

function passIndexVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(INDEX_VARIABLES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!]));
}

/** uv reads its own variables: the pip ones a user set are translated, unless they set uv's too. */
function uvIndexEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const passed = passIndexVariables(env);
  const uvIndexSet = ['UV_DEFAULT_INDEX', 'UV_INDEX_URL'].some((name) => passed[name] !== undefined);
  return {
    ...passed,
    ...(!uvIndexSet && passed.PIP_INDEX_URL ? { UV_DEFAULT_INDEX: passed.PIP_INDEX_URL } : {}),
    ...(passed.UV_INDEX === undefined && passed.UV_EXTRA_INDEX_URL === undefined && passed.PIP_EXTRA_INDEX_URL ? { UV_INDEX: passed.PIP_EXTRA_INDEX_URL } : {}),
    ...(passed.UV_INSECURE_HOST === undefined && passed.PIP_TRUSTED_HOST ? { UV_INSECURE_HOST: passed.PIP_TRUSTED_HOST } : {}),
    ...(passed.SSL_CERT_FILE === undefined && passed.PIP_CERT ? { SSL_CERT_FILE: passed.PIP_CERT } : {}),
  };
}

export function uvInstaller(uv: string, python: string): Installer {
  return {
    name: 'uv',
    createVenv: (dir) => [uv, ['venv', '--quiet', '--no-project', '--no-config', '--python', python, dir]],
    install: (venvPython, args) => [uv, ['pip', 'install', '--no-config', '--python', venvPython, ...args]],
    indexEnv: uvIndexEnv,
  };
}

export function pipInstaller(interpreter: Pick<Interpreter, 'foreign' | 'executable'>, pipRunner: string): Installer {
  return {
    name: 'pip',
    createVenv: (dir) => pythonCommand(interpreter, interpreter.executable, ['-m', 'venv', '--without-pip', dir]),
    install: (venvPython, args) => pythonCommand(interpreter, venvPython, [pipRunner, 'install', '--disable-pip-version-check', '--no-input', ...args]),
    indexEnv: passIndexVariables,
  };
}

/**
 * The installer for environments of `interpreter`: uv when there is one and
 * it can run the interpreter (not a foreign one, which runs under an
 * emulator), else pip.
 */
export function installerFor(interpreter: Pick<Interpreter, 'foreign' | 'executable'>, tools: { readonly uv?: string; readonly pipRunner: string }): Installer {
  return tools.uv && !interpreter.foreign ? uvInstaller(tools.uv, interpreter.executable) : pipInstaller(interpreter, tools.pipRunner);
}
