import type { Problem } from '../core/errors.js';
import { readChecksums } from './checksums.js';
import { byCodePoint, byName } from './order.js';
import type { ReleaseMarks } from './versions.js';

/** A file the release must hold. */
export interface IntendedFile {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** An asset the release holds now. */
export interface CurrentAsset {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  /** `uploaded`; anything else (`starter`, `open`) is an upload that never completed. */
  readonly state: string;
  /** Its content's sha256 when known (GitHub's digest, or read back); unknown content is never trusted. */
  readonly sha256?: string;
}

export interface CurrentRelease {
  readonly id: number;
  readonly draft: boolean;
  /** Published under the repository's immutable releases setting: its assets can no longer change. */
  readonly immutable: boolean;
  readonly assets: readonly CurrentAsset[];
}

/**
 * One write, in the order the executor runs them. A draft is filled in
 * place; a published release gets its new files under a temporary name
 * first, so that it never shows a partial set under the real names.
 */
export type Operation =
  | { readonly kind: 'create-draft'; readonly prerelease: boolean }
  /** `unproduced`: an asset of a published release that this run does not produce, kept (publish.prune is off). */
  | { readonly kind: 'keep'; readonly name: string; readonly unproduced?: true }
  | { readonly kind: 'delete'; readonly asset: CurrentAsset; readonly why: 'temporary' | 'incomplete' | 'stale' | 'replaced' }
  | { readonly kind: 'upload'; readonly file: IntendedFile; readonly as: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }
  | { readonly kind: 'publish'; readonly marks: ReleaseMarks };

export interface ReconcileInput {
  readonly tag: string;
  readonly files: readonly IntendedFile[];
  /** The release of the tag, if there is one. */
  readonly release?: CurrentRelease;
  /** publish.replace: may a published name get other bytes? */
  readonly replace: boolean;
  /** publish.prune: may assets of a published release that this run does not produce be removed? */
  readonly prune: boolean;
  /** publish.draft: leave the release a draft. */
  readonly draft: boolean;
  readonly marks: ReleaseMarks;
  /**
   * The published release's SHA256SUMS and the one of this run, when they
   * differ: one that keeps every published line (files were only added) may
   * take its place without `replace`.
   */
  readonly checksums?: { readonly name: string; readonly published: string; readonly intended: string };
}

export interface Reconciliation {
  readonly operations: readonly Operation[];
  /** Why this run must not write at all; empty when it may. */
  readonly refused: readonly Problem[];
}

/** The name a new file carries on a published release until every new file is there. */
export const TEMPORARY_SUFFIX = '.native-matrix-replacement';

const holds = (asset: CurrentAsset, file: IntendedFile) => asset.state === 'uploaded' && asset.size === file.size && asset.sha256 === file.sha256;

/**
 * The writes that turn the release of `tag` into exactly `files`, and what
 * forbids them. Pure: the same release and files give the same operations.
 * - Assets with the same content are kept; temporaries of an interrupted run
 *   and incomplete uploads are deleted.
 * - On a draft (nobody has seen it), stale assets go and changed ones are
 *   replaced; it is published once complete.
 * - On a published release, other bytes under a published name are refused
 *   unless `replace` is set, naming each file; assets this run does not
 *   produce (an experimental cell that failed this time, a file added by
 *   hand) are kept unless `prune` is set; an immutable release refuses every
 *   change.
 */
export function reconcile({ tag, files, release, replace, prune, draft, marks, checksums }: ReconcileInput): Reconciliation {
  if (!release) {
    return {
      operations: [
        { kind: 'create-draft', prerelease: marks.prerelease },
        ...files.map((file) => ({ kind: 'upload' as const, file, as: file.name })),
        ...(draft ? [] : [{ kind: 'publish' as const, marks }]),
      ],
      refused: [],
    };
  }
  const intended = new Map(files.map((file) => [file.name, file]));
  const leftovers: Operation[] = [];
  const stale: CurrentAsset[] = [];
  const current = new Map<string, CurrentAsset>();
  for (const asset of release.assets) {
    if (asset.name.endsWith(TEMPORARY_SUFFIX)) leftovers.push({ kind: 'delete', asset, why: 'temporary' });
    else if (asset.state !== 'uploaded') leftovers.push({ kind: 'delete', asset, why: 'incomplete' });
    else if (!intended.has(asset.name)) stale.push(asset);
    else current.set(asset.name, asset);
  }
  const kept = files.filter((file) => current.has(file.name) && holds(current.get(file.name)!, file));
  const changed = files.filter((file) => current.has(file.name) && !holds(current.get(file.name)!, file));
  const added = files.filter((file) => !current.has(file.name));
  const keeps: Operation[] = kept.map((file) => ({ kind: 'keep', name: file.name }));

  if (release.draft) {
    return {
      operations: [
        ...keeps,
        ...leftovers,
        ...stale.map((asset) => ({ kind: 'delete' as const, asset, why: 'stale' as const })),
        ...changed.map((file) => ({ kind: 'delete' as const, asset: current.get(file.name)!, why: 'replaced' as const })),
        ...[...changed, ...added].sort(byName).map((file) => ({ kind: 'upload' as const, file, as: file.name })),
        ...(draft ? [] : [{ kind: 'publish' as const, marks }]),
      ],
      refused: [],
    };
  }

  const refused: Problem[] = [];
  const fix = 'publish the files this release was made with, or set `publish.replace: true` in the config to change a published release';
  if (!replace) {
    for (const file of [...changed].sort(byName)) {
      const asset = current.get(file.name)!;
      if (checksums && file.name === checksums.name) {
        const kept = new Set(checksums.intended.split('\n'));
        if (checksums.published.split('\n').some((line) => !kept.has(line))) {
          const growth = checksumsChange(checksums.published, checksums.intended);
          const causes = [
            growth.changed.length ? `other sha256 for ${growth.changed.join(', ')}` : '',
            growth.dropped.length ? `no line for ${growth.dropped.join(', ')}` : '',
            growth.added.length ? `new lines for ${growth.added.join(', ')}` : '',
          ].filter(Boolean);
          refused.push({
            key: file.name,
            message: `would change lines of the published release ${tag}'s ${file.name}: ${causes.join('; ') || 'its lines differ'}`,
            fix: `${fix}; files may be added to a published release, but a published ${file.name} only gains lines`,
          });
        }
        continue;
      }
      refused.push({
        key: file.name,
        message: `differs from the asset of the published release ${tag} (${asset.sha256 ? `sha256 ${asset.sha256}` : 'content unknown'}, ${asset.size} bytes; built: sha256 ${file.sha256}, ${file.size} bytes)`,
        fix,
      });
    }
  }
  const operations: Operation[] = [
    ...keeps,
    ...(prune ? [] : stale.map((asset) => ({ kind: 'keep' as const, name: asset.name, unproduced: true as const }))),
    ...leftovers,
    // Every new file is uploaded under its temporary name before any takes its place.
    ...[...changed, ...added].sort(byName).map((file) => ({ kind: 'upload' as const, file, as: `${file.name}${TEMPORARY_SUFFIX}` })),
    ...[...changed, ...added]
      .sort(byName)
      .flatMap((file) => [
        ...(current.has(file.name) ? [{ kind: 'delete' as const, asset: current.get(file.name)!, why: 'replaced' as const }] : []),
        { kind: 'rename' as const, from: `${file.name}${TEMPORARY_SUFFIX}`, to: file.name },
      ]),
    ...(prune ? stale.map((asset) => ({ kind: 'delete' as const, asset, why: 'stale' as const })) : []),
  ];
  const writes = operations.filter((operation) => operation.kind !== 'keep');
  if (release.immutable && writes.length > 0) {
    return {
      operations,
      refused: [
        {
          key: `release ${tag}`,
          message: `is immutable (the repository's immutable releases setting): its assets cannot change, and this run would ${writes.map((write) => describeOperation(write, tag)).join(', ')}`,
          fix: 'publish under a new tag; an immutable release keeps the files it was published with',
        },
      ],
    };
  }
  return { operations, refused };
}

/** How a SHA256SUMS (`<sha256>  <name>` lines) changes: the files added, the files with another sha256, the files dropped. */
function checksumsChange(published: string, intended: string): { added: string[]; changed: string[]; dropped: string[] } {
  const [before, after] = [readChecksums(published), readChecksums(intended)];
  const names = (map: Map<string, string>, keep: (name: string, sha256: string) => boolean) =>
    [...map]
      .filter(([name, sha256]) => keep(name, sha256))
      .map(([name]) => name)
      .sort(byCodePoint);
  return {
    added: names(after, (name) => !before.has(name)),
    changed: names(before, (name, sha256) => after.has(name) && after.get(name) !== sha256),
    dropped: names(before, (name) => !after.has(name)),
  };
}

/** One line per operation, as the dry run prints them. */
export function describeOperation(operation: Operation, tag: string): string {
  switch (operation.kind) {
    case 'create-draft':
      return `create draft release ${tag}${operation.prerelease ? ' (pre-release)' : ''}`;
    case 'keep':
      return operation.unproduced ? `keep ${operation.name} (not produced by this run; \`publish.prune: true\` removes it)` : `keep ${operation.name} (same sha256)`;
    case 'delete':
      return `delete ${operation.asset.name} (${{ temporary: 'left by an interrupted run', incomplete: `an incomplete upload: ${operation.asset.state}`, stale: 'not produced by this run', replaced: 'replaced by new content' }[operation.why]})`;
    case 'upload':
      return `upload ${operation.file.name}${operation.as === operation.file.name ? '' : ` as ${operation.as}`} (${operation.file.size} bytes)`;
    case 'rename':
      return `rename ${operation.from} to ${operation.to}`;
    case 'publish':
      return `publish release ${tag}${operation.marks.prerelease ? ' as a pre-release' : ''}${operation.marks.latest === 'true' ? ', marked Latest' : operation.marks.latest === 'false' ? ', not marked Latest' : ''}`;
  }
}
