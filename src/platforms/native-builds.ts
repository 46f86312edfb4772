import { findInterpreters } from '../core/interpreters.js';
import type { PlatformModule } from './types.js';

/** Wheels built on the machine they are for: the cell's own interpreters, found on it, build them. */
export function nativeBuilds(): Pick<PlatformModule, 'findInterpreters' | 'wheelBuilder'> {
  return {
    findInterpreters: (context, versions) => findInterpreters(versions, { runner: context.runner, env: context.env, host: context.route.host }),
    wheelBuilder: (_context, interpreter) => Promise.resolve({ python: interpreter.executable, env: {} }),
  };
}
