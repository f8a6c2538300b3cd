import { defineConfig } from 'vitest/config';

// Four projects: `fast` needs no Temporal server; `cluster` starts (or reuses) the local
// Temporal cluster on PostgreSQL; `temporal` shares one dev server started once in
// a global setup (test/setup/global-temporal.ts); `chaos` is the short chaos run, which starts its
// own stack of processes (test/chaos/run.ts). Workers run in forked processes: Temporal's native
// bridge does not belong in worker threads.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: [
            'test/temporal/**',
            'test/workflows/**',
            'test/chaos/**',
            'test/browser/**',
            'test/cluster/**',
            'node_modules/**',
          ],
        },
      },
      {
        extends: true,
        // About three minutes of run (startup, faults, settling); the settle phase waits longer while
        // cases still close on a loaded machine, so the hook has room for five.
        test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 330_000 },
      },
      {
        extends: true,
        // The thin slice on the local Temporal cluster (`npm run cluster`), worker and API as
        // separate processes. The first run on a machine builds the server: 3 minutes on a quiet
        // machine, 20 on a loaded 2-core one; once per machine.
        // One file at a time: each starts the cluster on its fixed ports (one of them from another DATA_DIR).
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 2_700_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'temporal',
          // test/workflows: the case workflow with stub activities on the time-skipping server;
          // test/browser: headless Chromium (the toolchain's) clicking through the real stack.
          include: ['test/temporal/**/*.test.ts', 'test/workflows/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/setup/global-temporal.ts'],
        },
      },
    ],
  },
});
