/** Compares dotted versions numerically: 10.13 < 11.0, 6.2.1 < 6.10.0. */
export const compareVersions = (a: string, b: string): number => a.localeCompare(b, undefined, { numeric: true });
