import type { Problem } from '../core/errors.js';
import type { FileToPublish } from '../publish/release-files.js';

// What the publisher is asked for, and what it reports having done.

export interface ReleaseRequest {
  readonly owner: string;
  readonly repo: string;
  readonly tag: string;
  readonly name?: string;
  /** Release notes; when absent GitHub generates them. */
  readonly notes?: string;
  /** Leave the release a draft once complete. */
  readonly draft: boolean;
  /** publish.replace: may a published name get other bytes? */
  readonly replace?: boolean;
  /** publish.prune: may a published release lose assets this run does not produce? */
  readonly prune?: boolean;
  /** publish.prerelease / publish.latest: `auto` decides from the tag. */
  readonly prerelease?: 'auto' | boolean;
  readonly latest?: 'auto' | boolean;
  /**
   * The commit the files were built from (GITHUB_SHA in a workflow): the tag
   * must point at it, and a missing tag is made at it when the release is
   * published. Without it (a terminal), the tag must exist already.
   */
  readonly commit?: string;
  readonly files: readonly FileToPublish[];
  /** Uploads in flight at once. */
  readonly concurrency?: number;
  /** Read, and report what would be written, but write nothing. */
  readonly dryRun?: boolean;
}

export interface ReleaseReport {
  readonly url?: string;
  readonly created: boolean;
  readonly uploaded: readonly string[];
  readonly skipped: readonly string[];
  readonly replaced: readonly string[];
  /** Assets deleted: stale ones, temporaries and incomplete uploads. */
  readonly removed: readonly string[];
  /** Assets of a published release that this run does not produce, kept (publish.prune is off). */
  readonly retained: readonly string[];
  /** Every operation of the reconciliation, one line each (what a dry run would do). */
  readonly planned: readonly string[];
  readonly published: boolean;
  readonly prerelease: boolean;
  /** The SHA256SUMS of the release, when it differs from the one asked: it also lists assets kept though not built this time. */
  readonly checksums?: Buffer;
  /** What the run did otherwise than the config asked (a pre-release is never Latest). */
  readonly warnings: readonly Problem[];
}
