import type { RawConfig } from './schema.js';
import type { KeyPath } from './source.js';

type Report = (keyPath: KeyPath, message: string, fix: string) => void;

/** What each backend a config may name builds (kind both builds its program with cargo, whatever builds its wheels). */
const BUILDS: Readonly<Record<RawConfig['project']['backend'], { readonly wheels: boolean; readonly programs: boolean }>> = {
  auto: { wheels: true, programs: true },
  maturin: { wheels: true, programs: false },
  setuptools: { wheels: true, programs: false },
  cargo: { wheels: false, programs: true },
};

/** Keys that are each valid but cannot go together. */
export function checkCombinations(raw: RawConfig, report: Report): void {
  const { project, gmp, matrix } = raw;
  if (!gmp.libraries.includes('gmp')) {
    report(['gmp', 'libraries'], 'MPFR and MPC are built on GMP, so gmp must be listed', 'add gmp to the list');
  }
  if (gmp.libraries.includes('mpc') && !gmp.libraries.includes('mpfr')) {
    report(['gmp', 'libraries'], 'MPC needs MPFR', 'add mpfr to the list');
  }
  gmp.libraries.forEach((library, index) => {
    if (gmp.libraries.indexOf(library) !== index) report(['gmp', 'libraries', index], `"${library}" is listed twice`, 'remove the repeat');
  });
  for (const library of Object.keys(gmp.tarballs)) {
    if (!gmp.libraries.includes(library as never)) {
      report(['gmp', 'tarballs', library], `gives a tarball for ${library}, which gmp.libraries does not ask for`, `add ${library} to gmp.libraries or remove this tarball`);
    }
  }
  // GitHub refuses to mark a pre-release Latest (422), after every upload.
  if (raw.publish.prerelease === true && raw.publish.latest === true) {
    report(['publish', 'latest'], 'a pre-release cannot be marked Latest (publish.prerelease is true): GitHub refuses it', 'remove publish.latest, or set publish.prerelease to false or auto');
  }
  if (project.kind === 'binary') {
    if (!BUILDS[project.backend].programs) {
      report(['project', 'backend'], `${project.backend} builds wheels, but project.kind is binary`, 'use backend: cargo or auto, or set kind: wheel or both');
    }
    if (project.import !== undefined) report(['project', 'import'], 'a binary project has no module to import', 'remove project.import, or set kind: wheel or both');
    if (project.smoke !== undefined)
      report(['project', 'smoke'], 'Python smoke statements need a wheel, but project.kind is binary', 'move the checks to project.binary.smoke, or set kind: wheel or both');
    if (matrix.abi3 === true) report(['matrix', 'abi3'], 'abi3 is a property of wheels, but project.kind is binary', 'remove matrix.abi3');
    if (matrix.split === 'python') report(['matrix', 'split'], 'a binary does not depend on the Python version', 'remove matrix.split');
    if (matrix.python !== undefined) report(['matrix', 'python'], 'a binary project is not built per Python version', 'remove matrix.python, or set kind: both');
    if (raw.publish.pypi) report(['publish', 'pypi'], 'PyPI takes wheels and sdists, and a binary project builds neither', 'remove publish.pypi, or set kind: wheel or both');
  } else {
    if (!BUILDS[project.backend].wheels && project.kind === 'wheel') {
      report(['project', 'backend'], 'cargo builds binaries, but project.kind is wheel', 'use backend: maturin (Rust) or setuptools (C), or auto');
    }
    if (project.kind === 'wheel' && project.binary !== undefined) {
      report(['project', 'binary'], 'describes a binary, but project.kind is wheel', 'set kind: both, or remove project.binary');
    }
  }
}
