import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { UserError } from '../core/errors.js';

/** What triggered the workflow, as far as publishing is concerned. */
export interface EventContext {
  /** `push`, `workflow_dispatch`, … (GITHUB_EVENT_NAME); undefined outside GitHub. */
  readonly name?: string;
  /** `refs/tags/v1.0.0` (GITHUB_REF). */
  readonly ref?: string;
  /** `workflow_dispatch` inputs from the event payload. */
  readonly inputs: Readonly<Record<string, unknown>>;
}

/** Reads the event from GitHub's environment variables and payload file. */
export function readEventContext(env: NodeJS.ProcessEnv = process.env): EventContext {
  let inputs: Record<string, unknown> = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { inputs?: Record<string, unknown> };
      inputs = payload.inputs ?? {};
    } catch {
      // A missing or unreadable payload only means no dispatch inputs.
    }
  }
  return Object.freeze({ name: env.GITHUB_EVENT_NAME, ref: env.GITHUB_REF, inputs: Object.freeze(inputs) });
}

export const TAG_REF_PREFIX = 'refs/tags/';

/** The workflow_dispatch input that asks for a release. */
export const DISPATCH_PUBLISH_INPUT = 'publish';

/**
 * Whether this run should publish a release: a tag push (policy on-tag or
 * both), or a manual dispatch whose `publish` input is true (on-dispatch or
 * both).
 */
export function shouldPublish(policy: Config['publish']['release'], event: EventContext): boolean {
  if (policy === 'never') return false;
  const tagPush = event.name === 'push' && (event.ref ?? '').startsWith(TAG_REF_PREFIX);
  if (tagPush) return policy === 'on-tag' || policy === 'both';
  if (event.name === 'workflow_dispatch') {
    const asked = event.inputs[DISPATCH_PUBLISH_INPUT];
    return (policy === 'on-dispatch' || policy === 'both') && (asked === true || asked === 'true');
  }
  return false;
}

/** The workflow_dispatch input that names the release tag. */
export const DISPATCH_TAG_INPUT = 'tag';

/**
 * The release tag of this run: the one given (the action's `tag` input), else
 * the dispatch's `tag` input, else the tag the workflow runs on (a tag push,
 * or a dispatch started from a tag).
 */
export function releaseTag(event: EventContext, given?: string): string | undefined {
  const dispatched = event.inputs[DISPATCH_TAG_INPUT];
  const fromInput = given?.trim() || (typeof dispatched === 'string' ? dispatched.trim() : '');
  if (fromInput) return fromInput;
  return event.ref?.startsWith(TAG_REF_PREFIX) ? event.ref.slice(TAG_REF_PREFIX.length) : undefined;
}

/**
 * Whether this run publishes, and under which tag, decided at plan time: a
 * run that would publish without a tag fails here, before any cell is built.
 */
export function publishDecision(policy: Config['publish']['release'], event: EventContext, given?: string): { publish: boolean; tag?: string } {
  const publish = shouldPublish(policy, event);
  const tag = releaseTag(event, given);
  if (publish && !tag) {
    throw new UserError({
      key: 'tag',
      message: `${event.name ? `this ${event.name} run` : 'this run'} asks to publish a release but names no tag, and does not run on a tag`,
      fix: `run the workflow with its \`${DISPATCH_TAG_INPUT}\` input set to the release tag (e.g. v1.2.0), pass tag: to the plan step, or start it from the tag`,
    });
  }
  return { publish, ...(tag ? { tag } : {}) };
}
