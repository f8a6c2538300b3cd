/**
 * A case as plain data: everything its record (caseRecord.ts) and inbox (caseInbox.ts) know, so
 * that a new run of its workflow (continue-as-new, workflows/continueAsNew.ts) carries on exactly
 * where the last run was: the same schedule and steps done (absolute due times), counts, attempts,
 * emails, cards that declined, Stripe events already seen. The snapshot is the new run's input,
 * written under the current encryption key: that is how an open case leaves an old key behind
 * (docs/production/key-rotation.md).
 *
 * Field by field, without a list of fields: a field added to either class is carried without a
 * change here, and one missing from an older snapshot keeps its initial value (`restore`). What cannot be carried as data fails loudly instead of being dropped: a value that
 * JSON (Temporal's payload converter) would not give back unchanged (a Map, a Date, a function, a
 * non-finite number, a Set anywhere but at the top). Sets at the top (steps done, events seen) are
 * carried as arrays. Pure: no Temporal, no clock.
 */
import { CaseInbox } from './caseInbox';
import { CaseRecord } from './caseRecord';

/** Bumped when the form changes; a run refuses a snapshot of a form it does not know. */
export const CASE_SNAPSHOT_VERSION = 1;

/** What the payload converter carries unchanged (undefined fields are left out, as JSON does). */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** One object's own fields: the plain ones as they are, its Sets as arrays, the unset ones by name. */
export interface FieldsSnapshot {
  fields: Record<string, Plain>;
  sets: Record<string, Plain[]>;
  /** Fields that were undefined (JSON would drop them): restored as undefined, not as their initial value. */
  unset?: string[];
}

export interface CaseSnapshot {
  version: typeof CASE_SNAPSHOT_VERSION;
  record: FieldsSnapshot;
  inbox: FieldsSnapshot;
}

export class CaseSnapshotError extends Error {}

export function toSnapshot(record: CaseRecord, inbox: CaseInbox): CaseSnapshot {
  return { version: CASE_SNAPSHOT_VERSION, record: fieldsOf(record, 'record'), inbox: fieldsOf(inbox, 'inbox') };
}

/** The record and inbox a snapshot describes, as `toSnapshot` saw them (methods from their classes). */
export function fromSnapshot(snapshot: CaseSnapshot): { record: CaseRecord; inbox: CaseInbox } {
  if (snapshot?.version !== CASE_SNAPSHOT_VERSION) {
    throw new CaseSnapshotError(
      `case snapshot version ${String(snapshot?.version)} is not ${CASE_SNAPSHOT_VERSION}: written by other code`,
    );
  }
  return {
    // Placeholders: every field the snapshot holds is assigned over them.
    record: restore(new CaseRecord('', '', 0), snapshot.record, 'record'),
    inbox: restore(new CaseInbox(), snapshot.inbox, 'inbox'),
  };
}

function fieldsOf(object: object, what: string): FieldsSnapshot {
  const out: FieldsSnapshot = { fields: {}, sets: {}, unset: [] };
  for (const [name, value] of Object.entries(object)) {
    if (value instanceof Set) out.sets[name] = [...value].map((v, i) => plain(v, `${what}.${name}[${i}]`) ?? null);
    else {
      const p = plain(value, `${what}.${name}`);
      if (p !== undefined) out.fields[name] = p;
      else out.unset!.push(name);
    }
  }
  return out;
}

/** A deep copy of `value` as JSON would give it back; throws for anything JSON would change. */
function plain(value: unknown, path: string): Plain | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new CaseSnapshotError(`${path}: ${value} cannot be carried to the next run`);
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (v === undefined) throw new CaseSnapshotError(`${path}[${i}]: undefined in an array cannot be carried`);
      return plain(v, `${path}[${i}]`)!;
    });
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, Plain> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = plain(v, `${path}.${k}`);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  const kind = typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
  throw new CaseSnapshotError(`${path}: a ${kind} cannot be carried to the next run; make it plain data`);
}

/** Plain data copied (JSON: the workflow sandbox has no structuredClone), so the snapshot is never shared. */
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * Assigns the snapshot's fields over a freshly constructed object: a field the snapshot does not
 * know (one a later build added; every workflow type auto-upgrades, docs/releases.md) keeps the
 * initial value its class gives it, never undefined. A new field whose initial value comes from the
 * constructor's arguments needs the snapshot's version bumped and a migration.
 */
function restore<T extends object>(object: T, s: FieldsSnapshot, what: string): T {
  if (!s || typeof s.fields !== 'object' || typeof s.sets !== 'object') {
    throw new CaseSnapshotError(`case snapshot: ${what} is not a snapshot of fields`);
  }
  Object.assign(object, copy(s.fields));
  for (const [name, values] of Object.entries(s.sets)) Object.assign(object, { [name]: new Set(copy(values)) });
  for (const name of s.unset ?? []) Object.assign(object, { [name]: undefined });
  return object;
}
