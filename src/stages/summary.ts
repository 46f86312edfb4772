import type { Manifest, ManifestFile } from './manifest.js';

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/** What a file carries: each library with its version and licence (`gmp 6.3.0 (LGPL-3.0-or-later OR GPL-2.0-or-later)`), else the bare file names of an older manifest. */
export function carriedCell(file: Pick<ManifestFile, 'bundled' | 'libraries'>): string {
  if (!file.libraries) return file.bundled.join(', ') || '—';
  const shown = file.libraries.map((library) => {
    const notes = [library.licence === 'unknown' ? '⚠️ licence unknown' : library.licence, ...(library.linkage === 'static' ? ['linked statically'] : [])];
    return `${library.name}${library.version ? ` ${library.version}` : ''} (${notes.join(', ')})`;
  });
  return shown.join('<br>') || '—';
}

/** The build summary: one table of files and smoke results, one of stage timings, per cell. */
export function buildMarkdown(manifests: readonly Manifest[]): string {
  const lines = ['## native-matrix build', ''];
  for (const manifest of manifests) {
    const versions = manifest.cell.python.length > 0 ? manifest.cell.python : ['binary'];
    lines.push(`### ${manifest.cell.id} ${manifest.ok ? '✅' : '❌'}`, '');
    lines.push(`| file | size | sha256 | bundled | ${versions.join(' | ')} |`);
    lines.push(`| --- | ---: | --- | --- | ${versions.map(() => ':---:').join(' | ')} |`);
    for (const file of manifest.files) {
      const cells = versions.map((version) => {
        const result = file.smoke.find((s) => (s.python ?? 'binary') === version);
        if (!result) return manifest.notSmokeTested?.some((n) => n.python === version) ? '⚠️ not run here' : '—';
        const tests = result.test ? ` · tests ${result.test.passed ? '✅' : '❌'} ${result.test.seconds.toFixed(1)} s` : '';
        return `${result.passed ? '✅' : '❌'} ${result.seconds.toFixed(1)} s${tests}`;
      });
      lines.push(`| \`${file.name}\` | ${size(file.size)} | \`${file.sha256.slice(0, 16)}…\` | ${carriedCell(file)} | ${cells.join(' | ')} |`);
    }
    for (const { python, reason } of manifest.notSmokeTested ?? [])
      lines.push('', `⚠️ ${python === 'binary' ? 'The program' : `Python ${python}`}: built for, not smoke-tested on this machine (${reason}).`);
    for (const file of manifest.files) for (const warning of file.metadataWarnings ?? []) lines.push('', `⚠️ \`${file.name}\`: ${warning} (metadata: PyPI accepts it).`);
    lines.push(
      '',
      `| stage | ${Object.keys(manifest.timings).join(' | ')} |`,
      `| --- | ${Object.keys(manifest.timings)
        .map(() => '---:')
        .join(' | ')} |`,
    );
    lines.push(
      `| seconds | ${Object.values(manifest.timings)
        .map((s) => s.toFixed(1))
        .join(' | ')} |`,
      '',
    );
  }
  return lines.join('\n');
}
