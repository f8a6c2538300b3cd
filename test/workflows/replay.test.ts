/**
 * Replay safety: every history in test/histories/ (one per scenario, recorded from the
 * time-skipping workflow tests with RECORD_HISTORIES=1, see test/support/historyJson.ts) is
 * replayed against the current workflow code. A change to workflows/** that would make a running
 * case take a different path (a new activity, timer or email where the history has another) fails
 * here with a DeterminismViolationError. Needs no Temporal server.
 *
 * Each workflow type the worker runs, and each signal and Update the service defines, must be
 * exercised by at least one history: a new one comes with its recorded scenario.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { installRuntime } from '../../src/temporal/runtime';
import { describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../../src/worker';
import * as workflowTypes from '../../workflows';
import { HISTORIES_DIR as DIR, historyFromJSON, type History } from '../support/historyJson';

// Workers log every state change at info; tests want only what went wrong (one JSON line each).
installRuntime({ logger: createLogger({ level: 'warn' }) });

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

const load = (file: string): { workflowId: string; history: History } => ({
  // Histories do not carry their workflow id; the workflow only uses it in idempotency keys.
  workflowId: `replay-${file.replace(/\.json$/, '')}`,
  history: historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8'))),
});

/** What a history exercises, read from its JSON: the workflow type, the signals and Updates it received. */
interface RecordedJson {
  events: Array<{
    eventType: string;
    workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
    workflowExecutionSignaledEventAttributes?: { signalName?: string };
    workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
  }>;
}
const exercised = (file: string) => {
  const { events } = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as RecordedJson;
  return {
    workflowType: events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name,
    messages: events.flatMap((e) => [
      ...(e.workflowExecutionSignaledEventAttributes?.signalName ? [e.workflowExecutionSignaledEventAttributes.signalName] : []),
      ...(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name
        ? [e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest.input.name]
        : []),
    ]),
    // Completed, or handed over to a new run (workflows/continueAsNew.ts): a whole run either way.
    completed: ['EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW'].includes(
      events.at(-1)?.eventType ?? '',
    ),
  };
};

/** Every signal and Update the service defines: the exported definitions of domain/. */
async function definedMessages(): Promise<string[]> {
  const domain = join(__dirname, '..', '..', 'domain');
  const names: string[] = [];
  for (const f of readdirSync(domain).filter((x) => x.endsWith('.ts'))) {
    const mod = (await import(join(domain, f))) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      const d = v as { type?: unknown; name?: unknown };
      if (d && typeof d === 'object' && (d.type === 'signal' || d.type === 'update') && typeof d.name === 'string')
        names.push(d.name);
    }
  }
  return names.sort();
}

describe('replay of recorded histories', () => {
  it('has one finished history per scenario, named for it (no version suffix)', () => {
    for (const f of files) {
      expect(f, 'a scenario name: lower-case words joined by dashes').toMatch(/^[a-z0-9]+(-[a-z0-9]+)*\.json$/);
      expect(exercised(f).completed, `${f}: a finished run`).toBe(true);
    }
    for (const scenario of [
      'recovered-scheduled-retry',
      'recovered-card-update',
      'recovered-paid-elsewhere',
      'exhausted-default',
      'exhausted-mark-uncollectible',
      'cancelled',
      'card-ledger-visa-limit',
      // Both runs of a case that continued as new: the one that hands over, the one that goes on.
      'reencrypted-case-first-run',
      'reencrypted-case',
    ]) {
      expect(files, scenario).toContain(`${scenario}.json`);
    }
  });

  it('exercises every workflow type the worker runs, and every signal and Update', async () => {
    const seen = files.map(exercised);
    const types = new Set(seen.map((s) => s.workflowType));
    for (const type of Object.keys(workflowTypes)) expect(types, `a history of workflow type ${type}`).toContain(type);
    const messages = new Set(seen.flatMap((s) => s.messages));
    const defined = await definedMessages();
    expect(defined.length).toBeGreaterThanOrEqual(14);
    for (const name of defined) expect(messages, `a history that receives ${name}`).toContain(name);
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
