/**
 * Stripe's idempotent requests: a POST carrying an `Idempotency-Key` that was seen before gets the
 * first response again (same status and body, header `Idempotent-Replayed: true`) without running
 * again; the same key with other parameters or another endpoint is a 400 `idempotency_error`.
 * Only requests that began executing are saved (success, or a card decline): a request rejected
 * by validation, an injected fault or a 5xx can be retried with the same key.
 */

export interface SavedResponse {
  /** Method, path and canonical parameters of the first request. */
  fingerprint: string;
  status: number;
  body: string;
}

/** Stripe keeps keys for 24 hours; the sandbox bounds the count instead. */
const MAX_KEYS = 10_000;

export class IdempotencyStore {
  private readonly saved = new Map<string, SavedResponse>();

  get(key: string): SavedResponse | undefined {
    return this.saved.get(key);
  }

  save(key: string, response: SavedResponse): void {
    if (this.saved.size >= MAX_KEYS) {
      const oldest = this.saved.keys().next().value;
      if (oldest !== undefined) this.saved.delete(oldest);
    }
    this.saved.set(key, response);
  }
}

export function shouldSave(status: number): boolean {
  return (status >= 200 && status < 300) || status === 402;
}
