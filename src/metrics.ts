/**
 * The service's Prometheus metrics (prom-client), on a registry of their own rather than the
 * global one: several apps in one process (tests, a worker and an API side by side) each count
 * for themselves. The cases' business counters are the worker's (activities/metrics.ts); the
 * gauges read from visibility (blocked cases, open cases and amount at risk) are the API's.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Provider } from '../domain/types';
import { stalledCounts } from './stalled/stalledKind';
import type { StalledReader } from './stalled/stalledMonitor';

/**
 * The Node process's own metrics (CPU, memory, event loop lag, GC), once per process whatever
 * serves them: the API's `/metrics` or the worker's (src/workerMetricsServer.ts).
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

/**
 * Rows of a visibility list whose memo could not be decrypted (a key removed from
 * PAYLOAD_ENCRYPTION_KEYS too early), by list: shown flagged instead of failing the list
 * (src/temporal/visibilityRows.ts). Per process, as the lists are read by whatever lists them.
 */
export const undecryptableRegistry = new Registry();
export const undecryptableRows = new Counter({
  name: 'dunning_undecryptable_rows_total',
  help: 'Cases and quarantined events listed without their memo: encrypted with a key no longer configured (see docs/production/key-rotation.md)',
  labelNames: ['list'] as const,
  registers: [undecryptableRegistry],
});

/** What the open-cases gauges read (src/amountAtRisk.ts reads it from visibility). */
export interface OpenCases {
  /** Open cases by currency. */
  cases: Record<string, number>;
  /** Their amount due by currency, in minor units. */
  amount: Record<string, number>;
}

export interface MetricsOptions {
  /**
   * The running cases waiting on each provider (visibility), read when `/metrics` is scraped.
   * Unset: the gauge has no value.
   */
  blockedCases?: () => Promise<Record<Provider, number>>;
  /** How long one reading of `blockedCases` is reused (default 10 s): scrapes must not load visibility. */
  blockedCasesTtlMs?: number;
  /** This deployment's active cases and their amount due, by currency (src/amountAtRisk.ts). Unset: no value. */
  openCases?: () => Promise<OpenCases>;
  /** How long one reading of `openCases` is reused (default 30 s): it lists every active case. */
  openCasesTtlMs?: number;
  /** The last stalled-case scan (src/stalled/): unset or none yet, the gauge has no value. */
  stalled?: StalledReader;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  /** Other registries served with these (the worker's, when it runs in the same process). */
  alsoRender?: Registry[];
  /** Prometheus text appended to these (the Temporal SDK's, src/temporal/runtime.ts); empty: nothing. */
  alsoText?: () => Promise<string>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly webhooks = new Counter({
    name: 'dunning_stripe_webhooks_total',
    help: 'Stripe webhook deliveries by event type and result',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });
  readonly resendWebhooks = new Counter({
    name: 'dunning_resend_webhooks_total',
    help: 'Resend webhook deliveries by event type and result',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });
  /** Counted once a case has taken it (a redelivered event counts again: Resend delivers at least once). */
  readonly emailUndeliverable = new Counter({
    name: 'dunning_email_undeliverable_total',
    help: "Resend's bounced, complained, suppressed and failed events told to a case, by event",
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'dunning_api_requests_total',
    help: 'Signal API requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  /** Stripe's Smart Retries still on: each of its own attempts on an invoice (see domain/stripeRetries.ts). */
  readonly stripeOwnRetries = new Counter({
    name: 'dunning_stripe_own_retries_total',
    help: "Stripe's own scheduled payment attempts seen on invoices (Smart Retries still on: turn them off)",
    registers: [this.registry],
  });
  readonly linkVisits = new Counter({
    name: 'dunning_update_link_visits_total',
    help: 'Update-link visits by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** `reason_field` is the path of the first invalid field, never the message: bounded labels. */
  readonly eventsQuarantined = new Counter({
    name: 'dunning_stripe_events_quarantined_total',
    help: 'Verified Stripe events refused for invalid fields and kept in quarantine, by event type and first invalid field',
    labelNames: ['type', 'reason_field'] as const,
    registers: [this.registry],
  });
  /**
   * Events rendered at another Stripe API version than the pinned one (quarantined): the webhook
   * endpoint was created at another version. `event_version` is a well-formed version, else
   * `other` or `none`: bounded by Stripe's list of versions.
   */
  readonly apiVersionMismatches = new Counter({
    name: 'dunning_stripe_api_version_mismatches_total',
    help: 'Stripe events refused because they were rendered at another API version than the pinned one',
    labelNames: ['event_version'] as const,
    registers: [this.registry],
  });
  /** `charge.dispute.created` taken (each delivery: Stripe rarely delivers twice); alerted on. */
  readonly disputes = new Counter({
    name: 'dunning_stripe_disputes_total',
    help: 'Stripe disputes opened (charge.dispute.created): the customer is charged no more',
    registers: [this.registry],
  });
  readonly casesBlocked: Gauge<'provider'>;
  readonly casesOpen: Gauge<'currency'>;
  readonly amountAtRisk: Gauge<'currency'>;
  readonly casesStalled: Gauge<'workflow_type' | 'error_kind'>;

  constructor(private readonly opts: MetricsOptions = {}) {
    const log = opts.log;
    const stalled = opts.stalled;
    const stalledSeen = new Set<string>();
    this.casesStalled = new Gauge({
      name: 'dunning_cases_stalled',
      help: 'Open executions whose workflow task keeps failing (attempt >= 2), by workflow type and error kind, from the last scan',
      labelNames: ['workflow_type', 'error_kind'] as const,
      registers: [this.registry],
      collect: stalled
        ? () => {
            const scan = stalled.latest();
            if (!scan) return;
            // A kind that had stalled cases and has none now reads 0, not its last count.
            const now = new Map(stalledCounts(scan.cases).map((c) => [`${c.workflowType}\u0000${c.errorKind}`, c.count]));
            for (const key of now.keys()) stalledSeen.add(key);
            for (const key of stalledSeen) {
              const [workflow_type, error_kind] = key.split('\u0000') as [string, string];
              this.casesStalled.set({ workflow_type, error_kind }, now.get(key) ?? 0);
            }
          }
        : undefined,
    });
    const blocked = opts.blockedCases;
    this.casesBlocked = new Gauge({
      name: 'dunning_cases_blocked',
      help: 'Running cases waiting on a provider (DunningBlockedOn), counted at scrape time',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      collect: blocked
        ? readAtMostEvery(opts.blockedCasesTtlMs ?? 10_000, 'blocked cases', log, async () => {
            for (const [provider, n] of Object.entries(await blocked())) this.casesBlocked.set({ provider }, n);
          })
        : undefined,
    });
    const open = opts.openCases;
    const seen = new Set<string>();
    const refreshOpen = open
      ? readAtMostEvery(opts.openCasesTtlMs ?? 30_000, 'open cases', log, async () => {
          const reading = await open();
          for (const c of Object.keys(reading.cases)) seen.add(c);
          // A currency without active cases any more reads 0, not its last amount.
          for (const currency of seen) {
            this.casesOpen.set({ currency }, reading.cases[currency] ?? 0);
            this.amountAtRisk.set({ currency }, reading.amount[currency] ?? 0);
          }
        })
      : undefined;
    this.casesOpen = new Gauge({
      name: 'dunning_cases_open',
      help: "This deployment's open cases by currency (visibility: DunningState active or processing), read at scrape time",
      labelNames: ['currency'] as const,
      registers: [this.registry],
      collect: refreshOpen,
    });
    this.amountAtRisk = new Gauge({
      name: 'dunning_amount_at_risk_minor_units',
      help: 'Amount due of the active cases by currency, in minor units (visibility: sum of DunningAmountDue), read at scrape time',
      labelNames: ['currency'] as const,
      registers: [this.registry],
      collect: refreshOpen,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** This app's metrics, the process's, those of `alsoRender`, then `alsoText`'s. */
  async render(): Promise<string> {
    const own = await Registry.merge([
      this.registry,
      processRegistry,
      undecryptableRegistry,
      ...(this.opts.alsoRender ?? []),
    ]).metrics();
    const more = this.opts.alsoText ? await this.opts.alsoText() : '';
    return more ? `${own.trimEnd()}\n${more}` : own;
  }
}

/**
 * A gauge's `collect` that reads visibility at most once per `ttlMs`, shared by concurrent
 * scrapes: scrapes must not load visibility. A scrape waits for a reading at most `waitMs`: a
 * slow one (many open cases, a slow cluster) goes on and sets the gauge for the next scrape, and
 * this scrape answers in time with the last values. A failed reading (Temporal down) leaves the
 * gauge as it was and is logged: the rest of the scrape must not fail with it.
 */
function readAtMostEvery(
  ttlMs: number,
  what: string,
  log: MetricsOptions['log'],
  read: () => Promise<void>,
  waitMs = 2500,
): () => Promise<void> {
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  return () => {
    if (Date.now() - readAt < ttlMs) return Promise.resolve();
    reading ??= (async () => {
      try {
        await read();
      } catch (err) {
        log?.(`${what} not counted; the gauge keeps its last value`, { error: String(err) });
      } finally {
        readAt = Date.now();
        reading = undefined;
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    return Promise.race([reading, waited]).finally(() => clearTimeout(timer));
  };
}
