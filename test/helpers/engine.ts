import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../../src/stages/manifest.js';
import { buildMany, type BuildManyOptions } from '../../src/commands/build-many.js';
import type { Problem } from '../../src/core/errors.js';
import { ExecaRunner, type CommandRunner, type RunOptions } from '../../src/core/process/runner.js';
import type { Reporter } from '../../src/core/reporter.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (name: string) => path.join(ROOT, 'test/fixtures', name);

/**
 * The CPythons scripts/install-deps.sh extracts into .cache/python, as
 * scripts/embedded-pythons.sh makes them findable for `npm test`: Linux ones
 * at the end of PATH, and every platform's under NATIVE_MATRIX_PYTHONS.
 */
export function embeddedPythonsEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const root = path.join(ROOT, '.cache/python');
  const linux = (existsSync(root) ? readdirSync(root) : []).filter((name) => name.startsWith('linux-x86_64-') && existsSync(path.join(root, name, 'bin'))).map((name) => path.join(root, name, 'bin'));
  const pathDirs = (env.PATH ?? '').split(path.delimiter);
  return {
    PATH: [...pathDirs, ...linux.filter((dir) => !pathDirs.includes(dir))].join(path.delimiter),
    NATIVE_MATRIX_PYTHONS: env.NATIVE_MATRIX_PYTHONS ?? root,
  };
}

/** Shared across the integration tests of one run, so cargo compiles each crate once. */
export const CARGO_TARGET_DIR = path.join(tmpdir(), 'native-matrix-test-target');

/** Collects what the engine reports, and echoes it when NATIVE_MATRIX_TEST_LOG is set. */
export class RecordingReporter implements Reporter {
  readonly lines: string[] = [];
  readonly warnings: Problem[] = [];
  info(message: string) {
    this.lines.push(message);
    if (process.env.NATIVE_MATRIX_TEST_LOG) process.stderr.write(`${message}\n`);
  }
  status(message: string) {
    this.info(message);
  }
  warning(problem: Problem) {
    this.warnings.push(problem);
  }
  async group<T>(title: string, work: () => Promise<T>) {
    this.info(`==> ${title}`);
    return work();
  }
  async section<T>(title: string, work: () => Promise<T>) {
    this.info(title);
    return work();
  }
}

export const quietLog = (): NodeJS.WritableStream => (process.env.NATIVE_MATRIX_TEST_LOG ? process.stderr : { write: () => true }) as unknown as NodeJS.WritableStream;

/**
 * Builds a fixture with the real engine and returns the manifests. A cell
 * that fails (unless `expectFailure`) fails the test with the cell's own
 * error, as its manifest records it, rather than leaving the test to trip
 * over a missing manifest.
 */
export async function buildFixture(
  name: string,
  { expectFailure = false, ...options }: Partial<BuildManyOptions> & { env?: NodeJS.ProcessEnv; expectFailure?: boolean } = {},
): Promise<{ outRoot: string; manifests: Manifest[]; result: Awaited<ReturnType<typeof buildMany>>; log: readonly string[]; warnings: readonly Problem[] }> {
  const outRoot = options.outRoot ?? mkdtempSync(path.join(tmpdir(), `native-matrix-out-${name}-`));
  const reporter = new RecordingReporter();
  const result = await buildMany(
    {
      workingDirectory: fixture(name),
      skipForeign: false,
      runner: new ExecaRunner(quietLog()),
      ...options,
      outRoot,
      env: { ...process.env, ...embeddedPythonsEnv(), CARGO_TARGET_DIR, ...options.env },
    },
    reporter,
  );
  if (!expectFailure && result.failed.length > 0) throw new Error(await cellErrors(outRoot, result.failed));
  const manifests = await Promise.all(result.outcomes.map(async (o) => JSON.parse(await readFile(o.manifestPath, 'utf8')) as Manifest));
  return { outRoot, manifests, result, log: reporter.lines, warnings: reporter.warnings };
}

/** Each failed cell's own error: its manifest's `error` when it wrote one, else what was thrown. */
export async function cellErrors(outRoot: string, failed: Awaited<ReturnType<typeof buildMany>>['failed']): Promise<string> {
  const lines = await Promise.all(
    failed.map(async ({ cell, error }) => {
      const manifest = await readFile(path.join(outRoot, cell.id, 'manifest.json'), 'utf8').then(
        (text) => JSON.parse(text) as Manifest,
        () => undefined,
      );
      return `cell ${cell.id} failed: ${manifest?.error ?? error.message}`;
    }),
  );
  return lines.join('\n');
}

/**
 * Runs every command inside a private mount namespace in which the given
 * files are replaced by /dev/null: the system's libgmp is then unloadable,
 * for this process tree only.
 */
export class MaskingRunner implements CommandRunner {
  constructor(
    private readonly inner: CommandRunner,
    private readonly hidden: readonly string[],
  ) {}

  run(file: string, args: readonly string[], options: RunOptions = {}) {
    const script = 'for f in $NM_MASK; do mount --bind /dev/null "$f" || exit 97; done; exec "$@"';
    return this.inner.run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', file, ...args], {
      ...options,
      env: { ...options.env, NM_MASK: this.hidden.join(' ') },
    });
  }
}

/**
 * Masks the files (as MaskingRunner) for the smoke tests' interpreters only:
 * the build links the system's libgmp, the import must not find it.
 */
export class SmokeMaskingRunner implements CommandRunner {
  private readonly masked: MaskingRunner;
  constructor(
    private readonly inner: CommandRunner,
    hidden: readonly string[],
  ) {
    this.masked = new MaskingRunner(inner, hidden);
  }

  run(file: string, args: readonly string[], options: RunOptions = {}) {
    return (/\/smoke-[^/]+\/venv\/bin\/python$/.test(file) ? this.masked : this.inner).run(file, args, options);
  }
}

/** The newest GLIBC_x.y symbol version an ELF file needs, by objdump. */
export function newestGlibc(file: string): string | undefined {
  const result = spawnSync('objdump', ['-T', file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`objdump -T ${file}: ${result.stderr}`);
  const versions = [...result.stdout.matchAll(/\(?GLIBC_(\d+)\.(\d+)(?:\.\d+)?\)?/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  const newest = versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1);
  return newest && `${newest[0]}.${newest[1]}`;
}

/** Every ELF file under a directory. */
export function elfFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => readFileSync(file).subarray(0, 4).toString('latin1') === '\x7fELF');
}

/**
 * What a child started with a minimal environment (the action, as the
 * runner starts it) still needs from this machine: where its caches are,
 * and the certificates and proxies its package index may need.
 */
export function machineEnv(): Record<string, string> {
  const names = [
    'HOME',
    'PYENV_ROOT',
    'XDG_CACHE_HOME',
    'NATIVE_MATRIX_CACHE',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'PIP_CERT',
    'HTTPS_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'http_proxy',
    'NO_PROXY',
    'no_proxy',
  ];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** Debian 11's root file system (glibc 2.31), as scripts/install-deps.sh makes it. */
export const OLD_USERLAND = path.join(ROOT, '.cache/debian-bullseye');

/**
 * Runs `python` (Debian 11's own, or another that needs no newer glibc) with
 * Debian 11's dynamic loader and libraries, so that everything it loads links
 * against glibc 2.31 instead of the host's.
 */
export function runWithOldGlibc(python: string, args: readonly string[], cwd: string) {
  const libDirs = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'].map((dir) => path.join(OLD_USERLAND, dir));
  const loader = path.join(OLD_USERLAND, 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  if (!existsSync(loader)) throw new Error(`no Debian 11 userland at ${OLD_USERLAND}: run scripts/install-deps.sh`);
  return spawnSync(loader, ['--library-path', libDirs.join(':'), python, ...args], { encoding: 'utf8', cwd, env: { PATH: '/usr/bin:/bin' } });
}

/** Python code that prints the glibc version the process runs with. */
export const PRINT_GLIBC = "import ctypes; v = ctypes.CDLL('libc.so.6').gnu_get_libc_version; v.restype = ctypes.c_char_p; print('glibc', v().decode())";
