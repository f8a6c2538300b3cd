import { describe, expect, it, vi } from 'vitest';
import { createPacer } from '../../activities/email/pacer';

describe('email pacer', () => {
  it('never lets more than `perSecond` sends start within any one-second window', async () => {
    const pace = createPacer(4);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        await pace();
        starts.push(Date.now());
      }),
    );
    starts.sort((a, b) => a - b);
    for (let i = 0; i + 4 < starts.length; i += 1) {
      // the 5th send after any send starts more than a second later
      expect(starts[i + 4]! - starts[i]!).toBeGreaterThan(1000);
    }
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(340);
  });

  it('does not delay a send when the last one is long past', async () => {
    let t = 10_000;
    const pace = createPacer(2, () => t);
    await pace();
    t += 5_000;
    // With timers frozen, a send that had to wait would never resolve.
    vi.useFakeTimers();
    try {
      let sent = false;
      const p = pace().then(() => (sent = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toBe(true);
      await p;
    } finally {
      vi.useRealTimers();
    }
  });
});
