/**
 * Spaces calls `1000 / perSecond` ms apart (plus 5 %) within this process. Temporal's task-queue
 * rate limit (set on the email worker) bounds all workers together, but it admits short bursts
 * (token buckets, one per task-queue partition); Resend counts requests in a strict one-second
 * window and answers 429 past it. The pacer makes one worker's sends fit that window.
 *
 * Why 5 %: the pacer used to add a fixed 100 ms for network jitter, which capped one worker
 * at 9.9 sends/s whatever the limit (0.83 of the default 2/s); `npm run bench` measured it. The
 * margin is for the time between a send's start and its arrival at Resend, which varies by more
 * than 1 % of a gap (a burst's first request, opening the connection, arrived 13 ms after its start
 * and the next one on time: 1 % of 500 ms left 5); 5 % costs 0.95 of the rate. A timer that fires late
 * (a busy event loop) is handled apart: the next send waits a whole gap after the late one actually
 * started, so a late send followed by one on time cannot fall into one window (seen as a 429 in a
 * burst once the server dispatched the email queue at exactly 2/s). What still slips through costs
 * a 429 that the activity retries after Resend's Retry-After (email/resend-failure.ts).
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  const gapMs = (1000 / perSecond) * 1.05;
  // Slots follow each other from the last one, not from the moment a send asks: a backlog drains
  // at the full rate however late each timer fires.
  let nextSlot = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  return async function pace(): Promise<void> {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + gapMs;
    if (slot > t) await wait(slot - t);
    // The previous send may have started late: keep a whole gap after its actual start (in whole
    // milliseconds, as timers fire: a fraction would round every wait up and slow the drain).
    for (let early = Math.floor(lastStart + gapMs - now()); early > 0; early = Math.floor(lastStart + gapMs - now())) {
      await wait(early);
    }
    lastStart = now();
    if (lastStart - slot >= 1) nextSlot = Math.max(nextSlot, lastStart + gapMs);
  };
}
