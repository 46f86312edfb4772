import { byName } from './order.js';

/** The lines of a SHA256SUMS as file name → sha256: `<sha256>  <name>` or `<sha256> *<name>`; a line of another form is a name of its own, with no sha256. */
export function readChecksums(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => (/^[0-9a-f]{64} [ *]./.test(line) ? [line.slice(66), line.slice(0, 64)] : [line, ''])),
  );
}

/** `sha256sum -c` format: digest, two spaces, file name; sorted by name (code point, not locale). */
export function checksumsText(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort(byName)
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('');
}
