import path from 'node:path';
import * as tar from 'tar';
import { readZip } from './archive.js';

/** The core metadata fields read here, from a wheel's METADATA or an sdist's PKG-INFO. */
export interface PackageMetadata {
  readonly name: string;
  readonly version: string;
}

/** `Name:` and `Version:` of an email-header metadata document (the body, after the first blank line, is the description). */
export function parseCoreMetadata(text: string): PackageMetadata | undefined {
  const headers = text.split(/\r?\n\r?\n/, 1)[0]!;
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*?)\\s*$`, 'mi').exec(headers)?.[1];
  const name = field('Name');
  const version = field('Version');
  return name && version ? { name, version } : undefined;
}

/** The metadata of a wheel (`*.dist-info/METADATA`) or an sdist (`<top>/PKG-INFO`); undefined when it has none. */
export async function readPackageMetadata(file: string): Promise<PackageMetadata | undefined> {
  if (file.endsWith('.whl')) {
    const entries = await readZip(file, (name) => /^[^/]+\.dist-info\/METADATA$/.test(name));
    const metadata = entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
    return metadata && parseCoreMetadata(metadata.data.toString('utf8'));
  }
  if (file.endsWith('.tar.gz')) {
    const chunks: Buffer[] = [];
    await tar.t({
      file,
      // The top directory's PKG-INFO, not one of a vendored package deeper down.
      filter: (entry) => entry.split('/').filter(Boolean).length === 2 && path.posix.basename(entry) === 'PKG-INFO',
      onReadEntry: (entry) => entry.on('data', (chunk: Buffer) => chunks.push(chunk)),
    });
    return chunks.length > 0 ? parseCoreMetadata(Buffer.concat(chunks).toString('utf8')) : undefined;
  }
  return undefined;
}
