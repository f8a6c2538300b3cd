import { defineConfig } from 'vitest/config';

// Two projects: `fast` needs no Temporal server; `temporal` shares one dev server started once in
// a global setup (test/setup/global-temporal.ts). Workers run in forked processes: Temporal's
// native bridge does not belong in worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: ['test/temporal/**', 'node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'temporal',
          include: ['test/temporal/**/*.test.ts'],
          globalSetup: ['test/setup/global-temporal.ts'],
        },
      },
    ],
  },
});
