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

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', 'test/histories/**', 'test/golden/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.mjs'] }, tsconfigRootDir: import.meta.dirname },
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
    // Production code never loads dev-only code (sandboxes, toolchain, embedded dev server, demo)
    // statically: src/main.ts imports it with `await import()` when a sandbox or dev server is wanted.
    files: ['src/**/*.ts', 'activities/**/*.ts', 'workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['src/dev/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/dev', '**/dev/**'], message: 'dev-only code: load it with await import() where it is wanted.' },
          ],
        },
      ],
    },
  },
);
