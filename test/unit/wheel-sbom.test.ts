import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { dosTime, unzipTo } from '../../src/core/archive.js';
import { cargoFileUrl, normalizeSbomPaths, rewriteCheckoutUrls } from '../../src/backends/wheel-sbom.js';
import { hostFacts } from '../../src/core/host.js';

const LINUX = hostFacts({ os: 'linux', arch: 'x86_64' });
const WINDOWS = hostFacts({ os: 'windows', arch: 'x86_64' });

const EPOCH = 1714979290; // 2024-05-06 07:08:10 UTC

/** A wheel as maturin writes it, its SBOM holding `refs`. */
async function maturinWheel(dir: string, refs: string[]): Promise<string> {
  const sbom = JSON.stringify({ metadata: { component: { 'bom-ref': refs[0], purl: 'pkg:cargo/demo@0.1.0?download_url=file://.' } }, components: refs.slice(1).map((ref) => ({ 'bom-ref': ref })) });
  const files: [string, string, number][] = [
    ['demo/__init__.py', 'from .demo import *\n', 0o100644],
    ['demo/demo.abi3.so', '\x7fELF', 0o100755],
    ['demo-0.1.0.dist-info/sboms/demo.cyclonedx.json', sbom, 0o100644],
  ];
  const line = ([name, data]: [string, string, number]) => `${name},sha256=${createHash('sha256').update(data).digest('base64url')},${Buffer.byteLength(data)}`;
  const record = [...files.map(line), 'demo-0.1.0.dist-info/RECORD,,', ''].join('\n');
  const zip = new yazl.ZipFile();
  for (const [name, data, mode] of [...files, ['demo-0.1.0.dist-info/RECORD', record, 0o100644] as [string, string, number]]) {
    // Dated as maturin dates by SOURCE_DATE_EPOCH: the DOS fields show UTC.
    zip.addBuffer(Buffer.from(data), name, { mtime: dosTime(EPOCH), mode, forceDosTimestamp: true });
  }
  zip.end();
  const wheel = path.join(dir, 'demo-0.1.0-cp310-abi3-linux_x86_64.whl');
  await new Promise<void>((resolve) => {
    const chunks: Buffer[] = [];
    zip.outputStream
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        writeFileSync(wheel, Buffer.concat(chunks));
        resolve();
      });
  });
  return wheel;
}

async function sbomOf(wheel: string): Promise<{ sbom: Buffer; record: string }> {
  const unpacked = mkdtempSync(path.join(tmpdir(), 'sbom-unpacked-'));
  await unzipTo(wheel, unpacked);
  return { sbom: readFileSync(path.join(unpacked, 'demo-0.1.0.dist-info/sboms/demo.cyclonedx.json')), record: readFileSync(path.join(unpacked, 'demo-0.1.0.dist-info/RECORD'), 'utf8') };
}

/** Each entry's name, unix mode and raw DOS date and time, in order. */
async function listing(wheel: string): Promise<[string, number, number, number][]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(wheel, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const rows: [string, number, number, number][] = [];
  await new Promise<void>((resolve) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      rows.push([entry.fileName, entry.externalFileAttributes >>> 16, entry.lastModFileDate, entry.lastModFileTime]);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.readEntry();
  });
  return rows;
}

describe("maturin's SBOM in the wheel", () => {
  it('names the checkout as file://. whatever its path, with RECORD to match: two checkouts, the same bytes; order, modes and dates kept', async () => {
    const savedTz = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      const refs = (checkout: string) => [`path+file://${checkout}#demo@0.1.0`, `path+file://${checkout}/crates/core#demo-core@0.1.0`, `path+file://${checkout}#demo@0.1.0 bin-target-0`];
      const a = await maturinWheel(mkdtempSync(path.join(tmpdir(), 'sbom-a-')), refs('/home/runner/work/demo/demo'));
      const b = await maturinWheel(mkdtempSync(path.join(tmpdir(), 'sbom-bb-')), refs('/srv/elsewhere/checkout/demo'));
      const before = await listing(a);
      expect(await normalizeSbomPaths(a, '/home/runner/work/demo/demo', EPOCH, LINUX)).toBe(true);
      expect(await normalizeSbomPaths(b, '/srv/elsewhere/checkout/demo', EPOCH, LINUX)).toBe(true);
      expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
      expect(await listing(a)).toEqual(before);

      const { sbom, record } = await sbomOf(a);
      const text = sbom.toString('utf8');
      expect(text).toContain('"path+file://.#demo@0.1.0"');
      expect(text).toContain('"path+file://./crates/core#demo-core@0.1.0"');
      expect(text).toContain('"path+file://.#demo@0.1.0 bin-target-0"');
      expect(record).toContain(`demo-0.1.0.dist-info/sboms/demo.cyclonedx.json,sha256=${createHash('sha256').update(sbom).digest('base64url')},${sbom.length}\n`);
      expect(record).toContain('demo-0.1.0.dist-info/RECORD,,');
    } finally {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    }
  });

  it("puts in the name of a crate named like its checkout directory, whose id leaves it out: the id does not depend on the directory's name", () => {
    expect(rewriteCheckoutUrls('"path+file:///home/runner/work/demo/demo#0.1.0"', '/home/runner/work/demo/demo', LINUX)).toBe('"path+file://.#demo@0.1.0"');
    expect(rewriteCheckoutUrls('"path+file:///srv/fork-of-demo#demo@0.1.0"', '/srv/fork-of-demo', LINUX)).toBe('"path+file://.#demo@0.1.0"');
    // Below the checkout the directory stays in the id, so the name may stay out.
    expect(rewriteCheckoutUrls('"path+file:///srv/demo/crates/core#0.1.0"', '/srv/demo', LINUX)).toBe('"path+file://./crates/core#0.1.0"');
  });

  it("rewrites cargo's older id form, the checkout only (not a sibling whose name starts the same), and paths as cargo encodes them", () => {
    expect(rewriteCheckoutUrls('"demo 0.1.0 (path+file:///srv/demo)"', '/srv/demo', LINUX)).toBe('"demo 0.1.0 (path+file://.)"');
    expect(rewriteCheckoutUrls('"path+file:///srv/demo-other#x@1.0.0"', '/srv/demo', LINUX)).toBe('"path+file:///srv/demo-other#x@1.0.0"');
    expect(cargoFileUrl('/srv/ci [1]/démo%', LINUX)).toBe('file:///srv/ci%20[1]/d%C3%A9mo%25');
    expect(rewriteCheckoutUrls('"path+file:///srv/ci%20[1]/demo#demo@0.1.0"', '/srv/ci [1]/demo', LINUX)).toBe('"path+file://.#demo@0.1.0"');
    expect(cargoFileUrl('d:\\a\\demo\\demo', WINDOWS)).toBe('file:///D:/a/demo/demo');
    expect(rewriteCheckoutUrls('"path+file:///D:/a/demo/demo#0.1.0"', 'd:\\a\\demo\\demo', WINDOWS)).toBe('"path+file://.#demo@0.1.0"');
  });

  it('matches a checkout reached through a link by its real path too, which maturin records', () => {
    const real = path.join(mkdtempSync(path.join(tmpdir(), 'sbom-real-')), 'demo');
    mkdirSync(real);
    const link = path.join(mkdtempSync(path.join(tmpdir(), 'sbom-link-')), 'demo');
    symlinkSync(real, link);
    expect(rewriteCheckoutUrls(`"path+file://${realpathSync(real)}#0.1.0"`, link, LINUX)).toBe('"path+file://.#demo@0.1.0"');
  });

  it('leaves a wheel whose SBOM names no path of the checkout untouched', async () => {
    const wheel = await maturinWheel(mkdtempSync(path.join(tmpdir(), 'sbom-')), ['path+file:///srv/a#demo@0.1.0']);
    const before = readFileSync(wheel);
    expect(await normalizeSbomPaths(wheel, '/srv/b', EPOCH, LINUX)).toBe(false);
    expect(readFileSync(wheel).equals(before)).toBe(true);
  });
});
