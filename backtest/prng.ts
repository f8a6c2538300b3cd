/**
 * Seeded randomness for the back-test: the same seed gives the same cohort and the same customer
 * behaviour on every run and every machine. Every draw is keyed by what it is about
 * (`seed`, case, purpose, ordinal), not by the order in which draws happen: the policies under
 * comparison make their calls in different orders, and a customer must behave the same under each
 * of them when the situation is the same (common random numbers, so differences come from the
 * policy, not from luck).
 */
import { hash32 } from '../domain/experiment';

/** mulberry32: small, fast, good enough for simulation (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform draw in [0, 1) determined by the seed and the key's parts. */
export function uniform(seed: number, ...key: Array<string | number>): number {
  return mulberry32(hash32(`${seed}|${key.join('|')}`))();
}

/** A stream of uniform draws for one purpose (a case's generation). */
export function stream(seed: number, ...key: Array<string | number>): () => number {
  return mulberry32(hash32(`${seed}|${key.join('|')}`));
}

/** Standard normal from two uniforms (Box-Muller). */
export function normal(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2);
}

/** Picks a key of `shares` (weights, any sum) with the uniform `u`. */
export function pick<K extends string>(shares: Readonly<Record<K, number>>, u: number): K {
  const entries = Object.entries(shares) as Array<[K, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  for (const [k, w] of entries) {
    acc += w / total;
    if (u < acc) return k;
  }
  return entries[entries.length - 1]![0];
}
