import { UserError } from '../core/errors.js';
import type { ConfigSource } from './source.js';
import { closest, oneOf } from './suggest.js';

/** What a value is, without any of its content: for a file that may not be a config at all (a secret, /etc/passwd). */
function describeKind(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return typeof value === 'string' ? 'text' : `a ${typeof value}`;
}

/**
 * Some other file given as the config (a workflow, a secret, /etc/passwd):
 * say what it is not, and echo none of its content; its keys neither, when
 * none of them is a config's.
 */
export function refuseOtherFiles(source: ConfigSource, data: unknown, known: readonly string[]): void {
  const isMapping = typeof data === 'object' && data !== null && !Array.isArray(data) && !(data instanceof Date);
  const keys = isMapping ? Object.keys(data) : [];
  // A config with typos in its keys is still a config: its keys are shown with suggestions.
  if (isMapping && (keys.length === 0 || keys.some((key) => known.includes(key) || closest(key, known)))) return;
  const what = isMapping ? `a mapping whose ${keys.length} top-level ${keys.length === 1 ? 'key is' : 'keys are'} none of a config's` : describeKind(data);
  throw new UserError({
    location: source.locate([]),
    message: `is not a native-matrix config: its top level is ${what}, not a mapping of ${oneOf(known)}`,
    fix: 'give the path of a native-matrix.yml or of a pyproject.toml with [tool.native-matrix]',
  });
}
