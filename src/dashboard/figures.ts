/**
 * The recovery dashboard's numbers, from the cases as visibility lists them (search attributes and
 * the run's start and close times). Pure: the page, its test and anything else that wants the same
 * figures call this with a list and a clock.
 *
 * Definitions (the page states them too):
 * - the month is the calendar month in UTC of `now`; a case counts in it when it ended in it;
 * - recovery rate = recovered ÷ (recovered + exhausted) among the cases that ended this month.
 *   Cancelled cases are left out: the invoice was voided, the subscription deleted or an operator
 *   stopped the case, so dunning neither won nor lost them.
 * - amounts are never added across currencies: every sum is per currency.
 */
import { isOpenState } from '../../domain/types';
import type { VisibleCase } from '../visibleCase';

/** A case as the dashboard counts it: what every list reads, and what its page shows besides. */
export interface DashboardCase extends VisibleCase {
  /** `DunningBlockedOn`: the provider an open case waits for, or empty. */
  blockedOn?: string;
  /** `DunningRecoveredBy`: how a recovered case was recovered. */
  recoveredBy?: string;
  /** The memo's `emailUndeliverable`: Resend's event (bounced, complained…) for the customer's address. */
  emailUndeliverable?: string;
  /** The memo's `stripeRetrying`: Stripe's own retry schedule still charged the invoice (its attempt count). */
  stripeRetrying?: number;
}

/** Per currency: how many cases and how much (minor units). */
export type ByCurrency = Record<string, { count: number; amount: number }>;

export interface Breakdown {
  key: string;
  count: number;
  amounts: ByCurrency;
}

export interface DashboardFigures {
  monthStart: string;
  open: { count: number; atRisk: ByCurrency };
  month: {
    recovered: { count: number; amounts: ByCurrency };
    exhausted: { count: number; amounts: ByCurrency };
    cancelled: number;
    /** Customers who accepted the last-chance offer (state saved_by_offer): kept, though nothing was paid. */
    savedByOffer: number;
    /** recovered ÷ (recovered + exhausted); undefined when neither happened this month. */
    rate: number | undefined;
    byDecline: Array<{ key: string; recovered: number; exhausted: number; rate: number | undefined }>;
    byStep: Breakdown[];
  };
  /** Open cases whose next step falls within the next 24 hours, soonest first. */
  next24h: { count: number; amounts: ByCurrency; byHour: number[]; cases: DashboardCase[] };
  blocked: { count: number; byProvider: Record<string, number>; cases: DashboardCase[] };
  /** Open cases whose customer's address Resend could not deliver to: the merchant must reach them otherwise. */
  undeliverable: { count: number; cases: DashboardCase[] };
  /** Open cases whose invoice Stripe's own retry schedule still charges, beside the case's retries. */
  stripeRetrying: { count: number; cases: DashboardCase[] };
  /** Cases read (open or ended this month) whose memo this process cannot decrypt: a key was removed too early. */
  undecryptable: { count: number };
}

const HOUR_MS = 3_600_000;
const UNKNOWN = 'unknown';

/** The first instant of `now`'s calendar month in UTC. */
export function monthStartUtc(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Open: published as active or processing and not closed (a run closes a moment after its case ends). */
export const isOpen = (c: DashboardCase): boolean => isOpenState(c.state) && !c.closedAt;

/** When the case ended: the run's close time, or now for a case that ended but whose run still finishes up. */
function endedAt(c: DashboardCase, now: number): number | undefined {
  if (c.state === undefined || isOpenState(c.state)) return undefined;
  return c.closedAt ? Date.parse(c.closedAt) : now;
}

export function ratio(won: number, lost: number): number | undefined {
  return won + lost === 0 ? undefined : won / (won + lost);
}

function add(to: ByCurrency, c: DashboardCase): void {
  const currency = (c.currency ?? UNKNOWN).toLowerCase();
  const entry = (to[currency] ??= { count: 0, amount: 0 });
  entry.count += 1;
  entry.amount += c.amountDue ?? 0;
}

function tally(cases: DashboardCase[]): { count: number; amounts: ByCurrency } {
  const amounts: ByCurrency = {};
  for (const c of cases) add(amounts, c);
  return { count: cases.length, amounts };
}

/** Most first, then by name: the order a reader scans a breakdown in. */
function breakdown(cases: DashboardCase[], keyOf: (c: DashboardCase) => string | undefined): Breakdown[] {
  const groups = new Map<string, DashboardCase[]>();
  for (const c of cases) {
    const key = keyOf(c) || UNKNOWN;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.entries()]
    .map(([key, group]) => ({ key, ...tally(group) }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

export function dashboardFigures(cases: readonly DashboardCase[], now: number): DashboardFigures {
  const monthStart = monthStartUtc(now);
  const open = cases.filter(isOpen);
  const endedThisMonth = (state: string) =>
    cases.filter((c) => c.state === state && (endedAt(c, now) ?? -Infinity) >= monthStart);
  const recovered = endedThisMonth('recovered');
  const exhausted = endedThisMonth('exhausted');
  const cancelled = endedThisMonth('cancelled');
  const savedByOffer = endedThisMonth('saved_by_offer');

  const declines = new Set([...recovered, ...exhausted].map((c) => c.declineCategory || UNKNOWN));
  const byDecline = [...declines]
    .map((key) => {
      const won = recovered.filter((c) => (c.declineCategory || UNKNOWN) === key).length;
      const lost = exhausted.filter((c) => (c.declineCategory || UNKNOWN) === key).length;
      return { key, recovered: won, exhausted: lost, rate: ratio(won, lost) };
    })
    .sort((a, b) => b.recovered + b.exhausted - (a.recovered + a.exhausted) || a.key.localeCompare(b.key));

  const soon = open
    .filter((c) => {
      const at = c.nextActionAt ? Date.parse(c.nextActionAt) : NaN;
      return at < now + 24 * HOUR_MS; // overdue steps (a worker down) count: they happen as soon as it is back
    })
    .sort((a, b) => Date.parse(a.nextActionAt!) - Date.parse(b.nextActionAt!));
  const byHour = Array.from({ length: 24 }, () => 0);
  for (const c of soon) {
    const hour = Math.floor((Date.parse(c.nextActionAt!) - now) / HOUR_MS);
    byHour[Math.min(23, Math.max(0, hour))]! += 1;
  }

  const blocked = open.filter((c) => c.blockedOn);
  const undeliverable = open.filter((c) => c.emailUndeliverable);
  const stripeRetrying = open.filter((c) => c.stripeRetrying);
  const byProvider: Record<string, number> = {};
  for (const c of blocked) byProvider[c.blockedOn!] = (byProvider[c.blockedOn!] ?? 0) + 1;

  return {
    monthStart: new Date(monthStart).toISOString(),
    open: { count: open.length, atRisk: tally(open).amounts },
    month: {
      recovered: tally(recovered),
      exhausted: tally(exhausted),
      cancelled: cancelled.length,
      savedByOffer: savedByOffer.length,
      rate: ratio(recovered.length, exhausted.length),
      byDecline,
      byStep: breakdown(recovered, (c) => c.recoveredBy),
    },
    next24h: { ...tally(soon), byHour, cases: soon },
    blocked: { count: blocked.length, byProvider, cases: blocked },
    undeliverable: { count: undeliverable.length, cases: undeliverable },
    stripeRetrying: { count: stripeRetrying.length, cases: stripeRetrying },
    undecryptable: { count: cases.filter((c) => c.undecryptable).length },
  };
}

/**
 * The table's search: every word must appear in the invoice, customer, state, decline, how it was
 * recovered or the provider it waits for (case-insensitive); `state` narrows to one state.
 */
export function searchCases(cases: readonly DashboardCase[], q: { text?: string; state?: string }): DashboardCase[] {
  const words = (q.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return cases.filter((c) => {
    if (q.state && c.state !== q.state) return false;
    const hay = [
      c.invoiceId,
      c.customerId,
      c.state,
      c.declineCategory,
      c.recoveredBy,
      c.blockedOn,
      c.emailUndeliverable,
      c.currency,
    ]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
