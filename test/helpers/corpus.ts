import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { downloadVerified } from '../../src/core/download.js';
import { untarTo } from '../../src/core/archive.js';
import { ROOT } from './engine.js';

/**
 * Real third-party projects, pinned by version and sha256, that the
 * integration tests build unmodified: each is unpacked as published and built
 * with a config of ours that lives outside its tree (`config`, passed as
 * --config, with the unpacked project as the working directory).
 */
export interface CorpusProject {
  readonly name: string;
  readonly version: string;
  /** An sdist on PyPI or a crate on crates.io (both gzipped tarballs with one top directory). */
  readonly url: string;
  readonly sha256: string;
  readonly backend: 'setuptools' | 'maturin' | 'cargo';
  readonly kind: 'wheel' | 'binary';
  /** The native-matrix config it is built with, under test/corpus/. */
  readonly config: string;
}

export const CORPUS = {
  // A setuptools C extension linking GMP, MPFR and MPC; its sdist ships its pytest suite (test/).
  gmpy2: {
    name: 'gmpy2',
    version: '2.3.2',
    url: 'https://files.pythonhosted.org/packages/0b/3d/1c648af871024438207d5a017fb3f0ebc6da6b59bb9ff6f5047464a3192d/gmpy2-2.3.2.tar.gz',
    sha256: 'f20b7e2f8fd16f8d6846bb5b73359c3cc5aa41ec5cf266321d362f547c8fd097',
    backend: 'setuptools',
    kind: 'wheel',
    config: 'gmpy2.yml',
  },
  // A maturin/PyO3 0.23 extension on rug 1.30 and gmp-mpfr-sys 1.7 (GMP built by
  // gmp-mpfr-sys and linked statically); its sdist ships its pytest suite (tests/).
  pypaillier: {
    name: 'pypaillier',
    version: '0.8.0',
    url: 'https://files.pythonhosted.org/packages/6f/c9/cdf2710681612fdea6cb2185750666225759a7177f6c49fe6844927dbdef/pypaillier-0.8.0.tar.gz',
    sha256: '31095b252c71c666c165a2dbff4f5a6e1e93cd923e309bf886326552b906ae6a',
    backend: 'maturin',
    kind: 'wheel',
    config: 'pypaillier.yml',
  },
} as const satisfies Record<string, CorpusProject>;

/** Where fetched projects are kept between runs: NATIVE_MATRIX_TEST_CORPUS, else the user's cache directory. */
export function corpusCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NATIVE_MATRIX_TEST_CORPUS) return path.resolve(env.NATIVE_MATRIX_TEST_CORPUS);
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'native-matrix-test-corpus');
}

/** The config file a project is built with. */
export const corpusConfig = (project: CorpusProject) => path.join(ROOT, 'test/corpus', project.config);

/**
 * The project's published tree, downloaded (sha256 verified) and unpacked
 * once into the cache, which is never built in; returns the path of the
 * unpacked top directory.
 */
export async function fetchProject(project: CorpusProject, cacheDir = corpusCacheDir()): Promise<string> {
  const tree = path.join(cacheDir, 'trees', `${project.name}-${project.version}-${project.sha256.slice(0, 16)}`);
  const complete = path.join(tree, '.complete');
  if (!existsSync(complete)) {
    const tarball = await downloadVerified(project.url, project.sha256, path.join(cacheDir, 'downloads'), `corpus ${project.name}`);
    await mkdir(path.dirname(tree), { recursive: true });
    const partial = await mkdtemp(`${tree}.partial-`);
    await untarTo(tarball, partial);
    const tops = await readdir(partial);
    if (tops.length !== 1) throw new Error(`${project.url} should hold one top directory, not ${tops.join(', ')}`);
    await writeFile(path.join(partial, '.complete'), `${tops[0]}\n`);
    await rm(tree, { recursive: true, force: true });
    await rename(partial, tree);
  }
  const [top] = (await readdir(tree)).filter((name) => name !== '.complete');
  return path.join(tree, top!);
}

/**
 * A fresh copy of the project's published tree to build in (builds write
 * into it: setuptools' build/ and egg-info), outside this repository, so
 * that no git checkout or config of ours surrounds it.
 */
export async function checkoutProject(project: CorpusProject, cacheDir = corpusCacheDir()): Promise<string> {
  const source = await fetchProject(project, cacheDir);
  const dir = await mkdtemp(path.join(tmpdir(), `native-matrix-corpus-${project.name}-`));
  const copy = path.join(dir, path.basename(source));
  await cp(source, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}
