/** The dashboard's numbers from a list of cases: pure, so every definition is pinned here. */
import { describe, expect, it } from 'vitest';
import { dashboardFigures, monthStartUtc, searchCases, type DashboardCase } from '../../src/dashboard/figures';
import { hourColumns, outcomeBars } from '../../src/dashboard/charts';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const HOUR = 3_600_000;
let n = 0;
const c = (over: Partial<DashboardCase>): DashboardCase => {
  n += 1;
  return {
    workflowId: `dunning-in_${n}`,
    invoiceId: `in_${n}`,
    customerId: `cus_${n}`,
    state: 'active',
    amountDue: 1000,
    currency: 'usd',
    declineCategory: 'insufficient_funds',
    startedAt: '2026-11-20T00:00:00.000Z',
    ...over,
  };
};
const ended = (state: string, over: Partial<DashboardCase> = {}) => c({ state, closedAt: '2026-11-25T00:00:00.000Z', ...over });

describe('dashboardFigures', () => {
  it('open cases and the amount at risk, per currency (never added across currencies)', () => {
    const f = dashboardFigures(
      [c({ amountDue: 2900 }), c({ amountDue: 100 }), c({ currency: 'EUR', amountDue: 5000 }), ended('recovered')],
      NOW,
    );
    expect(f.open.count).toBe(3);
    expect(f.open.atRisk).toEqual({ usd: { count: 2, amount: 3000 }, eur: { count: 1, amount: 5000 } });
  });

  it('saved by the last-chance offer (#23): counted this month, neither open nor in the recovery rate', () => {
    const f = dashboardFigures(
      [
        ended('recovered'),
        ended('exhausted'),
        ended('saved_by_offer'),
        ended('saved_by_offer'),
        ended('saved_by_offer', { closedAt: '2026-10-31T23:59:59.000Z' }),
      ],
      NOW,
    );
    expect(f.month.savedByOffer).toBe(2);
    expect(f.open.count).toBe(0);
    expect(f.month.rate).toBe(1 / 2);
  });

  it('an active case whose run closed (failed, terminated) is not open', () => {
    expect(dashboardFigures([c({ closedAt: '2026-11-25T00:00:00Z' })], NOW).open.count).toBe(0);
  });

  it('this month: recovered (count, amount), exhausted, cancelled; rate = recovered ÷ (recovered + exhausted)', () => {
    const f = dashboardFigures(
      [
        ended('recovered', { amountDue: 4900, recoveredBy: 'retry_succeeded' }),
        ended('recovered', { amountDue: 100, recoveredBy: 'card_updated' }),
        ended('recovered', { amountDue: 700, currency: 'eur', recoveredBy: 'card_updated' }),
        ended('exhausted'),
        ended('cancelled'),
        ended('cancelled'),
        // Last month's: not this month's figures.
        ended('recovered', { closedAt: '2026-10-31T23:59:59.000Z' }),
        ended('exhausted', { closedAt: '2026-10-31T23:59:59.000Z' }),
      ],
      NOW,
    );
    expect(f.monthStart).toBe('2026-11-01T00:00:00.000Z');
    expect(f.month.recovered).toEqual({ count: 3, amounts: { usd: { count: 2, amount: 5000 }, eur: { count: 1, amount: 700 } } });
    expect(f.month.exhausted.count).toBe(1);
    expect(f.month.cancelled).toBe(2);
    expect(f.month.rate).toBe(3 / 4);
    expect(f.month.byStep.map((s) => [s.key, s.count])).toEqual([
      ['card_updated', 2],
      ['retry_succeeded', 1],
    ]);
  });

  it('a case that ended but whose run is still finishing counts as ended now', () => {
    const f = dashboardFigures([c({ state: 'recovered', recoveredBy: 'customer_retry' })], NOW);
    expect(f.month.recovered.count).toBe(1);
    expect(f.open.count).toBe(0);
  });

  it('no case ended this month: no rate rather than 0%', () => {
    expect(dashboardFigures([c({})], NOW).month.rate).toBeUndefined();
  });

  it('by decline category: recovered, exhausted and the rate of each, busiest first', () => {
    const f = dashboardFigures(
      [
        ended('recovered', { declineCategory: 'payment_method' }),
        ended('exhausted', { declineCategory: 'payment_method' }),
        ended('exhausted', { declineCategory: 'payment_method' }),
        ended('recovered', { declineCategory: 'insufficient_funds' }),
        ended('cancelled', { declineCategory: 'never_retry' }),
      ],
      NOW,
    );
    expect(f.month.byDecline).toEqual([
      { key: 'payment_method', recovered: 1, exhausted: 2, rate: 1 / 3 },
      { key: 'insufficient_funds', recovered: 1, exhausted: 0, rate: 1 },
    ]);
  });

  it('the next 24 hours: open cases with a step due (overdue ones too), soonest first, by hour', () => {
    const at = (h: number) => new Date(NOW + h * HOUR).toISOString();
    const f = dashboardFigures(
      [
        c({ nextActionAt: at(5.5), amountDue: 300 }),
        c({ nextActionAt: at(0.2) }),
        c({ nextActionAt: at(-1) }),
        c({ nextActionAt: at(30) }),
        c({}),
        ended('recovered', { nextActionAt: at(1) }),
      ],
      NOW,
    );
    expect(f.next24h.count).toBe(3);
    expect(f.next24h.cases.map((x) => x.nextActionAt)).toEqual([at(-1), at(0.2), at(5.5)]);
    expect(f.next24h.byHour[0]).toBe(2);
    expect(f.next24h.byHour[5]).toBe(1);
    expect(f.next24h.amounts).toEqual({ usd: { count: 3, amount: 2300 } });
  });

  it('blocked on a provider: open cases with DunningBlockedOn, by provider', () => {
    const f = dashboardFigures(
      [
        c({ blockedOn: 'resend' }),
        c({ blockedOn: 'stripe' }),
        c({ blockedOn: 'resend' }),
        c({}),
        ended('cancelled', { blockedOn: 'stripe' }),
      ],
      NOW,
    );
    expect(f.blocked.count).toBe(3);
    expect(f.blocked.byProvider).toEqual({ resend: 2, stripe: 1 });
  });

  it("email undeliverable: open cases whose customer's address Resend could not deliver to", () => {
    const bounced = c({ emailUndeliverable: 'bounced' });
    const f = dashboardFigures([bounced, c({}), ended('exhausted', { emailUndeliverable: 'complained' })], NOW);
    expect(f.undeliverable).toEqual({ count: 1, cases: [bounced] });
  });

  it("Stripe retrying too: open cases whose invoice Stripe's own schedule still charged", () => {
    const retried = c({ stripeRetrying: 2 });
    const f = dashboardFigures([retried, c({}), ended('recovered', { stripeRetrying: 3 })], NOW);
    expect(f.stripeRetrying).toEqual({ count: 1, cases: [retried] });
  });

  it('the month is the calendar month in UTC', () => {
    expect(new Date(monthStartUtc(Date.parse('2026-12-01T00:00:00Z'))).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(monthStartUtc(Date.parse('2026-11-30T23:59:59Z'))).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('searchCases', () => {
  const cases = [
    c({ invoiceId: 'in_AAA', customerId: 'cus_X', declineCategory: 'payment_method' }),
    ended('recovered', { invoiceId: 'in_BBB', customerId: 'cus_X', recoveredBy: 'card_updated' }),
    c({ invoiceId: 'in_CCC', customerId: 'cus_Y', blockedOn: 'stripe' }),
  ];
  it('every word must match (any field, any case); the state narrows', () => {
    expect(searchCases(cases, { text: 'cus_x' }).map((x) => x.invoiceId)).toEqual(['in_AAA', 'in_BBB']);
    expect(searchCases(cases, { text: 'cus_x card_updated' }).map((x) => x.invoiceId)).toEqual(['in_BBB']);
    expect(searchCases(cases, { text: 'STRIPE' }).map((x) => x.invoiceId)).toEqual(['in_CCC']);
    expect(searchCases(cases, { state: 'active' }).map((x) => x.invoiceId)).toEqual(['in_AAA', 'in_CCC']);
    expect(searchCases(cases, {})).toHaveLength(3);
  });
});

describe('charts', () => {
  it('escape their labels and say in words what they show', () => {
    const svg = outcomeBars('By decline', [{ label: '<script>x</script>', recovered: 3, exhausted: 1 }]);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('75%');
    expect(svg).toMatch(/aria-label="By decline: &lt;script&gt;x&lt;\/script&gt;: 3 recovered, 1 exhausted"/);
    expect(outcomeBars('empty', [])).toBe('');
    expect(hourColumns('Next', [2, 0, 1, ...Array(21).fill(0)])).toContain('3 steps in the next 24 hours');
  });
});
