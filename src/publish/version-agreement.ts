import { UserError } from '../core/errors.js';
import { agreedVersion } from '../core/dist-name.js';

/**
 * Refuses a set of wheels and sdists that do not share one name and version:
 * cells built from different commits, or a dynamic version that differs
 * between the sdist and the wheels. PyPI would split them across releases.
 */
export function checkVersionsAgree(files: readonly { name: string; kind: string }[]): void {
  // By the manifest's kind: a binary's archive (NAME-PLATFORM.tar.gz) is no sdist.
  const agreed = agreedVersion(files.filter((f) => f.kind === 'wheel' || f.kind === 'sdist').map((f) => f.name));
  if (agreed && 'disagreement' in agreed) {
    throw new UserError({
      key: 'versions',
      message: `the wheels and the sdist do not share one name and version: ${agreed.disagreement}`,
      fix: 'build every cell from the same commit, with a version that the sdist and the wheels derive alike',
    });
  }
}
