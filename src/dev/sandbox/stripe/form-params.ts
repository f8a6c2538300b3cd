/**
 * Parses request parameters the way Stripe's API reads them: `application/x-www-form-urlencoded`
 * bodies and query strings with bracketed keys. stripe-node sends nested hashes as `a[b][c]=v`,
 * arrays as `x[0]=v` (indexed, not `x[]`), and an empty value to unset a field.
 */

import { invalidRequest } from './errors';

export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = { [key: string]: ParamValue };

/** `a[b][0]` -> ['a', 'b', '0']; `expand[]` -> ['expand', ''] (append). */
function keyPath(key: string): string[] {
  const first = key.indexOf('[');
  if (first === -1) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(first))) !== null) parts.push(m[1] ?? '');
  return parts;
}

function decode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

/** Hashes whose keys are all array indices (or appends) become arrays, in index order. */
function arraysFromIndexedHashes(value: ParamValue): ParamValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const entries = keys.map((k) => [k, arraysFromIndexedHashes(value[k] as ParamValue)] as const);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k) || k.startsWith('\u0000'))) {
    return entries.sort(([a], [b]) => order(a) - order(b)).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

function order(k: string): number {
  return k.startsWith('\u0000') ? 1e9 + Number(k.slice(1)) : Number(k);
}

export function parseFormParams(encoded: string): Params {
  const root: { [key: string]: ParamValue } = {};
  let appendCounter = 0;
  for (const pair of encoded.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    const path = keyPath(rawKey);
    let node: { [key: string]: ParamValue } = root;
    path.forEach((segment, i) => {
      // `x[]` appends: give each append a unique key that sorts after explicit indices.
      const k = segment === '' && i > 0 ? `\u0000${appendCounter++}` : segment;
      if (i === path.length - 1) {
        node[k] = value;
        return;
      }
      const next = node[k];
      if (next === undefined || typeof next === 'string' || Array.isArray(next)) node[k] = {};
      node = node[k] as { [key: string]: ParamValue };
    });
  }
  return arraysFromIndexedHashes(root) as Params;
}

/** Stable JSON (sorted keys) so two requests with the same parameters compare equal. */
export function canonicalParams(params: Params): string {
  const sort = (v: ParamValue): unknown =>
    typeof v === 'string'
      ? v
      : Array.isArray(v)
        ? v.map(sort)
        : Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k] as ParamValue)]),
          );
  return JSON.stringify(sort(params));
}

// Reading typed values out of parsed parameters, with Stripe's error for each kind of mistake.

/** Stripe rejects unknown parameters (`parameter_unknown`) instead of ignoring them. */
export function rejectUnknownParams(params: Params, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key) && key !== 'expand') {
      throw invalidRequest(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
    }
  }
}

export function optionalString(params: Params, key: string, label = key): string | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${label}`, label, 'parameter_invalid_string');
  return v;
}

export function optionalHash(params: Params, key: string): Params | '' | undefined {
  const v = params[key];
  if (v === undefined || v === '') return v;
  if (typeof v === 'string' || Array.isArray(v)) {
    throw invalidRequest(`Invalid object: ${key} must be a hash`, key, 'parameter_invalid_hash');
  }
  return v;
}

export function optionalStringArray(params: Params, key: string): string[] | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (v === '') return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidRequest(`Invalid array: ${key}`, key, 'parameter_invalid_array');
  }
  return v as string[];
}

export function optionalBoolean(params: Params, key: string): boolean | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${String(v)}`, key, 'parameter_invalid_boolean');
}

export function optionalInteger(params: Params, key: string): number | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v))
    throw invalidRequest(`Invalid integer: ${String(v)}`, key, 'parameter_invalid_integer');
  return Number(v);
}

/**
 * Stripe's metadata update semantics: keys merge into the existing hash, an empty value deletes
 * a key, and `metadata=` (empty) clears everything.
 */
export function mergeMetadata(current: Record<string, string>, params: Params): Record<string, string> {
  const update = optionalHash(params, 'metadata');
  if (update === undefined) return current;
  if (update === '') return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (typeof v !== 'string') throw invalidRequest(`Invalid metadata value for ${k}`, `metadata[${k}]`);
    if (v === '') delete next[k];
    else next[k] = v;
  }
  return next;
}
