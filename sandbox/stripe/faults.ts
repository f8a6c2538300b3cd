import { TimedFaults, type ActiveTimedFault, type TimedFaultSpec } from '../timedFaults';
import { StripeApiError } from './errors';

export type StripeFaultStatus = 429 | 500 | 503;

export interface FaultSpec {
  /** Regular expression tested against `METHOD /path` (no query string), e.g. `^POST /v1/invoices/.+/pay$`. */
  pathPattern: string;
  status: StripeFaultStatus;
  /** How many matching requests fail; later ones go through. */
  count: number;
  /**
   * The `Stripe-Should-Retry` header stripe-node obeys. Default: `false` on 429 (Stripe's rate
   * limiter does not invite an immediate retry; backing off is the caller's job) and absent on 5xx
   * (stripe-node then retries 5xx by itself).
   */
  shouldRetry?: boolean;
}

/** A storm (`rate` < 1) or an outage (`rate` 1) of the API for `durationMs`; `reset` drops connections. */
export interface StripeTimedFaultSpec extends TimedFaultSpec {
  status: StripeFaultStatus | 'reset';
  shouldRetry?: boolean;
}

interface ActiveFault extends FaultSpec {
  regex: RegExp;
  remaining: number;
}

/**
 * Makes API requests fail the way Stripe fails, before they execute: the next N matching ones
 * (`add`), or for a while all or a fraction of them (`addTimed`: storms and outages). Count-based
 * faults go first.
 */
export class FaultInjector {
  private readonly faults: ActiveFault[] = [];
  private readonly timed = new TimedFaults<StripeTimedFaultSpec>();

  add(spec: FaultSpec): void {
    if (![429, 500, 503].includes(spec.status)) throw new Error(`stripe sandbox: unsupported fault status ${spec.status}`);
    if (!Number.isInteger(spec.count) || spec.count < 1)
      throw new Error('stripe sandbox: fault count must be a positive integer');
    this.faults.push({ ...spec, regex: new RegExp(spec.pathPattern), remaining: spec.count });
  }

  addTimed(spec: StripeTimedFaultSpec): ActiveTimedFault<StripeTimedFaultSpec> {
    if (spec.status !== 'reset' && ![429, 500, 503].includes(spec.status)) {
      throw new Error(`stripe sandbox: unsupported fault status ${spec.status}`);
    }
    return this.timed.add(spec);
  }

  clear(): void {
    this.faults.length = 0;
    this.timed.clear();
  }

  /** What is injected now: count-based faults with the uses left, and the storms and outages running. */
  list(): { counted: Array<FaultSpec & { remaining: number }>; timed: Array<ActiveTimedFault<StripeTimedFaultSpec>> } {
    return { counted: this.faults.map(({ regex: _regex, ...f }) => f), timed: this.timed.active() };
  }

  /**
   * How to answer this request if a fault hits it: an error, or `reset` (drop the connection).
   * A count-based fault loses one use.
   */
  take(method: string, path: string): StripeApiError | 'reset' | undefined {
    const target = `${method} ${path}`;
    const fault = this.faults.find((f) => f.remaining > 0 && f.regex.test(target));
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return stripeEdgeError(fault.status, fault.shouldRetry);
    }
    const storm = this.timed.take(method, path);
    if (!storm) return undefined;
    return storm.status === 'reset' ? 'reset' : stripeEdgeError(storm.status, storm.shouldRetry);
  }
}

/** Stripe's answer when its edge fails: the error body, and `Stripe-Should-Retry` as described on FaultSpec. */
function stripeEdgeError(status: StripeFaultStatus, shouldRetry: boolean | undefined): StripeApiError {
  const retryHeader: Record<string, string> =
    shouldRetry !== undefined
      ? { 'stripe-should-retry': String(shouldRetry) }
      : status === 429
        ? { 'stripe-should-retry': 'false' }
        : {};
  if (status === 429) {
    return new StripeApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'rate_limit',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      },
      retryHeader,
    );
  }
  return new StripeApiError(
    status,
    {
      type: 'api_error',
      message:
        status === 503
          ? 'The Stripe API is temporarily unavailable. Please try again later.'
          : 'An unknown error occurred. Please try again later.',
    },
    retryHeader,
  );
}
