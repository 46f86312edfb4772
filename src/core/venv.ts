import path from 'node:path';

/**
 * Where a virtual environment keeps its interpreter, console scripts and
 * site-packages: `bin/` on POSIX, `Scripts\` (and `.exe`s) on Windows. The
 * one description of the layout, for the tool environment and the smoke tests.
 */
export function venvLayout(dir: string, windows: boolean, join: (...parts: string[]) => string = path.join) {
  const scripts = join(dir, windows ? 'Scripts' : 'bin');
  return {
    python: join(scripts, windows ? 'python.exe' : 'python'),
    /** A console script of the environment. */
    bin: (name: string) => join(scripts, windows ? `${name}.exe` : name),
    sitePackages: (pythonVersion: string) => join(dir, ...(windows ? ['Lib'] : ['lib', `python${pythonVersion}`]), 'site-packages'),
  };
}
