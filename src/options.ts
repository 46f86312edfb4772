import { splitList } from './config/selectors.js';
import { UserError } from './core/errors.js';

export const COMMANDS = ['plan', 'build', 'verify', 'publish'] as const;
export type ActionCommand = (typeof COMMANDS)[number];

/** The action's inputs, parsed once. Frozen. */
export interface ActionInputs {
  readonly command: ActionCommand;
  readonly configPath?: string;
  readonly workingDirectory: string;
  readonly cell?: string;
  readonly platforms?: readonly string[];
  readonly python?: readonly string[];
  readonly tag?: string;
  readonly dryRun: boolean;
  readonly githubToken?: string;
}

/** Reads inputs the way GitHub passes them (all strings, empty when unset). */
export function parseActionInputs(get: (name: string) => string): ActionInputs {
  const command = get('command').trim();
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UserError({
      key: 'input command',
      message: command ? `"${command}" is not a command` : 'is required',
      fix: `set command: to ${COMMANDS.join(', ')}`,
    });
  }
  const optional = (name: string) => get(name).trim() || undefined;
  const list = (name: string) => {
    const text = optional(name);
    return text ? Object.freeze(splitList(text)) : undefined;
  };
  const flag = (name: string) => {
    const value = optional(name) ?? 'false';
    if (!['true', 'false'].includes(value.toLowerCase())) {
      throw new UserError({ key: `input ${name}`, message: `"${value}" is not a boolean`, fix: 'use true or false' });
    }
    return value.toLowerCase() === 'true';
  };
  return Object.freeze({
    command: command as ActionCommand,
    configPath: optional('config'),
    workingDirectory: optional('working-directory') ?? '.',
    cell: optional('cell'),
    platforms: list('platforms'),
    python: list('python'),
    tag: optional('tag'),
    dryRun: flag('dry-run'),
    githubToken: optional('github-token'),
  });
}
