/**
 * Orders names by Unicode code point, the same on every machine.
 * `localeCompare` follows the machine's locale (ICU puts `a` before `B` and
 * `_` before `-`; da_DK puts `aa` after `z`), so SHA256SUMS written with it
 * would differ between machines and a valid re-run would be refused.
 */
export function byCodePoint(a: string, b: string): number {
  const [x, y] = [[...a], [...b]];
  for (let index = 0; index < Math.min(x.length, y.length); index++) {
    const difference = x[index]!.codePointAt(0)! - y[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return x.length - y.length;
}

/** Orders records by their `name`, by code point. */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number => byCodePoint(a.name, b.name);
