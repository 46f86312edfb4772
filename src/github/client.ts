import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { UserError } from '../core/errors.js';

const NativeMatrixOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof NativeMatrixOctokit>;

export interface ClientOptions {
  readonly token: string;
  /** GITHUB_API_URL: https://api.github.com, or a GitHub Enterprise Server's /api/v3. */
  readonly baseUrl?: string;
  /** Base of the retry backoff in ms, and the unit of `retry-after` (tests make it small). */
  readonly retryBaseMs?: number;
  /** Requests that write, in flight at once (GitHub asks for few; uploads gain from some). */
  readonly writeConcurrency?: number;
  /** Least time between two writes, in ms. */
  readonly writeSpacingMs?: number;
  /** Give up on a request that has not answered in this time, in ms (it is then retried). */
  readonly timeoutMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * An Octokit that retries 5xx and network errors with backoff (never a 4xx,
 * which retrying cannot fix) and waits out rate limits as GitHub's
 * `retry-after` asks.
 */
export function createClient({
  token,
  baseUrl = 'https://api.github.com',
  retryBaseMs = 1000,
  writeConcurrency = 4,
  writeSpacingMs = 250,
  timeoutMs = 10 * 60_000,
  log = () => {},
}: ClientOptions): GitHubClient {
  if (!token) {
    throw new UserError({
      key: 'github-token',
      message: 'no token to publish with',
      fix: 'pass github-token (the default is ${{ github.token }}) or set GITHUB_TOKEN; the job needs `permissions: contents: write`',
    });
  }
  return new NativeMatrixOctokit({
    auth: token,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    userAgent: `native-matrix/${__VERSION__}`,
    log: { debug: () => {}, info: () => {}, warn: log, error: log },
    request: {
      // A fresh deadline for every attempt, so a hung connection becomes a retry.
      fetch: (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }),
    },
    retry: { retries: 4, retryAfterBaseValue: retryBaseMs },
    throttle: {
      retryAfterBaseValue: retryBaseMs,
      // The plugin's default serialises every write one second apart; asset
      // uploads are writes too, and a release of 40 wheels should not take 40 s.
      write: new Bottleneck.Group({ maxConcurrent: writeConcurrency, minTime: writeSpacingMs }),
      // Writes that notify people (creating and publishing a release) stay one at a time.
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: writeSpacingMs * 4 }),
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log(`rate limited on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
        return retryCount < 4;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
        log(`secondary rate limit on ${options.method} ${options.url}; retrying in ${retryAfter} s`);
        return retryCount < 4;
      },
    },
  });
}

/** An answer of GitHub's that is an error (octokit's RequestError, named HttpError; a network failure is one with status 500). */
export function isRequestError(error: unknown): error is Error & { readonly status: number } {
  return error instanceof Error && error.name === 'HttpError' && typeof (error as { status?: unknown }).status === 'number';
}
