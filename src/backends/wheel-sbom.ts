import { readZip } from '../core/archive.js';
import { rewriteWheel } from '../core/wheel-record.js';
import { withRealPath } from './build-paths.js';
import type { HostFacts } from '../core/host.js';

// maturin writes a CycloneDX SBOM of the Rust dependency tree into the wheel
// (.dist-info/sboms/, PEP 770), made by cargo-cyclonedx, which names the
// project's own crates by cargo's package id: `path+file:///<absolute
// path>#name@version` (CycloneDX/cyclonedx-rust-cargo#556). The same commit
// built in another checkout directory would then give another wheel. The
// working directory is written as `file://.` instead; a bom-ref only has to
// be unique within its SBOM.

/**
 * A directory as a file URL the way cargo writes it (rust-url's
 * `Url::from_file_path`): only controls, space, `"#<>?\`{}%` and non-ASCII
 * percent-encoded; on Windows `file:///C:/…` with the drive in capitals.
 */
export function cargoFileUrl(dir: string, host: HostFacts): string {
  let urlPath = drivePaths(host) ? `/${dir.replace(/\\/g, '/').replace(/^([a-z]):/, (_m, drive: string) => `${drive.toUpperCase()}:`)}` : dir;
  urlPath = urlPath.replace(/\/+$/, '');
  const plain = (char: string) => char >= '!' && char <= '~' && !' "#<>?`{}%'.includes(char);
  const encoded = [...urlPath].map((char) => (plain(char) ? char : [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')));
  return `file://${encoded.join('')}`;
}

/** The checkout's file URLs: as given, and (off Windows, where maturin canonicalises its manifest path) its real path. */
const checkoutUrls = (checkout: string, host: HostFacts): string[] => [...new Set((drivePaths(host) ? [checkout] : withRealPath(checkout)).map((dir) => cargoFileUrl(dir, host)))];

/** A host whose paths have drive letters and backslashes (Windows). */
const drivePaths = (host: HostFacts) => host.path.sep === '\\';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `file://<checkout>` written as `file://.` in an SBOM's text. A crate named
 * like its directory has a package id without its name
 * (`path+file:///…/demo#0.1.0`): at the checkout itself the name is put in,
 * so that the id does not depend on what the checkout directory is called.
 */
export function rewriteCheckoutUrls(text: string, checkout: string, host: HostFacts): string {
  const name = host.path.basename(checkout);
  let result = text;
  for (const url of checkoutUrls(checkout, host)) {
    const prefix = escapeRegExp(url);
    result = result
      // `#0.1.0`: a version alone (it starts with a digit; a name cannot).
      .replace(new RegExp(`${prefix}#(?=\\d)`, 'g'), `file://.#${name}@`)
      // The checkout itself, not a longer directory that starts with its name; `)` ends the pre-1.77 form `demo 0.1.0 (path+file:///…)`.
      .replace(new RegExp(`${prefix}(?=[/#"?)])`, 'g'), 'file://.');
  }
  return result;
}

const SBOM = /^[^/]+\.dist-info\/sboms\/[^/]+$/;

/**
 * Rewrites `file://<checkout>` in the wheel's SBOMs as `file://.` and their
 * RECORD lines to match, in place; the other entries keep their content,
 * order and modes, every entry dated `epochSeconds`. Returns whether
 * anything changed (a wheel without such an SBOM is not rewritten).
 */
export async function normalizeSbomPaths(wheel: string, checkout: string, epochSeconds: number, host: HostFacts): Promise<boolean> {
  const changed = new Map<string, Buffer>();
  for (const entry of await readZip(wheel, (name) => SBOM.test(name))) {
    if (!SBOM.test(entry.name)) continue;
    const text = entry.data.toString('utf8');
    const rewritten = rewriteCheckoutUrls(text, checkout, host);
    if (rewritten !== text) changed.set(entry.name, Buffer.from(rewritten, 'utf8'));
  }
  if (changed.size === 0) return false;
  await rewriteWheel(wheel, changed, epochSeconds);
  return true;
}
