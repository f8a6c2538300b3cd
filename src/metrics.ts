/**
 * The service's Prometheus metrics (prom-client), on a registry of their own rather than the
 * global one: several apps in one process (tests, a worker and an API side by side) each count
 * for themselves. The cases' business counters are the worker's (activities/metrics.ts); the
 * gauges read from visibility (blocked cases, open cases and amount at risk) are the API's.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { experimentGauges } from './experiments/experimentGauges';
import type { ExperimentReport } from '../domain/experimentResults';
import type { Provider } from '../domain/types';
import { stalledCounts } from './stalled/stalledKind';
import { UNDELIVERABLE_EVENTS } from './http/resendEvents';
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
  /** The policy experiments' results (src/experiments/), read at most once a minute; unset: no such gauges. */
  experiments?: () => Promise<ExperimentReport[]>;
  /** Other registries served with these (the worker's, when it runs in the same process). */
  alsoRender?: Registry[];
  /** Prometheus text appended to these (the Temporal SDK's, src/temporal/runtime.ts); empty: nothing. */
  alsoText?: () => Promise<string>;
}

/** A webhook delivery is counted by its event type and what became of it. */
const DELIVERY_LABELS = ['type', 'result'] as const;

export class Metrics {
  readonly registry = new Registry();
  /** A counter on this app's registry. */
  private readonly counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  /** A gauge on this app's registry, read by `collect` at scrape time. */
  private readonly gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (() => void | Promise<void>) | undefined,
  ) => new Gauge<L>({ name, help, labelNames, registers: [this.registry], collect });
  readonly webhooks = this.counter(
    'dunning_stripe_webhooks_total',
    'Stripe webhook deliveries by event type and result',
    DELIVERY_LABELS,
  );
  readonly resendWebhooks = this.counter(
    'dunning_resend_webhooks_total',
    'Resend webhook deliveries by event type and result',
    DELIVERY_LABELS,
  );
  /** Counted once a case has taken it (a redelivered event counts again: Resend delivers at least once). */
  readonly emailUndeliverable = this.counter(
    'dunning_email_undeliverable_total',
    "Resend's bounced, complained, suppressed and failed events told to a case, by event",
    ['event'],
  );
  readonly apiRequests = this.counter('dunning_api_requests_total', 'Signal API requests by route and status', [
    'route',
    'status',
  ]);
  /** Stripe's Smart Retries still on: each of its own attempts on an invoice (see domain/stripeRetries.ts). */
  readonly stripeOwnRetries = this.counter(
    'dunning_stripe_own_retries_total',
    "Stripe's own scheduled payment attempts seen on invoices (Smart Retries still on: turn them off)",
  );
  readonly linkVisits = this.counter('dunning_update_link_visits_total', 'Update-link visits by result', ['result']);
  /** `reason_field` is the path of the first invalid field, never the message: bounded labels. */
  readonly eventsQuarantined = this.counter(
    'dunning_stripe_events_quarantined_total',
    'Verified Stripe events refused for invalid fields and kept in quarantine, by event type and first invalid field',
    ['type', 'reason_field'],
  );
  /**
   * Events rendered at another Stripe API version than the pinned one (quarantined): the webhook
   * endpoint was created at another version. `event_version` is a well-formed version, else
   * `other` or `none`: bounded by Stripe's list of versions.
   */
  readonly apiVersionMismatches = this.counter(
    'dunning_stripe_api_version_mismatches_total',
    'Stripe events refused because they were rendered at another API version than the pinned one',
    ['event_version'],
  );
  /** `charge.dispute.created` taken (each delivery: Stripe rarely delivers twice); alerted on. */
  readonly disputes = this.counter(
    'dunning_stripe_disputes_total',
    'Stripe disputes opened (charge.dispute.created): the customer is charged no more',
  );
  readonly casesBlocked: Gauge<'provider'>;
  readonly casesOpen: Gauge<'currency'>;
  readonly amountAtRisk: Gauge<'currency'>;
  readonly casesStalled: Gauge<'workflow_type' | 'error_kind'>;

  constructor(private readonly opts: MetricsOptions = {}) {
    // At 0 from the start: Prometheus's increase() cannot count the sample that creates a series,
    // so a first bounce would be lost to the bounce alert (deploy/prometheus/alerts.yml).
    for (const event of UNDELIVERABLE_EVENTS) this.emailUndeliverable.inc({ event }, 0);
    const log = opts.log;
    const stalled = opts.stalled;
    const stalledSeen = new Set<string>();
    this.casesStalled = this.gauge(
      'dunning_cases_stalled',
      'Open executions whose workflow task keeps failing (attempt >= 2), by workflow type and error kind, from the last scan',
      ['workflow_type', 'error_kind'],
      stalled
        ? () => {
            const scan = stalled.latest();
            if (!scan) return;
            // A sample without labels, always 0, once a scan ran: "none stalled" reads 0 on the
            // dashboard rather than no data, which also means no scan (no monitor, or it fails).
            this.casesStalled.set({}, 0);
            // A kind that had stalled cases and has none now reads 0, not its last count.
            const now = new Map(stalledCounts(scan.cases).map((c) => [`${c.workflowType}\u0000${c.errorKind}`, c.count]));
            for (const key of now.keys()) stalledSeen.add(key);
            for (const key of stalledSeen) {
              const [workflow_type, error_kind] = key.split('\u0000') as [string, string];
              this.casesStalled.set({ workflow_type, error_kind }, now.get(key) ?? 0);
            }
          }
        : undefined,
    );
    const blocked = opts.blockedCases;
    this.casesBlocked = this.gauge(
      'dunning_cases_blocked',
      'Running cases waiting on a provider (DunningBlockedOn), counted at scrape time',
      ['provider'],
      blocked
        ? readAtMostEvery(opts.blockedCasesTtlMs ?? 10_000, 'blocked cases', log, async () => {
            for (const [provider, n] of Object.entries(await blocked())) this.casesBlocked.set({ provider }, n);
          })
        : undefined,
    );
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
    this.casesOpen = this.gauge(
      'dunning_cases_open',
      "This deployment's open cases by currency (visibility: DunningState active or processing), read at scrape time",
      ['currency'],
      refreshOpen,
    );
    this.amountAtRisk = this.gauge(
      'dunning_amount_at_risk_minor_units',
      'Amount due of the active cases by currency, in minor units (visibility: sum of DunningAmountDue), read at scrape time',
      ['currency'],
      refreshOpen,
    );
    const experiments = opts.experiments;
    if (experiments) {
      experimentGauges(this.registry, experiments, (read) => readAtMostEvery(60_000, 'experiment results', log, read));
    }
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
