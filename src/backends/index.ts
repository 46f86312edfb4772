import type { BuildBackend } from '../project/detect.js';
import { cargo } from './cargo.js';
import { make } from './make.js';
import { maturin } from './maturin.js';
import { pep517 } from './pep517.js';
import type { Backend } from './types.js';

// The one place that chooses by backend: everything that depends on it is
// behind the Backend interface of these four.
const BACKENDS: Readonly<Record<BuildBackend, Backend>> = { maturin, setuptools: pep517, cargo, make };

export const backendFor = (name: BuildBackend): Backend => BACKENDS[name];
