/**
 * The dated-patch rule (docs/releases.md, "After 1.0: dated patches"). 1.0 starts from one baseline
 * with no patch. After it, a workflow change that an open case could not replay (the replay test
 * says so) goes behind `patched(datedPatch('<id>'))`, and the id is declared here with the date of
 * the release that ships it. test/versioning/patch-dates.test.ts fails once a patch is older than
 * the longest a case lives plus the namespace's retention: by then no open case and no retained
 * history can take the old branch, so the patch is retired in two steps: `deprecatePatch` replaces
 * `patched` and the old branch goes, with the entry's date moved to that release; once that date
 * is overdue as well, the `deprecatePatch` call and the entry go.
 */

/** Patch id → the day (YYYY-MM-DD, UTC) the release that added it went out. Empty at 1.0. */
export const PATCH_DATES = {
  // 'retry-gap-24h': '2027-03-01',
  // Another saved card after the default card's declines (workflows/caseOtherCards.ts, #23).
  'other-cards': '2026-12-07',
  /** The last-chance offer (#23): the offer step's email and the customer's acceptance (caseOffers.ts). */
  'last-chance-offer': '2026-12-07',
  /** Every case writes its end record as it ends (workflows/caseEndRecord.ts; experiments, #23). */
  'case-end-record': '2026-12-07',
  /** Text messages, policy `sms` steps (workflows/caseSms.ts, #24). */
  'sms-channel': '2026-12-08',
} as const satisfies Record<string, string>;

export type PatchId = keyof typeof PATCH_DATES;

/** The id to give `patched()` / `deprecatePatch()`: only a declared one type-checks. */
export function datedPatch(id: PatchId): PatchId {
  return id;
}

export interface OverduePatch {
  id: string;
  since: string;
  /** The first day on which no case or retained history can need it any more. */
  retireFrom: string;
}

/**
 * The patches in `dates` that are older than `keepMs` at `now` (or whose date does not parse:
 * a patch without a valid date can never be shown safe to retire, so it is reported too).
 */
export function overduePatches(dates: Readonly<Record<string, string>>, now: number, keepMs: number): OverduePatch[] {
  const overdue: OverduePatch[] = [];
  for (const [id, since] of Object.entries(dates)) {
    const at = /^\d{4}-\d{2}-\d{2}$/.test(since) ? Date.parse(`${since}T00:00:00Z`) : NaN;
    if (Number.isNaN(at)) {
      overdue.push({ id, since, retireFrom: 'unknown: the date is not YYYY-MM-DD' });
      continue;
    }
    if (now - at > keepMs) overdue.push({ id, since, retireFrom: new Date(at + keepMs).toISOString().slice(0, 10) });
  }
  return overdue;
}
