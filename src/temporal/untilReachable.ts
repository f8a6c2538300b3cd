/**
 * Waiting for a Temporal cluster that does not answer yet (a cluster still starting, a network
 * not up, a rolling restart): the worker and the API stay up, say so on `/readyz` and in the log,
 * and try again with a growing pause instead of exiting, so that an orchestrator does not restart
 * them in a loop. Any other error (a namespace that does not exist, a refused credential, missing
 * search attributes) gives the same answer on every try: it is thrown, and the start stops.
 */
import { isTemporalUnavailable } from '../http/errors';

/** The pause before try `attempt` + 1 (attempt counts from 1): doubling from `firstMs`, at most `maxMs`. */
export function retryDelayMs(attempt: number, firstMs = 500, maxMs = 15_000): number {
  return Math.min(maxMs, firstMs * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}

export interface UntilReachableOptions {
  /** What is being tried, for the log ("connect to Temporal at host:port"). */
  what: string;
  warn: (msg: string, meta: Record<string, unknown>) => void;
  /** Default: the cluster's "unavailable" answers (src/http/errors.ts). */
  isUnreachable?: (err: unknown) => boolean;
  /** What does not answer, for the log; default `Temporal` (also the case end database). */
  target?: string;
  sleep?: (ms: number) => Promise<void>;
  /** Set while the process stops: no further try. */
  stopped?: () => boolean;
}

/** Runs `attempt` until it returns; retries (logged, with backoff) only while the cluster is unreachable. */
export async function untilReachable<T>(attempt: () => Promise<T>, opts: UntilReachableOptions): Promise<T> {
  const unreachable = opts.isUnreachable ?? isTemporalUnavailable;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!unreachable(err) || opts.stopped?.()) throw err;
      const delayMs = retryDelayMs(n);
      opts.warn(`could not ${opts.what}: ${opts.target ?? 'Temporal'} unreachable; trying again in ${delayMs} ms`, {
        attempt: n,
        delayMs,
        error: describe(err),
      });
      await sleep(delayMs);
    }
  }
}

/**
 * The worker's native connection (Rust core) fails with a TransportError, not a gRPC status, when
 * nothing answers at the address (refused, reset, timed out, name not resolved yet).
 */
export function isWorkerConnectUnavailable(err: unknown): boolean {
  if (isTemporalUnavailable(err)) return true;
  return err instanceof Error && err.name === 'TransportError';
}

/** The error and its causes in one line (the client wraps the gRPC error that says why). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}
