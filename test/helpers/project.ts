import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A maturin project with pyo3's abi3-py310 feature, as most configs here assume. */
export const ABI3_MATURIN_PROJECT: Record<string, string> = {
  'pyproject.toml': `[build-system]
requires = ["maturin>=1.7,<2"]
build-backend = "maturin"

[project]
name = "demo"
requires-python = ">=3.10"
`,
  'Cargo.toml': `[package]
name = "demo"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
pyo3 = { version = "0.23", features = ["abi3-py310"] }
`,
};

/** A setuptools C extension that is not abi3. */
export const SETUPTOOLS_PROJECT: Record<string, string> = {
  'pyproject.toml': `[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
requires-python = ">=3.9"
`,
  'setup.py': 'from setuptools import setup, Extension\nsetup(ext_modules=[Extension("demo", ["demo.c"], libraries=["gmp"])])\n',
};

/** Writes files into a fresh temporary directory and returns its path. */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'native-matrix-test-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
