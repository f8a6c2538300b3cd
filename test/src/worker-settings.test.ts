import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { DEFAULT_MAX_CACHED_WORKFLOWS, DEFAULT_WORKFLOW_HEAP_MB, maxCachedWorkflows, workflowHeapFlags } from '../../src/worker';

/** The worker's memory settings as src/main.ts gets them: parsed by the config, once. */
const memory = (env: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'dunning-worker-')), ...env }).worker;

describe('worker memory settings', () => {
  it('keeps a small sticky cache unless WORKER_MAX_CACHED_WORKFLOWS says otherwise', () => {
    expect(maxCachedWorkflows(memory({}))).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
    expect(maxCachedWorkflows(memory({ WORKER_MAX_CACHED_WORKFLOWS: '' }))).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
    expect(maxCachedWorkflows(memory({ WORKER_MAX_CACHED_WORKFLOWS: '2000' }))).toBe(2000);
    expect(maxCachedWorkflows(memory({ WORKER_MAX_CACHED_WORKFLOWS: '0' }))).toBe(0);
    // A typo stops the start (the config's problem, test/src/config.test.ts) instead of meaning the default.
    expect(() => memory({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });

  it('caps the workflow heap unless WORKER_WORKFLOW_HEAP_MB is 0', () => {
    expect(workflowHeapFlags(memory({}))).toEqual([
      `--max-old-space-size=${DEFAULT_WORKFLOW_HEAP_MB}`,
      '--max-semi-space-size=1',
    ]);
    expect(workflowHeapFlags(memory({ WORKER_WORKFLOW_HEAP_MB: '512' }))[0]).toBe('--max-old-space-size=512');
    expect(workflowHeapFlags(memory({ WORKER_WORKFLOW_HEAP_MB: '0' }))).toEqual([]);
    // A bigger cache, a bigger heap: 1 MB per cached workflow above the default cache.
    expect(workflowHeapFlags(memory({ WORKER_MAX_CACHED_WORKFLOWS: '2000' }))[0]).toBe(
      `--max-old-space-size=${DEFAULT_WORKFLOW_HEAP_MB + 2000 - DEFAULT_MAX_CACHED_WORKFLOWS}`,
    );
    expect(workflowHeapFlags(memory({ WORKER_MAX_CACHED_WORKFLOWS: '10' }))[0]).toBe(
      `--max-old-space-size=${DEFAULT_WORKFLOW_HEAP_MB}`,
    );
  });

  // What src/main.ts relies on: flags set at run time size the heap of a thread started after them
  // (the SDK's workflow thread), not the main thread's. In a child process: V8 flags are process-wide.
  it('sizes the heap of a thread started after the flags are set', () => {
    const script = `
      const v8 = require('node:v8');
      const { Worker } = require('node:worker_threads');
      const mb = () => Math.round(v8.getHeapStatistics().heap_size_limit / 1048576);
      const before = mb();
      for (const f of ${JSON.stringify(workflowHeapFlags({}))}) v8.setFlagsFromString(f);
      new Worker("require('node:worker_threads').parentPort.postMessage(Math.round(require('node:v8').getHeapStatistics().heap_size_limit / 1048576))", { eval: true })
        .once('message', (thread) => { console.log(JSON.stringify({ before, main: mb(), thread })); process.exit(0); });`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Record<string, number>;
    expect(out.main).toBe(out.before);
    // The old space asked for, plus V8's young generation (a few MB).
    expect(out.thread).toBeGreaterThanOrEqual(DEFAULT_WORKFLOW_HEAP_MB);
    expect(out.thread).toBeLessThan(DEFAULT_WORKFLOW_HEAP_MB + 16);
  });
});
