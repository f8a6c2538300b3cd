/**
 * The service's Prometheus metrics (prom-client), on a registry of their own rather than the
 * global one: several apps in one process (tests, a worker and an API side by side) each count
 * for themselves. The cases themselves are observed in Temporal (Web UI, visibility).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Provider } from '../domain/types';

export interface MetricsOptions {
  /**
   * The running cases waiting on each provider (visibility), read when `/metrics` is scraped.
   * Unset: the gauge has no value.
   */
  blockedCases?: () => Promise<Record<Provider, number>>;
  /** How long one reading of `blockedCases` is reused (default 10 s): scrapes must not load visibility. */
  blockedCasesTtlMs?: number;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
  /** Other registries served with these (the worker's, when it runs in the same process). */
  alsoRender?: Registry[];
}

export class Metrics {
  readonly registry = new Registry();
  readonly webhooks = new Counter({
    name: 'dunning_stripe_webhooks_total',
    help: 'Stripe webhook deliveries by event type and result',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'dunning_api_requests_total',
    help: 'Signal API requests by route and status',
    labelNames: ['route', 'status'] as const,
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
  readonly casesBlocked: Gauge<'provider'>;

  private blockedReadAt = Number.NEGATIVE_INFINITY;
  private blockedReading: Promise<void> | undefined;

  constructor(private readonly opts: MetricsOptions = {}) {
    const refresh = () => this.refreshBlocked();
    this.casesBlocked = new Gauge({
      name: 'dunning_cases_blocked',
      help: 'Running cases waiting on a provider (DunningBlockedOn), counted at scrape time',
      labelNames: ['provider'] as const,
      registers: [this.registry],
      collect: refresh,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    const also = this.opts.alsoRender ?? [];
    return (also.length ? Registry.merge([this.registry, ...also]) : this.registry).metrics();
  }

  /**
   * At most one reading per TTL, shared by concurrent scrapes. A failed reading (Temporal down)
   * leaves the gauge as it was and is logged: the rest of the scrape must not fail with it.
   */
  private refreshBlocked(): Promise<void> {
    const read = this.opts.blockedCases;
    if (!read || Date.now() - this.blockedReadAt < (this.opts.blockedCasesTtlMs ?? 10_000)) return Promise.resolve();
    this.blockedReading ??= (async () => {
      try {
        const counts = await read();
        for (const [provider, n] of Object.entries(counts)) this.casesBlocked.set({ provider }, n);
      } catch (err) {
        this.opts.log?.('blocked cases not counted; the gauge keeps its last value', { error: String(err) });
      } finally {
        this.blockedReadAt = Date.now();
        this.blockedReading = undefined;
      }
    })();
    return this.blockedReading;
  }
}
