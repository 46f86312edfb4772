import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';
import { parse as parseYaml } from 'yaml';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// The catalog YAML is imported as parsed data, and Python helpers as text, as
// scripts/build.mjs bundles them for dist/.
const catalogAndHelpers: Plugin = {
  name: 'catalog-and-helpers',
  transform(code, id) {
    if (id.endsWith('.yml')) return { code: `export default ${JSON.stringify(parseYaml(code))};`, map: null };
    return /\.(py|c|def)$/.test(id) ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
  },
};

export default defineConfig({
  define: { __VERSION__: JSON.stringify(version) },
  plugins: [catalogAndHelpers],
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        // Real builds with real toolchains: slow, and they share the machine's
        // two cores, so files run one at a time.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        // Benchmarks that need the test helpers; not part of `npm test`.
        test: { name: 'bench', include: ['bench/**/*.bench.ts'], testTimeout: 10 * 60_000 },
      },
    ],
  },
});
