/**
 * Resend's per-second request limit (default 2 requests/second per team, across all keys:
 * https://resend.com/docs/api-reference/rate-limit). A sliding one-second window: a burst that
 * straddles a second boundary is still limited, which is the stricter and more useful behaviour
 * for testing that callers back off.
 */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until a request would be allowed again (>= 1 when refused). */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  private readonly hits: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perSecond > 0)) throw new RangeError('rateLimitPerSecond must be positive');
  }

  take(): RateDecision {
    const t = this.now();
    while (this.hits.length > 0 && this.hits[0]! <= t - 1000) this.hits.shift();
    const resetSeconds = this.hits.length > 0 ? Math.max(1, Math.ceil((this.hits[0]! + 1000 - t) / 1000)) : 1;
    if (this.hits.length >= this.perSecond) {
      return { allowed: false, limit: this.perSecond, remaining: 0, resetSeconds };
    }
    this.hits.push(t);
    return { allowed: true, limit: this.perSecond, remaining: this.perSecond - this.hits.length, resetSeconds };
  }
}
