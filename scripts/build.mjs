// Bundles the action (dist/index.js) and the CLI (dist/cli.js) with esbuild.
// Heavy modules are loaded with dynamic import() in the engine, so code
// splitting keeps them out of the start-up path of `plan`.
// Usage: node scripts/build.mjs [outdir]   (default: dist)
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.resolve(root, process.argv[2] ?? 'dist');

const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// @actions/core imports its OIDC client, and with it undici (400 kB), at
// start-up although only its file commands are used on the `plan` path.
// These packages have no import-time side effects that we rely on, so let
// the bundler drop what is unused; commands that do need HTTP load it lazily.
const SIDE_EFFECT_FREE = /^(@actions\/(core|http-client|io|exec)|undici|tunnel)(\/|$)/;
const sideEffectFree = {
  name: 'side-effect-free',
  setup(b) {
    b.onResolve({ filter: SIDE_EFFECT_FREE }, async (args) => {
      if (args.pluginData?.resolved) return undefined;
      const result = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { resolved: true } });
      return { ...result, sideEffects: false };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { index: 'src/action.ts', cli: 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  chunkNames: 'chunks/[name]-[hash]',
  loader: { '.yml': 'text', '.py': 'text' },
  define: { __VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [sideEffectFree],
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);",
  },
});
