/** The parts of a wheel file name (PEP 427): name-version(-build)?-python-abi-platform.whl */
export interface WheelName {
  readonly distribution: string;
  readonly version: string;
  readonly pythonTag: string;
  readonly abiTag: string;
  readonly platformTag: string;
}

export function parseWheelName(fileName: string): WheelName {
  const parts = fileName.replace(/\.whl$/, '').split('-');
  if (parts.length !== 5 && parts.length !== 6) throw new Error(`not a wheel file name: ${fileName}`);
  const [distribution, version] = parts as [string, string];
  const [pythonTag, abiTag, platformTag] = parts.slice(-3) as [string, string, string];
  return { distribution, version, pythonTag, abiTag, platformTag };
}

/** Whether a wheel's tags fit an interpreter: `cp312-cp312`, `cp310-abi3` (3.10+), `cp313-cp313t`. */
export function wheelFits(name: WheelName, python: { major: number; minor: number; freeThreaded: boolean }): boolean {
  return name.pythonTag.split('.').some((tag) => {
    const match = /^cp(\d)(\d+)$/.exec(tag);
    if (!match) return false;
    const [major, minor] = [Number(match[1]), Number(match[2])];
    if (name.abiTag === 'abi3') return !python.freeThreaded && major === python.major && minor <= python.minor;
    const abi = `cp${python.major}${python.minor}${python.freeThreaded ? 't' : ''}`;
    return major === python.major && minor === python.minor && name.abiTag === abi;
  });
}

/** Whether a platform tag fits the catalog's pattern: `manylinux_*_x86_64` matches `manylinux_2_34_x86_64`. */
export function platformTagMatches(tag: string, pattern: string): boolean {
  tag = tag.replace(/^manylinux(1|2010|2014)_/, (_, alias: string) => `manylinux_${LEGACY_MANYLINUX[alias]}_`);
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\d+_\\d+')}$`,
  );
  return regex.test(tag);
}

/** PEP 600's names for the legacy manylinux tags. */
const LEGACY_MANYLINUX: Record<string, string> = { '1': '2_5', '2010': '2_12', '2014': '2_17' };
