/**
 * Replay safety: every history in test/histories/ (recorded from the time-skipping workflow tests,
 * RECORD_HISTORIES=<label>, see test/temporal/workflow/harness.ts) is replayed against the current
 * workflow code. A change to workflows/** that would make a running case take a different path
 * (a new activity, timer or email where the history has another) fails here with a
 * DeterminismViolationError, unless it is guarded by patched(). Needs no Temporal server.
 *
 * Histories are never rewritten: those of older code stay, next to newer ones under a new label.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { installRuntime } from '../../src/temporal/runtime';
import { describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../../src/worker';
import { historyFromJSON, type History } from '../support/historyJson';

// Workers log every state change at info; tests want only what went wrong (one JSON line each).
installRuntime({ logger: createLogger({ level: 'warn' }) });

const DIR = join(__dirname, '..', 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

const load = (file: string): { workflowId: string; history: History } => ({
  // Histories do not carry their workflow id; the workflow only uses it in idempotency keys.
  workflowId: `replay-${file.replace(/\.json$/, '')}`,
  history: historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8'))),
});

const EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED = 2;
/** A run that handed over to a new one (workflows/continueAsNew.ts): whole too. */
const EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW = 28;

describe('replay of recorded histories', () => {
  it('has the main paths recorded, each a finished run', () => {
    const names = new Set(files.map((f) => f.replace(/\.[^.]+\.json$/, '')));
    for (const path of [
      'recovered-scheduled-retry',
      'recovered-card-update',
      'recovered-paid-elsewhere',
      'recovered-hard-decline-card-update',
      'exhausted-default',
      'exhausted-mark-uncollectible',
      'cancelled',
      'mac03-signal',
      'card-budget-ledger',
      // Both runs of a case that continued as new: the one that hands over, the one that goes on.
      'reencrypted-case-first-run',
      'reencrypted-case',
    ]) {
      expect(names, path).toContain(path);
    }
    for (const f of files) {
      const events = load(f).history.events ?? [];
      expect([EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW], f).toContain(
        Number(events.at(-1)?.eventType),
      );
    }
  });

  it('replays every history against the current workflow code', async () => {
    const workflowBundle = await bundleWorkflows();
    const results: Array<{ workflowId: string; error?: string }> = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle }, files.map(load))) {
      results.push({ workflowId: r.workflowId, error: r.error ? `${r.error.name}: ${r.error.message}` : undefined });
    }
    expect(results).toHaveLength(files.length);
    expect(results.filter((r) => r.error)).toEqual([]);
  }, 120_000);
});
