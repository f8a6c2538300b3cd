import { status } from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { Readiness } from '../../src/readiness';
import { isWorkerConnectUnavailable, retryDelayMs, untilReachable } from '../../src/temporal/untilReachable';

/** What the client throws when nothing answers: a ServiceError caused by a gRPC UNAVAILABLE. */
function unavailable(): Error {
  const grpc = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: status.UNAVAILABLE,
    details: '',
    metadata: {},
  });
  return new ServiceError('Failed to connect to Temporal server', { cause: grpc });
}

describe('waiting for Temporal', () => {
  it('doubles the pause from 0.5 s up to 15 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => retryDelayMs(n))).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('retries while the cluster is unreachable, logging each try, then returns', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const slept: number[] = [];
    let tries = 0;
    const got = await untilReachable(
      async () => {
        if (++tries < 4) throw unavailable();
        return 'ok';
      },
      { what: 'reach Temporal', warn: (_m, meta) => warnings.push(meta), sleep: async (ms) => void slept.push(ms) },
    );
    expect(got).toBe('ok');
    expect(slept).toEqual([500, 1000, 2000]);
    expect(warnings.map((w) => w.attempt)).toEqual([1, 2, 3]);
    expect(String(warnings[0]!.error)).toContain('UNAVAILABLE');
  });

  it('stops at once on anything else (missing search attributes, a refused credential)', async () => {
    let tries = 0;
    const refusal = new Error('namespace lacks the search attribute X');
    await expect(
      untilReachable(
        async () => {
          tries++;
          throw refusal;
        },
        { what: 'reach Temporal', warn: () => undefined, sleep: async () => undefined },
      ),
    ).rejects.toBe(refusal);
    expect(tries).toBe(1);
  });

  it("counts the worker connection's transport error as unreachable", () => {
    const transport = Object.assign(new Error('tcp connect error'), { name: 'TransportError' });
    expect(isWorkerConnectUnavailable(transport)).toBe(true);
    expect(isWorkerConnectUnavailable(unavailable())).toBe(true);
    expect(isWorkerConnectUnavailable(new Error('bad namespace'))).toBe(false);
  });

  it('readiness says why until ready', () => {
    const r = new Readiness('connecting to Temporal at x:7233');
    expect(r.state).toEqual({ ready: false, reason: 'connecting to Temporal at x:7233' });
    r.markReady();
    expect(r.state).toEqual({ ready: true });
  });
});
