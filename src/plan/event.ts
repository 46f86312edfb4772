import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.js';

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
