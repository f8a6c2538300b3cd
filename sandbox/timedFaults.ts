/**
 * Faults that last for a while rather than for N requests, shared by the Stripe sandbox and the
 * Resend outbox: a storm (a fraction of matching requests fail for a duration) and an outage (all
 * of them, `rate` 1). What a failed request answers (its status and body, or a dropped connection)
 * is each sandbox's business; this only decides which requests fail, and by which fault.
 */

export interface TimedFaultSpec {
  /** Regular expression tested against `METHOD /path`; default: every API request. */
  pathPattern?: string;
  /** An HTTP status, or `reset`: the connection is dropped without an answer (a network outage). */
  status: number | 'reset';
  /** Fraction of matching requests that fail, in (0, 1]; default 1 (an outage). */
  rate?: number;
  durationMs: number;
}

export type ActiveTimedFault<Spec extends TimedFaultSpec> = Spec & {
  rate: number;
  endsAt: string;
  /** Requests this fault failed so far. */
  hits: number;
};

interface Entry<Spec extends TimedFaultSpec> {
  fault: ActiveTimedFault<Spec>;
  regex: RegExp | undefined;
  endsAtMs: number;
}

export class TimedFaults<Spec extends TimedFaultSpec> {
  private entries: Entry<Spec>[] = [];

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  add(spec: Spec): ActiveTimedFault<Spec> {
    const rate = spec.rate ?? 1;
    if (!(rate > 0 && rate <= 1)) throw new RangeError('fault rate must be in (0, 1]');
    if (!Number.isFinite(spec.durationMs) || spec.durationMs <= 0) throw new RangeError('fault durationMs must be positive');
    const regex = spec.pathPattern ? new RegExp(spec.pathPattern) : undefined;
    const endsAtMs = this.now() + spec.durationMs;
    const fault = { ...spec, rate, endsAt: new Date(endsAtMs).toISOString(), hits: 0 };
    this.entries.push({ fault, regex, endsAtMs });
    return { ...fault };
  }

  clear(): void {
    this.entries = [];
  }

  /** Faults still running, oldest first. */
  active(): ActiveTimedFault<Spec>[] {
    this.expire();
    return this.entries.map((e) => ({ ...e.fault }));
  }

  /**
   * The running fault that fails this request, if any. Each matching fault draws in turn, so a
   * 500 storm and a 503 storm at 30 % each fail about half the requests between them.
   */
  take(method: string, path: string): ActiveTimedFault<Spec> | undefined {
    this.expire();
    const target = `${method} ${path}`;
    for (const entry of this.entries) {
      if (entry.regex && !entry.regex.test(target)) continue;
      if (this.random() >= entry.fault.rate) continue;
      entry.fault.hits += 1;
      return entry.fault;
    }
    return undefined;
  }

  private expire(): void {
    const now = this.now();
    if (this.entries.some((e) => e.endsAtMs <= now)) this.entries = this.entries.filter((e) => e.endsAtMs > now);
  }
}
