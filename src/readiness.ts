/**
 * Whether this process is ready for work (`/readyz`): not until Temporal has answered and the
 * namespace has passed the search-attribute check (and, for a worker, its workers run). Until then
 * `/readyz` answers 503 with the reason, while `/healthz` says the process lives.
 */
export interface ReadinessState {
  ready: boolean;
  /** Why not ready yet. */
  reason?: string;
}

export class Readiness {
  private reason: string | undefined;

  constructor(initialReason = 'connecting to Temporal') {
    this.reason = initialReason;
  }

  notReady(reason: string): void {
    this.reason = reason;
  }

  markReady(): void {
    this.reason = undefined;
  }

  get state(): ReadinessState {
    return this.reason === undefined ? { ready: true } : { ready: false, reason: this.reason };
  }
}
