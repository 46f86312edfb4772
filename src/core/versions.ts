/**
 * Compares dotted versions numerically, missing components counting as 0:
 * 10.13 < 11.0, 6.2.1 < 6.10.0, and 11 == 11.0 (a deployment target may be
 * written either way). A component with a suffix is a pre-release of its
 * number (3.13.0rc1 < 3.13.0).
 */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '0';
    const y = right[i] ?? '0';
    const number = (parseInt(x, 10) || 0) - (parseInt(y, 10) || 0);
    if (number !== 0) return Math.sign(number);
    const xSuffix = x.replace(/^\d+/, '');
    const ySuffix = y.replace(/^\d+/, '');
    if (xSuffix !== ySuffix) return !xSuffix ? 1 : !ySuffix ? -1 : Math.sign(xSuffix.localeCompare(ySuffix, undefined, { numeric: true }));
  }
  return 0;
}
