/**
 * Spaces calls `1000 / perSecond` ms apart (plus 1 %) within this process. Temporal's task-queue
 * rate limit (set on the email worker) bounds all workers together, but it admits short bursts
 * (token buckets, one per task-queue partition); Resend counts requests in a strict one-second
 * window and answers 429 past it. The pacer makes one worker's sends fit that window.
 *
 * Why only 1 %: the pacer used to add a fixed 100 ms for network jitter, which capped one worker
 * at 9.9 sends/s whatever the limit (0.83 of the default 2/s); `npm run bench` measured it. Two
 * sends a gap apart that arrive closer together now cost a 429, which the activity retries after
 * Resend's Retry-After (email/resend-failure.ts: nextRetryDelay), so jitter costs one retry,
 * not a tenth of every second. The 1 % keeps the sends of any window strictly within it.
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  const gapMs = (1000 / perSecond) * 1.01;
  // Slots follow each other from the last one, not from the moment a send asks: a backlog drains
  // at the full rate however late each timer fires.
  let nextSlot = 0;
  return async function pace(): Promise<void> {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + gapMs;
    if (slot > t) await new Promise((resolve) => setTimeout(resolve, slot - t));
  };
}
