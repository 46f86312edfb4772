// Proves that the committed dist/ is exactly what a fresh build produces.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const fresh = mkdtempSync(path.join(tmpdir(), 'native-matrix-dist-'));

function listFiles(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

try {
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), fresh], { stdio: 'inherit' });
  const committed = new Set(listFiles(path.join(root, 'dist')));
  const built = new Set(listFiles(fresh));
  const problems = [];
  for (const file of built) {
    if (!committed.has(file)) problems.push(`missing from dist/: ${file}`);
    else if (!readFileSync(path.join(fresh, file)).equals(readFileSync(path.join(root, 'dist', file)))) problems.push(`differs from a fresh build: dist/${file}`);
  }
  for (const file of committed) if (!built.has(file)) problems.push(`stale file in dist/: ${file}`);
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    console.error('dist/ is out of date: run `npm run build` and commit dist/.');
    process.exit(1);
  }
  console.log(`dist/ matches a fresh build (${built.size} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
