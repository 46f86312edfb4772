// ESLint for the TypeScript sources (type-aware: every file tsconfig.json
// includes) and the plain .mjs scripts (syntax rules only: tsconfig.json has
// no allowJs, so they have no types to check).
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    // dist/ is esbuild's output; test/fixtures/ holds the projects under
    // test, not ours to lint; the rest is generated or downloaded.
    ignores: ['dist/', '.cache/', 'test/fixtures/', 'wheelhouse/', 'coverage/', 'tmp/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    // Types come from TypeScript 6's compiler API (the package `typescript`):
    // TypeScript 7.0 (@typescript/native, the typecheck's tsc) has no API;
    // typescript-eslint's experimental tsgo backend wants TypeScript 7.1.
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // As tsc's noUnusedParameters and noUnusedLocals have it: a parameter
      // named _x is unused on purpose (the interface passes it), and so is a
      // property named only to leave it out of a rest object.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.any, expect.anything,
      // expect.objectContaining, expect.stringMatching, …) as any, and the
      // tests put them inside expected values throughout; the other no-unsafe
      // rules still catch an any that is used.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
