/**
 * A tiny Prometheus registry: counters with labels, rendered in the text exposition format.
 * Enough for `/metrics`; the cases themselves are observed in Temporal (Web UI, visibility).
 */
type Labels = Record<string, string>;

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

export class Metrics {
  readonly webhooks = new Counter('dunning_stripe_webhooks_total', 'Stripe webhook deliveries by event type and result');
  readonly apiRequests = new Counter('dunning_api_requests_total', 'Signal API requests by route and status');
  readonly linkVisits = new Counter('dunning_update_link_visits_total', 'Update-link visits by result');
  render(): string {
    return `${[this.webhooks, this.apiRequests, this.linkVisits].map((c) => c.render()).join('\n')}\n`;
  }
}
