/** zod at the edge: a value that fails its schema is the caller's mistake, a 400 naming the field. */
import type { z } from 'zod';
import { HttpError } from './errors';

export function parseInput<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`).join('; ');
    throw new HttpError(400, 'invalid_request', msg);
  }
  return r.data;
}
