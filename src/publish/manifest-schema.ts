import { array, boolean, number, object, string, type z } from 'zod';
import { MANIFEST_SCHEMA } from '../stages/manifest.js';
import { MANIFEST_FILE } from '../core/names.js';
import type { Problem } from '../core/errors.js';

/**
 * The names a release file may have. Anything else (a path, a newline that
 * would forge a second line of SHA256SUMS, a name GitHub would rewrite) is
 * refused before it is hashed or published.
 */
export const RELEASE_FILE_NAME = /^(?:[A-Za-z0-9_+-][A-Za-z0-9._+-]*)?[A-Za-z0-9]$/;

// GitHub renames an asset whose name ends in `.` (and SHA256SUMS would then name a file the release does not hold).
const FileName = string().regex(RELEASE_FILE_NAME, 'is not a plain file name (letters, digits and . _ + -, not starting with a dot, ending in a letter or digit)');

/**
 * What `publish` reads from a cell's manifest.json, checked before any of it
 * is used. Fields it does not read may be added by newer builds.
 */
const ManifestSchema = object({
  schema: number().refine((value) => value === MANIFEST_SCHEMA, `must be ${MANIFEST_SCHEMA}: the manifest was written by another version of native-matrix`),
  cell: object({ id: string().min(1) }),
  ok: boolean(),
  error: string().optional(),
  files: array(
    object({
      name: FileName,
      sha256: string().regex(/^[0-9a-f]{64}$/, 'is not a sha256 (64 lowercase hex digits)'),
      size: number().int().nonnegative(),
      // Recorded for consumers (and shown), not needed to publish: checked when present, absent from older manifests.
      bundled: array(string()).optional(),
      libraries: array(object({ name: string().min(1), version: string().optional(), licence: string().min(1), files: array(string()), licenseFiles: array(string()) })).optional(),
      smoke: array(object({ python: string().optional(), passed: boolean() })),
    }),
  ),
});

const fieldOf = (keyPath: readonly PropertyKey[]) =>
  keyPath.length
    ? keyPath
        .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
        .join('')
        .replace(/^\./, '')
    : 'the document';
const valueAt = (data: unknown, keyPath: readonly PropertyKey[]) =>
  keyPath.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), data);
/** A value as JSON (so a newline shows as \n), cut short. */
const shown = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export type CheckedManifest = z.infer<typeof ManifestSchema>;

/** Validates one parsed manifest.json; the problems name the file and the field. */
export function checkManifest(data: unknown, file: string): { manifest?: CheckedManifest; problems: Problem[] } {
  const result = ManifestSchema.safeParse(data);
  if (result.success) return { manifest: result.data, problems: [] };
  const problems = result.error.issues.slice(0, 10).map((issue) => ({
    key: file,
    message: `${fieldOf(issue.path)}${issue.code === 'invalid_format' ? ` ${shown(valueAt(data, issue.path))}` : ''}: ${issue.message}`,
    fix: `rebuild the cell: a ${MANIFEST_FILE} is written by \`native-matrix build\` and not edited`,
  }));
  if (result.error.issues.length > 10) problems.push({ key: file, message: `… and ${result.error.issues.length - 10} more problems`, fix: 'rebuild the cell' });
  return { problems };
}
