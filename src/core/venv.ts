import path from 'node:path';

/** A virtual environment's layout: `bin/python`, or `Scripts\python.exe` (made by a Windows CPython, under wine too). */
export type VenvFlavour = 'posix' | 'windows';

/**
 * Where a virtual environment keeps its interpreter, console scripts and
 * site-packages: `bin/` on POSIX, `Scripts\` (and `.exe`s) on Windows. The
 * one description of the layout, for the tool environment and the smoke tests.
 */
export function venvLayout(dir: string, flavour: VenvFlavour) {
  const windows = flavour === 'windows';
  const join = (...parts: string[]) => (windows ? path.win32 : path).join(...parts);
  const scripts = join(dir, windows ? 'Scripts' : 'bin');
  return {
    python: join(scripts, windows ? 'python.exe' : 'python'),
    /** A console script of the environment. */
    bin: (name: string) => join(scripts, windows ? `${name}.exe` : name),
    sitePackages: (pythonVersion: string) => join(dir, ...(windows ? ['Lib'] : ['lib', `python${pythonVersion}`]), 'site-packages'),
  };
}
