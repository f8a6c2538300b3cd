/**
 * The API's answers as the CLI reads them, checked at the edge. Loose on purpose where the service
 * may grow (a new attempt trigger, a new field): the formatters name what they do not know in plain
 * words instead of failing, so an older CLI still shows a newer service's cases.
 */
import { z } from 'zod';
import type { DunningStatus } from '../../domain/types';
import type { CaseSummary } from '../dunningClient';
import type { QuarantineEntry } from '../quarantine/quarantineStore';
import type { StalledScan } from '../stalled/stalledKind';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'is not a time');

const status = z
  .object({
    invoiceId: z.string(),
    customerId: z.string(),
    subscriptionId: z.string().optional(),
    state: z.string(),
    amountDue: z.number(),
    currency: z.string(),
    declineCategory: z.string(),
    attempts: z.array(
      z.object({
        at: iso,
        trigger: z.string(),
        outcome: z.string(),
        declineCode: z.string().optional(),
        error: z.string().optional(),
      }),
    ),
    emails: z.array(z.object({ at: iso, template: z.string(), messageId: z.string().optional(), error: z.string().optional() })),
    nextAction: z.object({ kind: z.string(), at: iso }).optional(),
    startedAt: iso,
    endedAt: iso.optional(),
    outcome: z.string().optional(),
    blockedOn: z.object({ provider: z.string(), since: iso, reason: z.string(), retryAt: iso }).optional(),
    card: z.object({ brand: z.string().optional(), last4: z.string().optional() }).optional(),
    customerRetry: z
      .union([
        z.object({ allowed: z.literal(true) }),
        z.object({ allowed: z.literal(false), reason: z.string(), retryAt: iso.optional() }),
      ])
      .optional(),
    timeZone: z.string().optional(),
    emailUndeliverable: z
      .object({
        event: z.enum(['bounced', 'complained', 'suppressed', 'failed']),
        address: z.string(),
        emailId: z.string().optional(),
        reason: z.string().optional(),
        occurredAt: iso,
      })
      .optional(),
  })
  .passthrough();

const summary = z
  .object({
    workflowId: z.string(),
    invoiceId: z.string().optional(),
    customerId: z.string().optional(),
    state: z.string().optional(),
    declineCategory: z.string().optional(),
    amountDue: z.number().optional(),
    currency: z.string().optional(),
    nextActionAt: iso.optional(),
    blockedOn: z.string().optional(),
    startedAt: iso,
    status: z.string(),
  })
  .passthrough();

const quarantined = z
  .object({ eventId: z.string(), status: z.string(), type: z.string(), field: z.string(), reason: z.string(), receivedAt: iso })
  .passthrough();

/** The API answered something the CLI cannot read (a different service behind the URL?). */
function read<T>(schema: z.ZodTypeAny, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `unexpected answer for ${what}: ${issue ? `${issue.path.join('.') || '(body)'} ${issue.message}` : 'invalid'}`,
    );
  }
  return r.data as T;
}

export const readStatus = (body: unknown): DunningStatus => read(status, body, 'the case');
export const readCaseList = (body: unknown): CaseSummary[] =>
  read<{ cases: CaseSummary[] }>(z.object({ cases: z.array(summary) }), body, 'the list of cases').cases;
export const readQuarantine = (body: unknown): QuarantineEntry[] =>
  read<{ events: QuarantineEntry[] }>(z.object({ events: z.array(quarantined) }), body, 'the quarantine').events;

const stalledCase = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    workflowType: z.string(),
    attempt: z.number(),
    errorKind: z.string(),
    message: z.string().optional(),
    failingSince: iso.optional(),
  })
  .passthrough();
const stalledScan = z
  .object({ scannedAt: iso, method: z.string(), scanned: z.number(), truncated: z.boolean(), cases: z.array(stalledCase) })
  .passthrough();
export const readStalled = (body: unknown): StalledScan => read(stalledScan, body, 'the stalled cases');
