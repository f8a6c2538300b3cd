/**
 * The email pacer alone (activities/email/pacer.ts, the code the worker runs): the rate at which
 * one worker lets a backlog of sends go at a configured rate, in real time on this machine. The
 * end-to-end drain (drain.ts) also holds Temporal and the rest of the case; this row shows whether
 * the pacer itself is what caps it.
 */
import { createPacer } from '../activities/email/pacer';
import { ratePerSecond } from './stats';

export async function pacerDrain(
  perSecond: number,
  seconds: number,
): Promise<{ sends: number; perSecond: number; ratio: number }> {
  const pace = createPacer(perSecond);
  const sends = Math.max(3, Math.round(perSecond * seconds));
  const starts = await Promise.all(Array.from({ length: sends }, async () => (await pace(), Date.now())));
  const rate = ratePerSecond(starts);
  return { sends, perSecond: rate, ratio: rate / perSecond };
}
