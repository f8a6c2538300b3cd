import { StripeApiError } from './errors';

export interface FaultSpec {
  /** Regular expression tested against `METHOD /path` (no query string), e.g. `^POST /v1/invoices/.+/pay$`. */
  pathPattern: string;
  status: 429 | 500 | 503;
  /** How many matching requests fail; later ones go through. */
  count: number;
  /**
   * The `Stripe-Should-Retry` header stripe-node obeys. Default: `false` on 429 (Stripe's rate
   * limiter does not invite an immediate retry; backing off is the caller's job) and absent on 5xx
   * (stripe-node then retries 5xx by itself).
   */
  shouldRetry?: boolean;
}

interface ActiveFault extends FaultSpec {
  regex: RegExp;
  remaining: number;
}

/** Makes the next N matching API requests fail the way Stripe fails, before they execute. */
export class FaultInjector {
  private readonly faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    if (![429, 500, 503].includes(spec.status)) throw new Error(`stripe sandbox: unsupported fault status ${spec.status}`);
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new Error('stripe sandbox: fault count must be a positive integer');
    this.faults.push({ ...spec, regex: new RegExp(spec.pathPattern), remaining: spec.count });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The error to answer with, consuming one use of the first matching fault. */
  take(method: string, path: string): StripeApiError | undefined {
    const target = `${method} ${path}`;
    const fault = this.faults.find((f) => f.remaining > 0 && f.regex.test(target));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    const retryHeader: Record<string, string> =
      fault.shouldRetry !== undefined
        ? { 'stripe-should-retry': String(fault.shouldRetry) }
        : fault.status === 429
          ? { 'stripe-should-retry': 'false' }
          : {};
    if (fault.status === 429) {
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
      fault.status,
      {
        type: 'api_error',
        message:
          fault.status === 503
            ? 'The Stripe API is temporarily unavailable. Please try again later.'
            : 'An unknown error occurred. Please try again later.',
      },
      retryHeader,
    );
  }
}
