import { createHash } from 'node:crypto';
import { CHECKSUMS_FILE } from '../core/names.js';
import { checksumsText, readChecksums } from './checksums.js';
import type { CurrentRelease } from './reconcile.js';

/** A file for the release: on disk (`path`) or made in memory (`content`, e.g. SHA256SUMS). */
export interface FileToPublish {
  readonly name: string;
  readonly path?: string;
  readonly content?: Buffer;
  readonly sha256: string;
  readonly size: number;
}

/**
 * This run's files with a SHA256SUMS that also lists the assets a published
 * release keeps though this run did not build them (an experimental cell that
 * failed this time): their lines are carried over from the published
 * SHA256SUMS when GitHub's digest agrees with them. Undefined when there is
 * nothing to carry.
 */
export function carryChecksums(release: CurrentRelease, files: readonly FileToPublish[], published: string): { files: FileToPublish[]; content: Buffer; names: string[] } | undefined {
  const intended = files.find((file) => file.name === CHECKSUMS_FILE && file.content);
  const names = new Set(files.map((file) => file.name));
  const lines = readChecksums(published);
  const carried = release.assets.filter(
    (asset) => asset.state === 'uploaded' && !names.has(asset.name) && asset.name !== CHECKSUMS_FILE && asset.sha256 !== undefined && lines.get(asset.name) === asset.sha256,
  );
  if (!intended || carried.length === 0) return undefined;
  const content = Buffer.from(
    checksumsText([...readChecksums(intended.content!.toString('utf8'))].map(([name, sha256]) => ({ name, sha256 })).concat(carried.map((asset) => ({ name: asset.name, sha256: asset.sha256! })))),
  );
  const checksums = { name: CHECKSUMS_FILE, content, sha256: createHash('sha256').update(content).digest('hex'), size: content.length };
  return { files: files.map((file) => (file.name === CHECKSUMS_FILE ? checksums : file)), content, names: carried.map((asset) => asset.name) };
}

/** The published SHA256SUMS and this run's, when they differ: reconcile lets one that only gains lines replace it. */
export function checksumsChange(release: CurrentRelease, files: readonly FileToPublish[], published: string): { name: string; published: string; intended: string } | undefined {
  const intended = files.find((file) => file.name === CHECKSUMS_FILE && file.content);
  const asset = release.assets.find((candidate) => candidate.name === CHECKSUMS_FILE && candidate.state === 'uploaded');
  if (!intended || !asset || asset.sha256 === intended.sha256) return undefined;
  return { name: CHECKSUMS_FILE, published, intended: intended.content!.toString('utf8') };
}
