import { invalidRequest } from './errors';

/**
 * Stripe's `expand[]`: replaces an id at a dotted path with the object it names, e.g.
 * `data.payment.payment_intent` on a list, or `customer` on an invoice. Works on a deep copy, so
 * the stored object keeps its ids.
 */
export function expandObject<T>(value: T, paths: readonly string[], lookup: (id: string) => object | undefined): T {
  if (paths.length === 0) return value;
  const copy = structuredClone(value) as unknown;
  for (const path of paths) {
    if (path.split('.').length > 4) {
      throw invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, 'expand');
    }
    expandPath(copy, path.split('.'), lookup, path);
  }
  return copy as T;
}

function expandPath(node: unknown, segments: string[], lookup: (id: string) => object | undefined, full: string): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) expandPath(item, segments, lookup, full);
    return;
  }
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const record = node as Record<string, unknown>;
  if (!(head in record)) throw invalidRequest(`This property cannot be expanded (${full}).`, 'expand');
  if (rest.length > 0) {
    // As Stripe: an id on the way (`data.customer.invoice_settings.default_payment_method`) is
    // expanded too, so the path can go on inside it.
    const on = record[head];
    if (typeof on === 'string' && lookup(on)) record[head] = structuredClone(lookup(on));
    expandPath(record[head], rest, lookup, full);
    return;
  }
  const current = record[head];
  // Only ids expand. A property that always holds an object (e.g. `last_payment_error.payment_method`)
  // or a plain value is not expandable, and Stripe answers 400 for it rather than ignoring it.
  if (typeof current === 'string') {
    const found = lookup(current);
    if (found) record[head] = structuredClone(found);
  } else if (Array.isArray(current) && current.every((v) => typeof v === 'string')) {
    // A list of ids (a subscription's `discounts`): each expands.
    record[head] = current.map((v: string) => (lookup(v) ? structuredClone(lookup(v)) : v));
  } else if (current !== null) {
    throw invalidRequest(`This property cannot be expanded (${full}).`, 'expand');
  }
}
