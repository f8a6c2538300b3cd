/**
 * Spaces calls at least `1000 / perSecond` ms apart within this process. Temporal's task-queue
 * rate limit (set on the email worker) bounds all workers together, but it admits short bursts
 * (token buckets, one per task-queue partition); Resend counts requests in a strict one-second
 * window and answers 429 past it. The pacer makes one worker's sends fit that window exactly.
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  // Margin for network jitter: two sends a full gap apart can arrive closer together when the
  // first one waited longer for its connection.
  const gapMs = 1000 / perSecond + 100;
  let nextSlot = 0;
  return async function pace(): Promise<void> {
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + gapMs;
    if (slot > t) await new Promise((resolve) => setTimeout(resolve, slot - t));
  };
}
