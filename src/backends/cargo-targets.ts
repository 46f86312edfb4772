import { createHash } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostFacts } from '../core/host.js';
import type { CommandRunner } from '../core/process/runner.js';
import { cargoConfigFiles } from '../project/cargo-rustflags.js';
import { cacheKey } from '../core/cache.js';
import type { Interpreter } from '../core/interpreters.js';

// Warm Rust builds. PyO3's build configuration is the interpreter's, so one
// cargo target directory shared by the Pythons of a cell recompiles pyo3-ffi,
// pyo3 and the crate for every Python on every build. Each build gets a
// directory of its own instead, named by a digest of everything that shapes
// what cargo compiles there (the workspace, its Cargo.lock, the toolchain,
// cargo's config, the target, the command line, the variables the build
// sees, and the interpreter), so a second build of an unchanged project
// compiles nothing. cargo's own fingerprints still decide what is fresh
// inside a directory; the digest keeps builds that would evict each other
// apart, and a changed lockfile or toolchain out of an old directory.

/** Where the directories live: under native-matrix's cache root. */
export const cargoTargetsRoot = (cacheDir: string) => path.join(cacheDir, 'cargo-target');

/** The record each directory holds of what it is for and when it was last used. */
export const TARGET_RECORD = '.native-matrix-target.json';

/** A directory unused for this long is removed. */
export const TARGET_MAX_AGE_DAYS = 14;
/** Of the directories of one workspace, target and interpreter (older lockfiles, toolchains, settings), the most recently used this many are kept. */
export const TARGETS_PER_SLOT = 2;

interface TargetRecord {
  readonly schema: 1;
  readonly key: string;
  /** Everything but the interpreter: directories of one family differ only in what PyO3 is built for, so one seeds another. */
  readonly family: string;
  /** The workspace, target and interpreter: the directories of a slot replace each other as the lockfile or the toolchain changes. */
  readonly slot: string;
  readonly label: string;
  readonly lastUsed: number;
}

/** What every build of a Rust workspace shares, read once per build. */
export interface RustWorkspaceFacts {
  /** The workspace root, its links resolved: a checkout elsewhere gets directories of its own (cargo judges a member fresh by its files' times). */
  readonly workspace: string;
  /** The sha256 of the workspace's Cargo.lock, or `none`. */
  readonly lock: string;
  /** `rustc -vV` in the project's directory (its rust-toolchain.toml names the toolchain). */
  readonly toolchain: string;
  /** The sha256 of each cargo config file that applies. */
  readonly cargoConfig: Readonly<Record<string, string>>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function fileDigest(file: string): Promise<string> {
  try {
    return sha256(await readFile(file));
  } catch {
    return 'none';
  }
}

/** Reads the workspace root, its lockfile's digest, the toolchain and cargo's config for a project. */
export async function rustWorkspaceFacts(runner: CommandRunner, projectDir: string, env: Readonly<Record<string, string | undefined>>, host: HostFacts): Promise<RustWorkspaceFacts> {
  const located = await runner.run('cargo', ['locate-project', '--workspace', '--message-format', 'plain'], { cwd: projectDir, env, quiet: true, allowFailure: true, purpose: 'cargo locate-project' });
  const manifest = located.exitCode === 0 ? located.stdout.trim() : '';
  const workspaceDir = manifest && path.isAbsolute(manifest) ? path.dirname(manifest) : projectDir;
  const workspace = await realpath(workspaceDir).catch(() => workspaceDir);
  const rustc = await runner.run(env.RUSTC ?? 'rustc', ['-vV'], { cwd: projectDir, env, quiet: true, allowFailure: true, purpose: 'rustc -vV' });
  const configs = cargoConfigFiles(projectDir, env, host);
  return {
    workspace,
    lock: await fileDigest(path.join(workspaceDir, 'Cargo.lock')),
    toolchain: rustc.exitCode === 0 ? rustc.stdout.trim() : `unknown: ${rustc.stderr.trim()}`,
    cargoConfig: Object.fromEntries(await Promise.all(configs.map(async (file) => [file, await fileDigest(file)] as const))),
  };
}

/**
 * The variables of a build that shape what cargo compiles: rustc's and
 * cargo's, the C toolchain's (build scripts compile C), PyO3's and
 * maturin's, and GMP's. Others (the runner's, the shell's) do not, and
 * cargo's own fingerprints notice any a build script declares.
 */
const KEYED_VARIABLE =
  /^(RUST(C|C_WRAPPER|C_WORKSPACE_WRAPPER|FLAGS|UP_TOOLCHAIN)|CARGO_(ENCODED_RUSTFLAGS|BUILD_.+|PROFILE_.+|TARGET_.+|UNSTABLE_.+)|PYO3_.+|MATURIN_.+|(TARGET_|HOST_)?(CC|CXX|AR|CFLAGS|CXXFLAGS|CPPFLAGS|LDFLAGS)(_.+)?|PKG_CONFIG.*|GMP.*|DEP_.+|MACOSX_DEPLOYMENT_TARGET|SDKROOT|ZIG.*|CARGO_ZIGBUILD_.+)$/;

/** Never keyed: the directory itself, and where cargo keeps its downloads. */
const UNKEYED = new Set(['CARGO_TARGET_DIR', 'CARGO_BUILD_TARGET_DIR', 'CARGO_HOME']);

export function keyedVariables(machine: Readonly<Record<string, string | undefined>>, step: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const keyed: Record<string, string> = {};
  for (const [name, value] of Object.entries(machine)) if (value !== undefined && KEYED_VARIABLE.test(name) && !UNKEYED.has(name)) keyed[name] = value;
  // Everything the step sets itself (ours and the user's build.environment).
  for (const [name, value] of Object.entries(step)) if (value !== undefined && !UNKEYED.has(name)) keyed[name] = value;
  return keyed;
}

/** What a Rust build is, apart from the interpreter. */
export interface RustBuild {
  /** Where the directories live (`cargoTargetsRoot`). */
  readonly root: string;
  readonly facts: RustWorkspaceFacts;
  readonly target: string;
  readonly profile: string;
  /** The build's command line, without what names the interpreter or the output. */
  readonly args: readonly string[];
  /** `keyedVariables` of the build. */
  readonly env: Readonly<Record<string, string>>;
  /** The versions of the tools that drive cargo (maturin, zig). */
  readonly tools: Readonly<Record<string, string>>;
}

/** What identifies an interpreter to PyO3's build configuration. */
export function interpreterIdentity(interpreter: Interpreter, abi3: boolean): Record<string, unknown> {
  const { version, fullVersion, freeThreaded, executable, foreign } = interpreter;
  return foreign ? { version, freeThreaded, abi3, foreign: { buildAs: foreign.buildAs ?? null, sysroot: foreign.sysroot } } : { version, fullVersion, freeThreaded, abi3, executable };
}

/** The digests that name a build's directory, its family (all but the interpreter) and its slot. */
export function targetDirKeys(build: RustBuild, interpreter: Record<string, unknown>): { key: string; family: string; slot: string } {
  const { facts, target, profile, args, env, tools } = build;
  const family = cacheKey({ schema: 1, facts, target, profile, args, env, tools });
  const key = cacheKey({ family, interpreter });
  const slot = cacheKey({ workspace: facts.workspace, target, version: interpreter.version, freeThreaded: interpreter.freeThreaded, abi3: interpreter.abi3 });
  return { key, family, slot };
}

async function readRecord(dir: string): Promise<TargetRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path.join(dir, TARGET_RECORD), 'utf8')) as TargetRecord;
    return record?.schema === 1 && typeof record.lastUsed === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

const writeRecord = (dir: string, record: TargetRecord) => writeFile(path.join(dir, TARGET_RECORD), `${JSON.stringify(record)}\n`);

/** Every directory under `root` with its record (undefined for one without: an interrupted seed). */
async function listTargetDirs(root: string): Promise<{ name: string; dir: string; record?: TargetRecord }[]> {
  const names = existsSync(root) ? await readdir(root).catch(() => []) : [];
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(root, name);
      const record = await readRecord(dir);
      return { name, dir, ...(record ? { record } : {}) };
    }),
  );
}

export interface OpenedTargetDir {
  readonly dir: string;
  readonly key: string;
  /** `warm`: used before; `seeded`: a copy of `from`, another interpreter's directory of the same build; `new`: empty. */
  readonly state: 'warm' | 'seeded' | 'new';
  readonly from?: string;
}

/**
 * The directory of `build` for `interpreter`, marked as used now. A new one
 * starts as a copy of the most recently used directory of its family (the
 * same build for another interpreter), so that cargo compiles again only
 * what PyO3's configuration changes, as it would in one shared directory.
 * cargo accepts a moved target directory: it records paths inside it
 * relative to it, and rewrites its build scripts' output directories.
 */
export async function openTargetDir(build: RustBuild, interpreter: Record<string, unknown>, label: string, now = Date.now()): Promise<OpenedTargetDir> {
  const { key, family, slot } = targetDirKeys(build, interpreter);
  const dir = path.join(build.root, key);
  const record: TargetRecord = { schema: 1, key, family, slot, label, lastUsed: now };
  const existing = await readRecord(dir);
  if (existing) {
    await writeRecord(dir, record);
    return { dir, key, state: 'warm' };
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(build.root, { recursive: true });
  const seed = (await listTargetDirs(build.root)).filter((entry) => entry.record?.family === family && entry.name !== key).sort((a, b) => b.record!.lastUsed - a.record!.lastUsed)[0];
  if (seed) {
    // Copied aside, then renamed into place: an interrupted copy is never taken for a directory.
    const partial = path.join(build.root, `${key}.partial-${process.pid}`);
    try {
      await rm(partial, { recursive: true, force: true });
      // Times kept: cargo compares them. A copy-on-write clone where the file system has it.
      await cp(seed.dir, partial, {
        recursive: true,
        preserveTimestamps: true,
        verbatimSymlinks: true,
        mode: fsConstants.COPYFILE_FICLONE,
        filter: (source) => path.basename(source) !== TARGET_RECORD,
      });
      await writeRecord(partial, record);
      await rename(partial, dir);
      return { dir, key, state: 'seeded', from: seed.record!.label };
    } catch {
      await rm(partial, { recursive: true, force: true });
    }
  }
  await mkdir(dir, { recursive: true });
  await writeRecord(dir, record);
  return { dir, key, state: 'new' };
}

/**
 * Removes what will not be used again, keeping `keep` (this build's): a
 * directory unused for TARGET_MAX_AGE_DAYS, all but the TARGETS_PER_SLOT most
 * recently used of a slot, and what an interrupted copy left.
 */
export async function pruneTargetDirs(root: string, keep: ReadonlySet<string>, now = Date.now()): Promise<string[]> {
  const entries = await listTargetDirs(root);
  const removed: string[] = [];
  const remove = async (entry: { name: string; dir: string }) => {
    await rm(entry.dir, { recursive: true, force: true });
    removed.push(entry.name);
  };
  const bySlot = new Map<string, { name: string; dir: string; record?: TargetRecord }[]>();
  for (const entry of entries) {
    if (keep.has(entry.name)) continue;
    if (!entry.record) {
      // A copy in progress in another process is left alone for an hour.
      const age =
        now -
        (await stat(entry.dir)
          .then((s) => s.mtimeMs)
          .catch(() => 0));
      if (age > 3_600_000) await remove(entry);
      continue;
    }
    if (now - entry.record.lastUsed > TARGET_MAX_AGE_DAYS * 86_400_000) {
      await remove(entry);
      continue;
    }
    bySlot.set(entry.record.slot, [...(bySlot.get(entry.record.slot) ?? []), entry]);
  }
  const kept = entries.filter((entry) => keep.has(entry.name) && entry.record);
  for (const [slot, members] of bySlot) {
    const room = TARGETS_PER_SLOT - kept.filter((entry) => entry.record!.slot === slot).length;
    const newest = [...members].sort((a, b) => b.record!.lastUsed - a.record!.lastUsed);
    for (const entry of newest.slice(Math.max(room, 0))) await remove(entry);
  }
  return removed;
}

/** The names of the directories used since `since` (ms): what a build just used. */
export async function targetDirsUsedSince(root: string, since: number): Promise<string[]> {
  return (await listTargetDirs(root))
    .filter((entry) => entry.record && entry.record.lastUsed >= since)
    .map((entry) => entry.name)
    .sort();
}
