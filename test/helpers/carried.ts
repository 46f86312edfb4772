import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { readZip } from '../../src/core/archive.js';
import type { ManifestFile } from '../../src/stages/manifest.js';

/** A zip's (wheel's) members by name. */
export async function zipMembers(file: string): Promise<Map<string, Buffer>> {
  return new Map((await readZip(file)).filter((e) => !e.name.endsWith('/')).map((e) => [e.name, e.data]));
}

/**
 * What is wrong with a wheel's RECORD, as pip would see it: every member
 * listed once with its sha256 and size (RECORD itself without), and nothing
 * listed that is not there.
 */
export function recordProblems(members: ReadonlyMap<string, Buffer>): string[] {
  const recordName = [...members.keys()].find((name) => /^[^/]+\.dist-info\/RECORD$/.test(name));
  if (!recordName) return ['no RECORD'];
  const problems: string[] = [];
  const listed = new Map<string, string>();
  const text = members.get(recordName)!.toString('utf8');
  // One line end throughout (auditwheel writes CRLF, maturin LF).
  if (text.includes('\r\n') && /[^\r]\n/.test(text)) problems.push('RECORD mixes CRLF and LF line ends');
  for (const line of text.split(/\r?\n/).filter(Boolean)) {
    const [name, hash, size] = line.split(',');
    if (listed.has(name!)) problems.push(`${name} listed twice`);
    listed.set(name!, `${hash},${size}`);
  }
  for (const [name, data] of members) {
    const expected = name === recordName ? ',' : `sha256=${createHash('sha256').update(data).digest('base64url')},${data.length}`;
    if (!listed.has(name)) problems.push(`${name} not in RECORD`);
    else if (listed.get(name) !== expected) problems.push(`${name}: RECORD says ${listed.get(name)}, the member is ${expected}`);
  }
  for (const name of listed.keys()) if (!members.has(name)) problems.push(`${name} in RECORD, not in the wheel`);
  return problems;
}

/** The CycloneDX document at `name`, its components reduced to what the tests compare. */
export function bundledComponents(members: ReadonlyMap<string, Buffer>, name: string) {
  const data = members.get(name);
  expect(data, `${name} is missing`).toBeDefined();
  const sbom = JSON.parse(data!.toString('utf8')) as {
    bomFormat: string;
    specVersion: string;
    serialNumber: string;
    components: { name: string; version?: string; purl?: string; licenses?: { expression: string }[] }[];
  };
  expect(sbom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: expect.stringMatching(/^urn:uuid:[0-9a-f-]{36}$/) });
  return sbom.components.map((c) => ({ name: c.name, version: c.version, purl: c.purl, licence: c.licenses?.[0]?.expression }));
}

/** Every licence file the manifest lists for `file` is in `members`, and holds text. */
export function expectLicenceFilesPresent(file: Pick<ManifestFile, 'libraries'>, members: ReadonlyMap<string, Buffer>) {
  for (const library of file.libraries ?? []) {
    expect(library.licenseFiles.length, `${library.name} has no licence files`).toBeGreaterThan(0);
    for (const name of library.licenseFiles) expect(members.get(name)?.length, `${name} missing or empty`).toBeGreaterThan(100);
  }
}
