// @ts-check
/**
 * Lint: the recommended rules, no floating promises (as in temporalio/samples-typescript), and the
 * project's boundaries, which nothing else enforces:
 * - workflow code is deterministic: no Node built-ins, no I/O packages, activities as types only;
 * - the layers, bottom first: domain/ -> workflows/ and activities/ -> src/; nothing imports up a
 *   layer (workflows/ take activity types only, activities/ nothing of workflows/, not even a type).
 *   test/lint/layers.test.ts reads the whole import graph for the same rule and for cycles;
 * - dev-only code (sandboxes, toolchain, embedded dev server, demo) is never imported statically
 *   by production code (src/main.ts loads it with `await import()` when it is wanted).
 *   It lives in sandbox/ (the Stripe and Resend sandboxes) and tools/ (toolchain, dev server,
 *   cluster, demo, chaos driver); no other production file loads it, even with import();
 * - sandbox/ imports only itself and domain/ (never the service above); tools/ no tests, benchmarks
 *   or scripts; bench/ and backtest/ nothing from test/.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];
const IO_PACKAGES = [
  'stripe',
  'resend',
  'express',
  'zod',
  'prom-client',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'standardwebhooks',
];

const DETERMINISTIC_ONLY = [...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]), ...IO_PACKAGES].map((name) => ({
  name,
  message: 'Workflow code (and the pure layer it runs) is deterministic: no Node built-ins or I/O packages.',
}));
const NO_NODE = { group: ['node:*'], message: 'Deterministic code: no Node built-ins.' };

/** An import of a top-level folder (a room), by a relative path from anywhere: '**' + '/sandbox' matches '../sandbox/stripe' too. */
const room = (...names) => names.flatMap((name) => [`**/${name}`, `**/${name}/**`]);
/** The same rooms, for `import()` expressions, which no-restricted-imports does not see. */
const dynamicImportOf = (names, message) => ({
  selector: `ImportExpression[source.value=/(^|\\/)(${names.join('|')})(\\/|$)/]`,
  message,
});
const DEV_ONLY = 'sandbox/ and tools/ are dev-only: only src/main.ts loads them, with await import(), for npm start.';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'test/histories/**', 'test/golden/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: DETERMINISTIC_ONLY,
          patterns: [
            NO_NODE,
            {
              group: ['../activities', '../activities/*', '../activities/**'],
              allowTypeImports: true,
              message: 'Workflows import activity types only (proxyActivities).',
            },
            { group: ['**/src', '**/src/**'], message: 'Workflows never import the service code.' },
          ],
        },
      ],
    },
  },
  {
    // The pure layer everything else builds on: it imports nothing of ours but itself.
    files: ['domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: DETERMINISTIC_ONLY,
          patterns: [
            NO_NODE,
            {
              group: [
                '**/workflows',
                '**/workflows/**',
                '**/activities',
                '**/activities/**',
                '**/src',
                '**/src/**',
                '**/test/**',
              ],
              message: 'domain/ is the bottom layer: it imports only domain/ and pure packages.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Not even a type: what both need (a message, a workflow's signature) lives in domain/.
              group: ['**/workflows', '**/workflows/**'],
              message: 'Activities never import workflows/: what both use lives in domain/.',
            },
            { group: ['**/src', '**/src/**'], message: 'Activities never import the service code (src/).' },
          ],
        },
      ],
    },
  },
  {
    // Production code never loads dev-only code (sandbox/, tools/) statically: the production build
    // leaves it out, so a static import would fail there.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: room('sandbox', 'tools'), message: DEV_ONLY }] }],
    },
  },
  {
    // Nor with import(), but in src/main.ts: its development branch (no Temporal address, sandbox
    // keys) is the one place that wants a sandbox or the dev server.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['src/main.ts'],
    rules: { 'no-restricted-syntax': ['error', dynamicImportOf(['sandbox', 'tools'], DEV_ONLY)] },
  },
  {
    // The sandboxes stand alone (the tests, the chaos suite, the benchmarks and the back-test use
    // them) at the bottom, beside domain/: they take only what domain/ says of the providers (e.g.
    // the Stripe API version), never the service above it.
    files: ['sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: room('src', 'workflows', 'activities', 'tools', 'test', 'bench', 'backtest', 'scripts'),
              message: 'sandbox/ imports only itself and domain/: not the service, tools/, tests, benchmarks or scripts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The tooling drives the service and the sandboxes; tests and benchmarks build on it, not the reverse.
    files: ['tools/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: room('test', 'bench', 'backtest', 'scripts'),
              message: 'tools/ imports no tests, benchmarks or scripts: what they share lives in tools/.',
            },
          ],
        },
      ],
    },
  },
  {
    // What bench/ and backtest/ share with the tests lives in tools/ (chaos driver and checks, the time-skipping server).
    files: ['bench/**/*.ts', 'backtest/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: room('test'), message: 'bench/ and backtest/ never import test/: share it through tools/.' }] },
      ],
      'no-restricted-syntax': [
        'error',
        dynamicImportOf(['test'], 'bench/ and backtest/ never import test/: share it through tools/.'),
      ],
    },
  },
);
