import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries (docs/design.md "Parts and arrows"). Two levels, one rule (no-restricted-imports), so that a wrong
// arrow fails `npm run lint` with a message naming the map. Import circles between files are checked by
// `npm run lint:cycles` (dpdm), which `npm run lint` runs after ESLint.

// Top-level folders: each lists the top-level folders it must not import from. `common/` (the catalog of paths,
// targets, identities, roles, scopes and settings, and the redactor) imports nothing outside itself, so that the app,
// the sandbox, the dev host and the scripts may all read it; `support/` (sandbox and child-process helpers for tests
// and benchmarks) exists so that no side has to reach into another's internals.
const FORBIDDEN = {
  src: ['sandbox', 'devhost', 'scripts', 'test', 'bench', 'support'],
  common: ['src', 'sandbox', 'devhost', 'scripts', 'test', 'bench', 'support'],
  sandbox: ['src', 'devhost', 'scripts', 'test', 'bench', 'support'],
  devhost: ['src', 'sandbox', 'scripts', 'test', 'bench', 'support'],
  support: ['src', 'devhost', 'scripts', 'test', 'bench'],
  bench: ['test'],
};

// Inside src/: each part lists the parts of src/ it must not import. What is not listed is an allowed arrow:
//   functions/ -> orchestration/ (runs, and the app's state: app.ts), status/ (the page and its ETag), probes/
//                 (the warm-up loads timerRun.ts), privileges/ (its result type)
//   orchestration/ -> declaration/, probes/, privileges/, status/, telemetry/, identities/ (the composition root, app.ts, builds
//                     the paths' credentials that the probes and the privileges check share)
//   probes/ -> identities/, targets/, core/         privileges/ -> probes/, identities/, targets/, core/
//   telemetry/ -> status/, privileges/, core/       status/ -> privileges/, core/
//   identities/, targets/ -> core/                  core/ -> config, ids (and common/)
//   declaration/ -> identities/, targets/, core/ (it compiles a declaration into a plan: core/plan.ts)
// and every part may read config.ts, ids.ts and common/. core/ holds the plug-in contracts and the shared
// vocabulary, so that a path or a target never needs the engine that runs it.
const SRC_PARTS = [
  'core',
  'identities',
  'targets',
  'declaration',
  'probes',
  'privileges',
  'status',
  'telemetry',
  'functions',
];
const SRC_FORBIDDEN = {
  core: SRC_PARTS.filter((p) => p !== 'core'),
  identities: [
    'targets',
    'declaration',
    'probes',
    'privileges',
    'status',
    'telemetry',
    'orchestration',
    'functions',
  ],
  targets: [
    'identities',
    'declaration',
    'probes',
    'privileges',
    'status',
    'telemetry',
    'orchestration',
    'functions',
  ],
  declaration: ['probes', 'privileges', 'status', 'telemetry', 'orchestration', 'functions'],
  probes: ['declaration', 'privileges', 'status', 'telemetry', 'orchestration', 'functions'],
  privileges: ['declaration', 'status', 'telemetry', 'orchestration', 'functions'],
  status: ['declaration', 'identities', 'targets', 'probes', 'telemetry', 'orchestration', 'functions'],
  telemetry: ['declaration', 'identities', 'targets', 'probes', 'orchestration', 'functions'],
  orchestration: ['targets', 'functions'],
  functions: ['declaration', 'identities', 'targets', 'telemetry'],
};
// The leaves at src/'s root (settings and ids) import no part of src/.
const SRC_ROOT_LEAVES = ['config.ts', 'ids.ts', 'settingFormats.ts'];

const topPattern = (from, folder) => ({
  group: [`**/${folder}/**`, `../${folder}/**`],
  message: `${from}/ must not import from ${folder}/ (docs/design.md "Parts and arrows").`,
});
const srcPattern = (from, part) => ({
  group: [`./${part}/**`, `../${part}/**`, `../../${part}/**`, `**/src/${part}/**`],
  message: `src/${from} must not import src/${part}/ (docs/design.md "Parts and arrows").`,
});
const restrict = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

// A later config's rule replaces an earlier one's for the same file, so each src/ part carries src/'s own patterns too.
const srcTop = FORBIDDEN.src.map((folder) => topPattern('src', folder));
const boundaries = [
  ...Object.entries(FORBIDDEN).map(([from, folders]) =>
    restrict(
      [`${from}/**/*.ts`],
      folders.map((folder) => topPattern(from, folder)),
    ),
  ),
  ...Object.entries(SRC_FORBIDDEN).map(([from, parts]) =>
    restrict([`src/${from}/**/*.ts`], [...srcTop, ...parts.map((part) => srcPattern(`${from}/`, part))]),
  ),
  restrict(
    SRC_ROOT_LEAVES.map((f) => `src/${f}`),
    [...srcTop, ...SRC_PARTS.map((part) => srcPattern(SRC_ROOT_LEAVES.join(', '), part))],
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.sandbox/', '.devhost/', '.cache/'] },
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
