/**
 * Parses request parameters the way Stripe's API reads them: `application/x-www-form-urlencoded`
 * bodies and query strings with bracketed keys. stripe-node sends nested hashes as `a[b][c]=v`,
 * arrays as `x[0]=v` (indexed, not `x[]`), and an empty value to unset a field.
 */

import qs from 'qs';
import { invalidRequest } from './errors';

export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue };
export type Params = { [key: string]: ParamValue };

const QS_OPTIONS = {
  // `items[0][price_data][recurring][interval]` is 4 brackets deep; leave room. Deeper keys stay literal.
  depth: 20,
  // Indices up to this become arrays in qs itself; larger ones are turned into arrays below.
  arrayLimit: 100,
  parameterLimit: 10_000,
  // Stripe: a repeated key means the last value, never an array.
  duplicates: 'last',
  // Null-prototype objects, so `metadata[toString]=x` is a key like any other (no prototype keys).
  plainObjects: true,
} as const satisfies qs.IParseOptions;

/**
 * qs's result as `Params`: ordinary objects (a null-prototype hash breaks `String(v)` in error
 * messages), and hashes whose keys are all indices (qs keeps indices above `arrayLimit` as keys)
 * as arrays in index order, the way Stripe reads `x[150]=v`.
 */
function normalize(value: unknown): ParamValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return String(value);
  const entries = Object.entries(value).map(([k, v]) => [k, normalize(v)] as const);
  if (entries.length > 0 && entries.every(([k]) => /^\d+$/.test(k))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

export function parseFormParams(encoded: string): Params {
  // The top level is always a hash (`0=x` is an unknown parameter named `0`, not an array).
  return Object.fromEntries(Object.entries(qs.parse(encoded, QS_OPTIONS)).map(([k, v]) => [k, normalize(v)]));
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
