/**
 * Where refused Stripe events wait for an operator: one `quarantinedStripeEvent` workflow each
 * (workflows/quarantine.ts), on this deployment's task queue. Durable and shared by every API
 * process; listed through visibility (the summary is in the memo, so listing runs no queries).
 */
import { createHash } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  QUARANTINE_WORKFLOW_TYPE,
  quarantineDetailsQuery,
  resolveQuarantineSignal,
  workflowIdForQuarantine,
  type QuarantinedEvent,
  type QuarantineMemo,
  type QuarantineResolution,
} from '../../domain/quarantineMessages';
import { quote } from '../temporal/visibilityRows';
import { listRows } from '../temporal/visibilityRows';
import type { EventProblem } from '../http/stripeEventSchemas';
import { bodyText, storeBody } from './storedBody';

export interface QuarantineEntry extends QuarantineMemo {
  /** `quarantined` until an operator decides. */
  status: 'quarantined' | QuarantineResolution['action'];
  /** Its memo is under an encryption key no longer configured: only the id and the time are known. */
  undecryptable?: true;
}

export interface QuarantineDetails extends QuarantineEntry {
  /** The body as received (decoded text). */
  rawBody: string;
  resolution?: QuarantineResolution & { at: string };
}

/** The key of a refused event: Stripe's id when it has a valid one, else a hash of the body. */
export function quarantineKey(problem: Pick<EventProblem, 'eventId'>, raw: Buffer): string {
  return problem.eventId ?? `body_${createHash('sha256').update(raw).digest('hex')}`;
}

export class QuarantineStore {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    /** Bound on every call, so a dead cluster answers 503 in seconds. */
    private readonly deadlineMs = 10_000,
  ) {}

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.client.withDeadline(Date.now() + this.deadlineMs, fn);
  }

  /**
   * Keeps a refused event. `already`: the same event (Stripe's redelivery) is in quarantine now.
   * An event whose earlier quarantine was resolved is quarantined again: the operator decides anew.
   */
  async put(problem: EventProblem, raw: Buffer, receivedAt = new Date()): Promise<{ eventId: string; already: boolean }> {
    const eventId = quarantineKey(problem, raw);
    const memo: QuarantineMemo = {
      eventId,
      type: problem.type ?? 'unknown',
      field: problem.field,
      reason: problem.reason,
      receivedAt: receivedAt.toISOString(),
    };
    const input: QuarantinedEvent = { ...memo, ...storeBody(raw) };
    try {
      await this.withDeadline(() =>
        this.client.workflow.start(QUARANTINE_WORKFLOW_TYPE, {
          workflowId: workflowIdForQuarantine(eventId),
          taskQueue: this.taskQueue,
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          args: [input],
          memo: { ...memo },
          staticSummary: `quarantined Stripe event ${memo.type}${memo.field ? `: invalid ${memo.field}` : ''}`,
        }),
      );
      return { eventId, already: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { eventId, already: true };
      throw err;
    }
  }

  /** The events in quarantine now (newest first, as visibility orders them). */
  async list(limit = 100): Promise<QuarantineEntry[]> {
    const query = [
      `WorkflowType = ${quote(QUARANTINE_WORKFLOW_TYPE)}`,
      `ExecutionStatus = 'Running'`,
      `TaskQueue = ${quote(this.taskQueue)}`,
    ].join(' AND ');
    const out: QuarantineEntry[] = [];
    await this.withDeadline(async () => {
      // Row by row: an event the codec cannot decrypt is listed flagged, it does not fail the list.
      for await (const wf of listRows(this.client, { query, list: 'quarantine' })) {
        const m = (wf.memo ?? {}) as Partial<QuarantineMemo>;
        out.push({
          eventId: m.eventId ?? wf.workflowId.replace(/^quarantine-/, ''),
          type: m.type ?? 'unknown',
          field: m.field ?? '',
          reason: m.reason ?? '',
          receivedAt: m.receivedAt ?? wf.startTime.toISOString(),
          status: 'quarantined',
          ...(wf.undecryptable ? { undecryptable: true as const } : {}),
        });
        if (out.length >= limit) break;
      }
    });
    return out;
  }

  /** One event with its body, quarantined or already resolved; undefined when unknown. */
  async get(eventId: string): Promise<QuarantineDetails | undefined> {
    const handle = this.client.workflow.getHandle(workflowIdForQuarantine(eventId));
    try {
      return await this.withDeadline(async () => {
        const description = await handle.describe();
        if (description.type !== QUARANTINE_WORKFLOW_TYPE) return undefined;
        const event = await handle.query(quarantineDetailsQuery);
        const { rawBody: _stored, rawBodyEncoding: _encoding, ...memo } = event;
        const base = { ...memo, rawBody: bodyText(event) };
        if (description.status.name === 'RUNNING') return { ...base, status: 'quarantined' as const };
        if (description.status.name !== 'COMPLETED') return undefined; // terminated by hand: gone
        const resolution = (await handle.result()) as QuarantineResolution & { at: string };
        return { ...base, status: resolution.action, resolution };
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Ends an event's quarantine, and returns once it has ended (so the next read sees it); false
   * when it is not in quarantine (unknown or resolved).
   */
  async resolve(eventId: string, resolution: QuarantineResolution): Promise<boolean> {
    const handle = this.client.workflow.getHandle(workflowIdForQuarantine(eventId));
    try {
      await this.withDeadline(async () => {
        await handle.signal(resolveQuarantineSignal, resolution);
        await handle.result();
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}
