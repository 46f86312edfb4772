import { createHash } from 'node:crypto';
import type { ResolvedLibrary } from '../catalog/libraries.js';

/** The SBOM's file name in `.dist-info/sboms/` (PEP 770), beside maturin's own of the Rust tree. */
export const BUNDLED_SBOM = 'native-matrix-bundled.cdx.json';

export interface SbomSubject {
  /** The distribution (or program) the file holds, and its version. */
  readonly name: string;
  readonly version?: string;
  /** `native-matrix <version>`, the tool that wrote it. */
  readonly generator: string;
  /** SOURCE_DATE_EPOCH of the build: the document's only time. */
  readonly epochSeconds: number;
}

const ref = (library: ResolvedLibrary) => `native-matrix-bundled:${library.name}${library.version ? `@${library.version}` : ''}`;

/**
 * A CycloneDX 1.6 document of the native libraries a wheel or archive
 * carries. It holds nothing that changes between two builds of one commit:
 * the time is SOURCE_DATE_EPOCH and the serial number is derived from the
 * content (a UUID-shaped digest), not drawn at random.
 */
export function bundledSbom(subject: SbomSubject, libraries: readonly ResolvedLibrary[], placed: (library: ResolvedLibrary) => readonly string[]): string {
  const [tool, toolVersion] = subject.generator.split(' ');
  const subjectRef = `${subject.name}${subject.version ? `@${subject.version}` : ''}`;
  const body = {
    version: 1,
    metadata: {
      timestamp: new Date(subject.epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z'),
      tools: { components: [{ type: 'application', name: tool, ...(toolVersion ? { version: toolVersion } : {}) }] },
      component: { type: 'library', 'bom-ref': subjectRef, name: subject.name, ...(subject.version ? { version: subject.version } : {}) },
    },
    components: libraries.map((library) => ({
      type: 'library',
      'bom-ref': ref(library),
      name: library.name,
      ...(library.version ? { version: library.version } : {}),
      // An unknown licence is left out rather than guessed.
      ...(library.licence !== 'unknown' ? { licenses: [{ expression: library.licence }] } : {}),
      ...(library.purl ? { purl: library.purl } : {}),
      properties: [
        { name: 'native-matrix:linkage', value: library.linkage },
        ...library.files.map((file) => ({ name: 'native-matrix:file', value: file })),
        ...placed(library).map((file) => ({ name: 'native-matrix:license-file', value: file })),
      ],
    })),
    dependencies: [{ ref: subjectRef, dependsOn: libraries.map(ref) }, ...libraries.map((library) => ({ ref: ref(library), dependsOn: [] }))],
  };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  // RFC 4122's layout, version nibble 5 (name-based) and the variant bits set, from the content's digest.
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${((parseInt(digest[16]!, 16) & 0x3) | 0x8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return `${JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: `urn:uuid:${uuid}`, ...body }, null, 2)}\n`;
}
