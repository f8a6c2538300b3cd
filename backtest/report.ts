/**
 * The back-test's report: per policy, side by side, what it recovered (by count and amount, by
 * how, by decline cause), what it cost (charges and emails per case, network-rule violations and
 * fees) and how fast (days to recovery, cumulative recovery by day); with the calibration lines
 * that check the model against published figures. Definitions are stated in the output, as the
 * notes (§5) ask: recovery = the case ended `recovered` (any means), over all failed cases.
 */
import escapeHtml from 'escape-html';
import { caseCosts, totalCents, type AttemptCosts, type CostParams } from './costs';
import { actionsCents, costPerRecoveredDollar } from './temporalCost';
import type { NetworkRules } from './networkRules';
import type { BacktestResult, CaseResult } from './run';
import { countViolations, type RuleCount } from './violations';

const DAY = 86_400_000;

export interface PolicySummary {
  name: string;
  cases: number;
  recovered: number;
  recoveryRate: number;
  amountFailed: number;
  amountRecovered: number;
  amountRecoveryRate: number;
  byHow: Record<'scheduled_retry' | 'card_update' | 'paid_elsewhere' | 'other', number>;
  /** Of byHow, those within 10 days of the failure (the calibration's timing line, by how). */
  byHowWithin10: Record<'scheduled_retry' | 'card_update' | 'paid_elsewhere' | 'other', number>;
  byCause: Record<string, { cases: number; recovered: number; within10: number }>;
  /** Recovered by another saved card (backtest/otherCards.ts; in byHow's `other` too). */
  byOtherCard: number;
  /**
   * Ended `saved_by_offer` (backtest/offers.ts): the customer stays, paused or cheaper, but the
   * failed invoice is written off, not paid, so these are neither recovered nor in the amounts.
   */
  savedByOffer: number;
  /** What the failed invoices of those cases owed: written off (or voided) when the offer was applied. */
  amountWrittenOffByOffer: number;
  chargesPerCase: number;
  emailsPerCase: number;
  daysToRecovery: { p50: number | null; p90: number | null };
  violations: RuleCount[];
  feesCents: number;
  /** What the policy's charges cost (backtest/costs.ts), the excess-retry fees (feesCents) apart. */
  attemptCosts: AttemptCosts;
  /** Recovered amount minus the attempt costs and the excess-retry fees: what the ranking uses. */
  netRecoveredCents: number;
  /**
   * The cases' Temporal actions at Temporal Cloud's list price (backtest/temporalCost.ts), and what
   * recovering a dollar cost: those actions plus the attempts' processor and network fees, over the
   * amount recovered. Absent from run files written before it.
   */
  temporal?: { actionsPerCase: number; actionsCents: number; costPerRecoveredDollar: number | null };
  /** Cumulative share of all cases recovered within d days of the failure (index d = 0..30). */
  cumulativeByDay: number[];
  calibration: { firstRetrySuccess: number | null; firstRetries: number; recoveredWithin10Days: number | null };
}

const how = (outcome: string): keyof PolicySummary['byHow'] =>
  outcome === 'retry_succeeded'
    ? 'scheduled_retry'
    : outcome === 'card_updated'
      ? 'card_update'
      : outcome.startsWith('paid_')
        ? 'paid_elsewhere'
        : 'other';

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function summarise(name: string, cases: CaseResult[], rules: NetworkRules, costs: CostParams): PolicySummary {
  const rec = cases.filter((c) => c.state === 'recovered');
  const saved = cases.filter((c) => c.state === 'saved_by_offer');
  const byHow = { scheduled_retry: 0, card_update: 0, paid_elsewhere: 0, other: 0 };
  const byHowWithin10 = { scheduled_retry: 0, card_update: 0, paid_elsewhere: 0, other: 0 };
  for (const c of rec) byHow[how(c.outcome)] += 1;
  for (const c of rec) if ((c.recoveredAfterMs ?? 0) <= 10 * DAY) byHowWithin10[how(c.outcome)] += 1;
  const byCause: PolicySummary['byCause'] = {};
  for (const c of cases) {
    const b = (byCause[c.c.cause] ??= { cases: 0, recovered: 0, within10: 0 });
    b.cases += 1;
    if (c.state === 'recovered') b.recovered += 1;
    if (c.state === 'recovered' && (c.recoveredAfterMs ?? 0) <= 10 * DAY) b.within10 += 1;
  }
  const days = rec.map((c) => (c.recoveredAfterMs ?? 0) / DAY).sort((a, b) => a - b);
  const violations = countViolations(
    rules,
    cases.flatMap((c) => c.sim.txs),
  );
  const firsts = cases.filter((c) => c.firstScheduledRetry !== undefined);
  const amountFailed = cases.reduce((s, c) => s + c.c.amount, 0);
  const amountRecovered = rec.reduce((s, c) => s + c.c.amount, 0);
  const attemptCosts: AttemptCosts = { processorCents: 0, networkCents: 0, adviceFeeCents: 0 };
  for (const c of cases) {
    const k = caseCosts(costs, c.sim.txs, c.c.funding);
    attemptCosts.processorCents += k.processorCents;
    attemptCosts.networkCents += k.networkCents;
    attemptCosts.adviceFeeCents += k.adviceFeeCents;
  }
  const feesCents = violations.reduce((s, v) => s + v.feeCents, 0);
  const actions = cases.reduce((s, c) => s + c.actions, 0);
  const temporalCents = actionsCents(actions);
  return {
    name,
    cases: cases.length,
    recovered: rec.length,
    recoveryRate: rec.length / Math.max(1, cases.length),
    amountFailed,
    amountRecovered,
    amountRecoveryRate: amountRecovered / Math.max(1, amountFailed),
    byHow,
    byHowWithin10,
    byCause,
    byOtherCard: rec.filter((c) => c.outcome === 'other_card').length,
    savedByOffer: saved.length,
    amountWrittenOffByOffer: saved.reduce((s, c) => s + c.c.amount, 0),
    chargesPerCase: cases.reduce((s, c) => s + c.charges, 0) / Math.max(1, cases.length),
    emailsPerCase: cases.reduce((s, c) => s + c.emails, 0) / Math.max(1, cases.length),
    daysToRecovery: { p50: quantile(days, 0.5), p90: quantile(days, 0.9) },
    violations,
    feesCents,
    attemptCosts,
    netRecoveredCents: amountRecovered - totalCents(attemptCosts) - feesCents,
    temporal: {
      actionsPerCase: actions / Math.max(1, cases.length),
      actionsCents: temporalCents,
      costPerRecoveredDollar: costPerRecoveredDollar(temporalCents + totalCents(attemptCosts), amountRecovered),
    },
    cumulativeByDay: Array.from({ length: 31 }, (_, d) => days.filter((x) => x <= d).length / Math.max(1, cases.length)),
    calibration: {
      firstRetrySuccess: firsts.length
        ? firsts.filter((c) => c.firstScheduledRetry === 'succeeded').length / firsts.length
        : null,
      firstRetries: firsts.length,
      recoveredWithin10Days: days.length ? days.filter((d) => d <= 10).length / days.length : null,
    },
  };
}

/** 1 for the highest net recovered amount (ties share a rank). */
const rankOf = (s: PolicySummary[], p: PolicySummary) => 1 + s.filter((q) => q.netRecoveredCents > p.netRecoveredCents).length;

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null, d = 1) => (x === null ? '–' : x.toFixed(d));
export const usd = (cents: number) => `$${(cents / 100).toFixed(2)}`;

/** Rows of the side-by-side table: [label, one cell per policy]. */
export function tableRows(s: PolicySummary[]): string[][] {
  const causes = [...new Set(s.flatMap((p) => Object.keys(p.byCause)))].sort();
  const rules = s[0]?.violations.map((v) => v.id) ?? [];
  return [
    ['policy', ...s.map((p) => p.name)],
    ['cases', ...s.map((p) => String(p.cases))],
    ['recovered (count)', ...s.map((p) => `${p.recovered} (${pct(p.recoveryRate)})`)],
    ['recovered (amount)', ...s.map((p) => `${usd(p.amountRecovered)} (${pct(p.amountRecoveryRate)})`)],
    ['  by scheduled retry', ...s.map((p) => String(p.byHow.scheduled_retry))],
    ['  by card update', ...s.map((p) => String(p.byHow.card_update))],
    ['  paid elsewhere', ...s.map((p) => String(p.byHow.paid_elsewhere))],
    // Only when a policy tried another saved card (policy `otherCards`).
    ...(s.some((p) => p.byOtherCard > 0) ? [['  by another saved card', ...s.map((p) => String(p.byOtherCard))]] : []),
    ...causes.map((c) => [
      `  ${c}`,
      ...s.map((p) => {
        const b = p.byCause[c];
        return b ? `${b.recovered}/${b.cases} (${pct(b.recovered / b.cases)})` : '–';
      }),
    ]),
    // Only when a policy's offer was taken: its own rows, apart from the recovered ones.
    ...(s.some((p) => p.savedByOffer > 0)
      ? [
          ['saved by offer (count)', ...s.map((p) => `${p.savedByOffer} (${pct(p.savedByOffer / Math.max(1, p.cases))})`)],
          ['  failed invoices written off', ...s.map((p) => usd(p.amountWrittenOffByOffer))],
        ]
      : []),
    ['charges per case', ...s.map((p) => num(p.chargesPerCase, 2))],
    ['emails per case', ...s.map((p) => num(p.emailsPerCase, 2))],
    ['days to recovery p50', ...s.map((p) => num(p.daysToRecovery.p50))],
    ['days to recovery p90', ...s.map((p) => num(p.daysToRecovery.p90))],
    ...rules.map((id) => [`violations: ${id}`, ...s.map((p) => String(p.violations.find((v) => v.id === id)?.violations ?? 0))]),
    ['network fees', ...s.map((p) => usd(p.feesCents))],
    ['attempt costs: processor', ...s.map((p) => usd(p.attemptCosts.processorCents))],
    ['attempt costs: network', ...s.map((p) => usd(p.attemptCosts.networkCents + p.attemptCosts.adviceFeeCents))],
    // Only from runs that counted actions (run files written before it have none).
    ...(s.every((p) => p.temporal)
      ? [
          ['Temporal actions per case', ...s.map((p) => num(p.temporal!.actionsPerCase))],
          ['Temporal actions cost', ...s.map((p) => usd(p.temporal!.actionsCents))],
          [
            'cost per recovered dollar',
            ...s.map((p) =>
              p.temporal!.costPerRecoveredDollar === null ? '–' : `$${p.temporal!.costPerRecoveredDollar.toFixed(4)}`,
            ),
          ],
        ]
      : []),
    ['net recovered (amount)', ...s.map((p) => usd(p.netRecoveredCents))],
    ['rank by net recovered', ...s.map((p) => String(rankOf(s, p)))],
    [
      'calibration: first retry succeeds',
      ...s.map((p) => `${pct(p.calibration.firstRetrySuccess)} of ${p.calibration.firstRetries}`),
    ],
    ['calibration: recoveries within 10 d', ...s.map((p) => pct(p.calibration.recoveredWithin10Days))],
  ];
}

/**
 * What the customers an offer saved would have done without it: for each policy whose offer was
 * taken, the same customers (draws are per customer) under each policy of the run that saved none.
 * A saved customer who would have paid later is revenue the offer gave up, not a save.
 */
export function offerCounterfactualLines(policies: ReadonlyArray<{ name: string; cases: CaseResult[] }>): string[] {
  const savedBy = (p: { cases: CaseResult[] }) => p.cases.filter((c) => c.state === 'saved_by_offer');
  const lines: string[] = [];
  for (const p of policies) {
    const saved = savedBy(p);
    if (!saved.length) continue;
    for (const q of policies) {
      if (q === p || savedBy(q).length) continue;
      const under = new Map(q.cases.map((c) => [c.c.id, c]));
      const paid = saved.filter((c) => under.get(c.c.id)?.state === 'recovered');
      const amount = paid.reduce((s, c) => s + c.c.amount, 0);
      lines.push(
        `offer: the ${saved.length} customers ${p.name} saved by its offer, under ${q.name}: ${paid.length} recovered (${usd(amount)} paid, given up by the offer), ${saved.length - paid.length} not recovered (lost without the offer)`,
      );
    }
  }
  return lines;
}

export function terminalTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/** The published targets the model was calibrated against, checked on the fixed schedule. */
export function calibrationLines(s: PolicySummary[], fixedName: string): string[] {
  const fixed = s.find((p) => p.name === fixedName);
  if (!fixed) return [`calibration: no '${fixedName}' policy in this run`];
  const first = fixed.calibration.firstRetrySuccess;
  const within = fixed.calibration.recoveredWithin10Days;
  const ok = (b: boolean) => (b ? 'in range' : 'OUT OF RANGE');
  return [
    `calibration (${fixedName}): first-retry success ${pct(first)} (target 25-35%, Pagos [P]): ${ok(first !== null && first >= 0.25 && first <= 0.35)}`,
    `calibration (${fixedName}): recoveries within 10 days ${pct(within)} (target about 90%, taken as 85-93%, Recurly 2026 [P]): ${ok(within !== null && within >= 0.85 && within <= 0.93)}`,
  ];
}

/**
 * What the calibration lines are made of, for the calibration policy only: recovery and its timing
 * by cause, and by how, so that a line out of range points at the part of the model to look at.
 */
export function calibrationDetail(s: PolicySummary): string[] {
  const h = (k: keyof PolicySummary['byHow']) => `${s.byHow[k]} (${s.byHowWithin10[k]} within 10 days)`;
  const out = [
    `  recovered ${s.recovered}/${s.cases} (${pct(s.recoveryRate)}): scheduled retry ${h('scheduled_retry')}, card update ${h('card_update')}, paid elsewhere ${h('paid_elsewhere')}, other ${h('other')}`,
    `  cumulative recovery by day 3/7/10/14/21/30: ${[3, 7, 10, 14, 21, 30].map((d) => pct(s.cumulativeByDay[d] ?? null)).join(' / ')}`,
  ];
  for (const [cause, b] of Object.entries(s.byCause).sort())
    out.push(`  ${cause}: ${b.recovered}/${b.cases} (${pct(b.recovered / b.cases)}), within 10 days ${b.within10}`);
  return out;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/** Cumulative recovery by day, one line per policy, as inline SVG. */
export function recoveryChartSvg(
  s: ReadonlyArray<Pick<PolicySummary, 'name' | 'recoveryRate' | 'cumulativeByDay'>>,
  title?: string,
): string {
  const W = 640;
  const H = 320;
  const pad = 40;
  const maxY = Math.max(0.05, ...s.flatMap((p) => p.cumulativeByDay));
  const x = (d: number) => pad + (d / 30) * (W - 2 * pad);
  const y = (v: number) => H - pad - (v / maxY) * (H - 2 * pad);
  const lines = s.map((p, i) => {
    const pts = p.cumulativeByDay.map((v, d) => `${x(d).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts}"/>`;
  });
  const ticks = [0, 5, 10, 15, 20, 25, 30]
    .map((d) => `<text x="${x(d)}" y="${H - pad + 16}" font-size="11" text-anchor="middle">${d}</text>`)
    .join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text x="${pad - 4}" y="${y(f * maxY) + 4}" font-size="11" text-anchor="end">${(100 * f * maxY).toFixed(0)}%</text>`,
    )
    .join('');
  // Bottom right: the lines rise to the top right, so the legend stays clear of them.
  const legend = s
    .map(
      (p, i) =>
        `<text x="${W - pad - 8}" y="${H - pad - 10 - 16 * (s.length - 1 - i)}" font-size="12" text-anchor="end" fill="${COLORS[i % COLORS.length]}">${escapeHtml(p.name)}: ${pct(p.recoveryRate)} by day 30</text>`,
    )
    .join('');
  const grid = [0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${pad}" y1="${y(f * maxY)}" x2="${W - pad}" y2="${y(f * maxY)}" stroke="#eee"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="cumulative recovery by day" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="#fff"/>${grid}
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#888"/>
${ticks}${yTicks}<text x="${W / 2}" y="${H - 6}" font-size="12" text-anchor="middle">days since the failure</text>
<text x="12" y="${H / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">recovered, share of all cases</text>
${lines.join('\n')}
${legend}${title ? `<text x="${W / 2}" y="18" font-size="12" text-anchor="middle">${escapeHtml(title)}</text>` : ''}
</svg>`;
}

export function htmlReport(result: BacktestResult, s: PolicySummary[], calibration: string[]): string {
  const rows = tableRows(s);
  const table = rows
    .map((r, i) => `<tr>${r.map((c) => (i === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dunning back-test, seed ${result.seed}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}td:first-child{text-align:left}</style>
</head><body>
<h1>Dunning back-test</h1>
<p>${s[0]?.cases ?? 0} cases per policy, seed ${result.seed}, first failures at ${new Date(result.startedAt).toISOString()} (simulated), ${(result.wallMs / 1000).toFixed(0)} s of wall time. Recovery: the case ended <code>recovered</code> by any means, over all failed cases. Model: <code>${escapeHtml(result.cohort)}</code>; rules: <code>policies/network-rules.json</code>.</p>
<h2>Cumulative recovery by day</h2>
${recoveryChartSvg(s)}
<h2>Side by side</h2>
<table>${table}</table>
<h2>Calibration</h2>
<ul>${calibration.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
</body></html>
`;
}
