// Bundles the action (dist/index.js), the CLI (dist/cli.js) and the action's
// network-heavy build/publish steps (dist/github-commands.js) with esbuild.
// Heavy modules are loaded with dynamic import(), so that `plan` starts fast.
// Usage: node scripts/build.mjs [outdir]   (default: dist)
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

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

// The catalog (matrix/*.yml) is data known at build time: parse it here, so
// that no command parses it at start-up (that cost `plan` a third of its time).
const yamlAsData = {
  name: 'yaml-as-data',
  setup(b) {
    b.onLoad({ filter: /\.yml$/ }, async (args) => ({
      contents: JSON.stringify(parseYaml(readFileSync(args.path, 'utf8'))),
      loader: 'json',
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  loader: { '.py': 'text', '.c': 'text', '.def': 'text' },
  define: { __VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [sideEffectFree, yamlAsData],
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __nativeMatrixRequire } from 'node:module'; const require = __nativeMatrixRequire(import.meta.url);",
  },
};

// The action and the CLI each as a build of its own: a chunk shared with the
// CLI's build/publish commands would pull the network stack (undici) into the
// action's `plan` path, which the side-effect-free hint above lets it drop.
// Its names are not kept: the plan step needs none, and keeping them costs
// every start-up a call per function and class.
await build({ ...common, keepNames: false, entryPoints: { index: 'src/action.ts' }, chunkNames: 'chunks/action-[name]-[hash]' });
await build({ ...common, entryPoints: { cli: 'src/cli.ts' }, chunkNames: 'chunks/cli-[name]-[hash]' });

// The action's build and publish steps, with the network stack (@actions/cache,
// @actions/artifact, undici), as a bundle of their own that dist/index.js
// imports only for those commands: `plan` never loads it.
await build({ ...common, entryPoints: { 'github-commands': 'src/adapters/github-commands.ts' }, chunkNames: 'chunks/github-[name]-[hash]' });
