import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries (docs/design.md "Parts and arrows"): each folder lists the top-level folders it must not import
// from. `common/` (the redactor) and `support/` (sandbox and child-process helpers for tests and benchmarks) exist so
// that no side has to reach into another's internals.
const FORBIDDEN = {
  src: ['sandbox', 'devhost', 'scripts', 'test', 'bench', 'support'],
  common: ['src', 'sandbox', 'devhost', 'scripts', 'test', 'bench', 'support'],
  sandbox: ['src', 'devhost', 'scripts', 'test', 'bench', 'support'],
  devhost: ['src', 'sandbox', 'scripts', 'test', 'bench', 'support'],
  support: ['src', 'devhost', 'scripts', 'test', 'bench'],
  bench: ['test'],
};
const boundaries = Object.entries(FORBIDDEN).map(([from, folders]) => ({
  files: [`${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: folders.map((folder) => ({
          group: [`**/${folder}/**`, `../${folder}/**`],
          message: `${from}/ must not import from ${folder}/ (docs/design.md "Parts and arrows").`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.sandbox/', '.devhost/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...boundaries,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
