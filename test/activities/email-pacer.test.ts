import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPacer } from '../../activities/email/pacer';

/** Starts of `n` sends that all ask at once, on fake timers (exact, whatever the machine's load). */
async function startsOf(perSecond: number, n: number): Promise<number[]> {
  vi.useFakeTimers({ now: 0 });
  const pace = createPacer(perSecond);
  const starts: number[] = [];
  const all = Promise.all(
    Array.from({ length: n }, async () => {
      await pace();
      starts.push(Date.now());
    }),
  );
  await vi.advanceTimersByTimeAsync((n * 2000) / perSecond);
  await all;
  return starts.sort((a, b) => a - b);
}

describe('email pacer', () => {
  afterEach(() => vi.useRealTimers());

  it('never lets more than `perSecond` sends start within any one-second window', async () => {
    const starts = await startsOf(4, 10);
    for (let i = 0; i + 4 < starts.length; i += 1) {
      // the 5th send after any send starts more than a second later
      expect(starts[i + 4]! - starts[i]!).toBeGreaterThan(1000);
    }
  });

  it('drains a backlog at the configured rate, not below it (no fixed margin per send)', async () => {
    // The old fixed 100 ms per send capped one worker at 9.9/s whatever the limit (bench, issue #12).
    for (const perSecond of [2, 50, 200]) {
      const starts = await startsOf(perSecond, 100);
      const rate = ((starts.length - 1) * 1000) / (starts.at(-1)! - starts[0]!);
      expect(rate).toBeGreaterThanOrEqual(0.95 * perSecond);
      expect(rate).toBeLessThanOrEqual(perSecond);
      vi.useRealTimers();
    }
  });

  it('keeps a whole gap after a send that started late, so a late send and an on-time one never share a window', async () => {
    let t = 0;
    const pace = createPacer(2, () => t);
    vi.useFakeTimers({ now: 0 });
    const starts: number[] = [];
    const send = (i: number) =>
      pace().then(() => {
        starts[i] = t;
      });
    await send(0); // at 0
    const second = send(1); // its slot: 525
    const third = send(2); // its slot: 1050
    // The second's timer fires 60 ms late (a busy event loop): it starts at 570.
    t = 570;
    await vi.advanceTimersByTimeAsync(570);
    await second;
    // The third's timer fires on time, at 1050: it must still wait until 570 + 525.
    t = 1050;
    await vi.advanceTimersByTimeAsync(480);
    expect(starts[2]).toBeUndefined();
    t = 1095;
    await vi.advanceTimersByTimeAsync(45);
    await third;
    expect(starts).toEqual([0, 570, 1095]);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(525);
  });

  it('does not delay a send when the last one is long past', async () => {
    let t = 10_000;
    const pace = createPacer(2, () => t);
    await pace();
    t += 5_000;
    // With timers frozen, a send that had to wait would never resolve.
    vi.useFakeTimers();
    let sent = false;
    const p = pace().then(() => (sent = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toBe(true);
    await p;
  });
});
