/**
 * The recovery dashboard's HTML: figures from src/dashboard/figures.ts, charts from charts.ts,
 * the searchable table of cases. Every value from a case is escaped; figures the browser test
 * reads carry `data-figure` attributes, so the words around them can change freely.
 */
import escapeHtml from 'escape-html';
import { formatAmount } from '../../domain/presentation';
import { CASE_STATES } from '../../domain/types';
import { hourColumns, outcomeBars } from '../dashboard/charts';
import { EXPERIMENTS_STYLE, experimentsSection } from '../dashboard/experimentsSection';
import { cardExpirySection, type ReminderTally } from '../dashboard/cardExpirySection';
import type { ExperimentReport } from '../../domain/experimentResults';
import type { StalledScan } from '../stalled/stalledKind';
import { isOpen, type ByCurrency, type DashboardCase, type DashboardFigures } from '../dashboard/figures';

export interface DashboardView {
  figures: DashboardFigures;
  /** The table's rows, after the search. */
  rows: DashboardCase[];
  /** How many rows matched before the table's cap. */
  matched: number;
  search: { q: string; state: string };
  truncated: boolean;
  now: number;
  /** `<ui>/namespaces/<ns>`; undefined: no links. */
  workflowsUrl?: string;
  /** The last stalled-case scan; undefined: none (yet). */
  stalled?: StalledScan;
  /** The policy experiments' results (src/experiments/); undefined or empty: no section. */
  experiments?: ExperimentReport[];
  /** Why the experiments' results could not be read, when they could not. */
  experimentsUnavailable?: string;
  /** The reminders before a card expires, this month (src/dashboard/cardExpirySection.ts); undefined: not read. */
  expiryReminders?: ReminderTally;
}

const e = (s: unknown) => escapeHtml(String(s ?? ''));
const money = (amount: number, currency: string) => formatAmount(amount, currency, 'en');
const when = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '');
const percent = (rate: number | undefined) => (rate === undefined ? '–' : `${Math.round(rate * 100)}%`);

/** Per-currency amounts, one `data-figure="<prefix>-<currency>"` each; "none" when empty. */
function amounts(prefix: string, by: ByCurrency): string {
  const entries = Object.entries(by).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return '<span class="muted">none</span>';
  return entries
    .map(([cur, v]) => `<span class="amount" data-figure="${e(`${prefix}-${cur}`)}">${e(money(v.amount, cur))}</span>`)
    .join(' ');
}

const figure = (name: string, value: string | number) => `<span data-figure="${e(name)}">${e(value)}</span>`;

function linkToCase(c: DashboardCase, workflowsUrl: string | undefined): string {
  const label = e(c.invoiceId ?? c.workflowId);
  if (!workflowsUrl) return label;
  return `<a href="${e(`${workflowsUrl}/workflows/${encodeURIComponent(c.workflowId)}`)}" rel="noreferrer">${label}</a>`;
}

function caseRow(c: DashboardCase, v: DashboardView): string {
  const next = isOpen(c) ? when(c.nextActionAt) : '';
  const how = [
    c.state === 'recovered' ? c.recoveredBy : c.blockedOn ? `waits for ${c.blockedOn}` : '',
    c.emailUndeliverable ? `email undeliverable (${c.emailUndeliverable})` : '',
    c.stripeRetrying ? `Stripe retrying (attempt ${c.stripeRetrying})` : '',
    c.undecryptable ? 'undecryptable: encrypted with a removed key' : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return `<tr data-invoice="${e(c.invoiceId)}"><td>${linkToCase(c, v.workflowsUrl)}</td><td>${e(c.customerId)}</td>
<td><span class="state ${e(c.state)}">${e(c.state ?? 'starting')}</span> <span class="muted">${e(how)}</span></td>
<td class="num">${c.currency ? e(money(c.amountDue ?? 0, c.currency)) : ''}</td><td>${e(c.declineCategory)}</td><td>${e(next)}</td></tr>`;
}

const STATES = ['', ...CASE_STATES];

export function renderDashboard(v: DashboardView): string {
  const f = v.figures;
  const m = f.month;
  const month = new Date(f.monthStart).toLocaleString('en', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const declineRows = m.byDecline
    .map(
      (d) =>
        `<tr data-decline="${e(d.key)}"><td>${e(d.key)}</td><td class="num">${figure(`decline-${d.key}-recovered`, d.recovered)}</td>` +
        `<td class="num">${figure(`decline-${d.key}-exhausted`, d.exhausted)}</td><td class="num">${figure(`decline-${d.key}-rate`, percent(d.rate))}</td></tr>`,
    )
    .join('');
  const stepRows = m.byStep
    .map(
      (s) =>
        `<tr data-step="${e(s.key)}"><td>${e(s.key)}</td><td class="num">${figure(`step-${s.key}`, s.count)}</td><td>${amounts(`step-${s.key}`, s.amounts)}</td></tr>`,
    )
    .join('');
  const blockedRows = f.blocked.cases.map((c) => caseRow(c, v)).join('');
  const undeliverableRows = f.undeliverable.cases.map((c) => caseRow(c, v)).join('');
  const stripeRetryingRows = f.stripeRetrying.cases.map((c) => caseRow(c, v)).join('');
  const soonRows = f.next24h.cases
    .slice(0, 10)
    .map((c) => caseRow(c, v))
    .join('');
  const stateOptions = STATES.map(
    (s) => `<option value="${e(s)}"${s === v.search.state ? ' selected' : ''}>${s ? e(s) : 'any state'}</option>`,
  ).join('');

  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dunning: recovery dashboard</title><style>${STYLE}${EXPERIMENTS_STYLE}</style></head><body>
<header><h1>Recovery dashboard</h1><p class="muted">As of ${e(when(new Date(v.now).toISOString()))} · from Temporal visibility
<form method="post" action="/dashboard/logout" class="inline"><button type="submit">Sign out</button></form></p></header>
${stalledLine(v)}
${v.truncated ? '<p class="warn">More cases than the dashboard reads at once: the figures cover the first 5,000.</p>' : ''}
${f.undecryptable.count ? `<p class="warn">${figure('undecryptable-count', f.undecryptable.count)} case(s) were encrypted with a key this service no longer has: shown from their search attributes only. Put the old key back in PAYLOAD_ENCRYPTION_KEYS, after the current one (docs/production/key-rotation.md).</p>` : ''}
<section class="cards">
<div class="card"><h2>Open cases</h2><p class="big">${figure('open-count', f.open.count)}</p><p>at risk: ${amounts('at-risk', f.open.atRisk)}</p></div>
<div class="card"><h2>Recovered in ${e(month)}</h2><p class="big">${figure('recovered-count', m.recovered.count)}</p><p>${amounts('recovered', m.recovered.amounts)}</p></div>
<div class="card"><h2>Recovery rate</h2><p class="big">${figure('recovery-rate', percent(m.rate))}</p>
<p>${figure('exhausted-count', m.exhausted.count)} exhausted · ${figure('cancelled-count', m.cancelled)} cancelled · ${figure('saved-by-offer-count', m.savedByOffer)} saved by an offer</p></div>
<div class="card"><h2>Next 24 hours</h2><p class="big">${figure('next24h-count', f.next24h.count)}</p><p>steps due: ${amounts('next24h', f.next24h.amounts)}</p></div>
<div class="card${f.blocked.count ? ' alert' : ''}"><h2>Blocked on a provider</h2><p class="big">${figure('blocked-count', f.blocked.count)}</p>
<p>${Object.entries(f.blocked.byProvider)
    .map(([p, n]) => `${e(p)}: ${figure(`blocked-${p}`, n)}`)
    .join(' · ')}</p></div>
<div class="card${f.undeliverable.count ? ' alert' : ''}"><h2>Email undeliverable</h2><p class="big">${figure('undeliverable-count', f.undeliverable.count)}</p>
<p>no more email goes to them</p></div>
<div class="card${f.stripeRetrying.count ? ' alert' : ''}"><h2>Stripe retrying too</h2><p class="big">${figure('stripe-retrying-count', f.stripeRetrying.count)}</p>
<p>Stripe's own retries beside the case's</p></div>
</section>
<p class="muted definition">Recovery rate = recovered ÷ (recovered + exhausted), over the cases that ended in ${e(month)} (UTC).
Cancelled cases (invoice voided or written off, subscription deleted, an operator's decision) are left out: dunning neither won nor lost them.
Amounts are never added across currencies. Closed cases count only while the namespace retains them (35 days here; see docs/operations.md).</p>
${experimentsSection(v.experiments, v.experimentsUnavailable)}
${cardExpirySection(v.expiryReminders, month)}
<section><h2>Recovered and lost in ${e(month)}, by decline category</h2>
${outcomeBars(
  'Recovered (green) and exhausted (red) cases by decline category',
  m.byDecline.map((d) => ({ label: d.key, ...d })),
)}
<table><thead><tr><th>decline category</th><th>recovered</th><th>exhausted</th><th>rate</th></tr></thead><tbody>${declineRows || '<tr><td colspan="4" class="muted">no case ended this month</td></tr>'}</tbody></table></section>
<section><h2>What recovered them</h2><table><thead><tr><th>recovered by</th><th>cases</th><th>amount</th></tr></thead>
<tbody>${stepRows || '<tr><td colspan="3" class="muted">none yet this month</td></tr>'}</tbody></table></section>
<section><h2>Next 24 hours</h2>${hourColumns('Steps due in the next 24 hours, by hour', f.next24h.byHour)}
${soonRows ? `<table>${HEAD}<tbody>${soonRows}</tbody></table>` : '<p class="muted">nothing due</p>'}</section>
<section><h2>Blocked on a provider</h2>${blockedRows ? `<table>${HEAD}<tbody>${blockedRows}</tbody></table>` : '<p class="muted">none: every open case can act</p>'}</section>
<section><h2>Email undeliverable</h2>${
    undeliverableRows
      ? `<p class="muted">Resend could not deliver to these customers' addresses (bounced, complained, suppressed or failed): the case emails them no more; reach them another way, or have them give another address.</p><table>${HEAD}<tbody>${undeliverableRows}</tbody></table>`
      : '<p class="muted">none: every open case can email its customer</p>'
  }</section>
<section><h2>Stripe retrying too</h2>${
    stripeRetryingRows
      ? `<p class="muted">Stripe's own retry schedule (Smart Retries or a custom schedule) still charged these invoices beside the case's retries, which spends the card networks' retry limits twice. Fix: turn Smart Retries off in the Stripe Dashboard (Billing → Revenue recovery → Retries) and give the service a key that may update invoices (each case turns <code>auto_advance</code> off on its invoice).</p><table>${HEAD}<tbody>${stripeRetryingRows}</tbody></table>`
      : '<p class="muted">none: Stripe leaves every open case\'s invoice to the case</p>'
  }</section>
<section><h2>Cases</h2><form method="get" action="/dashboard" role="search">
<label>Search <input type="search" name="q" value="${e(v.search.q)}" placeholder="invoice, customer, decline…"></label>
<label>State <select name="state">${stateOptions}</select></label> <button type="submit">Search</button></form>
<p class="muted">${figure('table-count', v.matched)} matching case${v.matched === 1 ? '' : 's'}${v.matched > v.rows.length ? `, the first ${v.rows.length} shown` : ''}</p>
<table id="cases">${HEAD}<tbody>${v.rows.map((c) => caseRow(c, v)).join('')}</tbody></table></section>
</body></html>`;
}

/**
 * Cases that do nothing because their workflow task keeps failing: first on the page, each linked
 * to its workflow in the Web UI, with the error kind (docs/production/stalled-cases.md says what to do).
 */
function stalledLine(v: DashboardView): string {
  const cases = v.stalled?.cases ?? [];
  if (cases.length === 0) return '';
  const items = cases
    .slice(0, 20)
    .map((c) => {
      const id = v.workflowsUrl
        ? `<a href="${e(`${v.workflowsUrl}/workflows/${encodeURIComponent(c.workflowId)}/${encodeURIComponent(c.runId)}/history`)}">${e(c.workflowId)}</a>`
        : e(c.workflowId);
      return `<li>${id} (${e(c.workflowType)}): ${e(c.errorKind)}, attempt ${e(c.attempt)}${c.message ? ` · <span class="muted">${e(c.message)}</span>` : ''}</li>`;
    })
    .join('');
  return `<section class="stalled"><p class="warn"><strong>${figure('stalled-count', cases.length)} case${cases.length === 1 ? '' : 's'} stalled: workflow task failing</strong>
(they do nothing until the cause is fixed; see docs/production/stalled-cases.md)</p><ul>${items}</ul></section>`;
}

const HEAD =
  '<thead><tr><th>invoice</th><th>customer</th><th>state</th><th>amount</th><th>decline</th><th>next action</th></tr></thead>';

export function loginPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dunning: sign in</title><style>${STYLE}</style></head>
<body><h1>Recovery dashboard</h1>${message ? `<p class="warn">${e(message)}</p>` : ''}
<form method="post" action="/dashboard/login"><label>API token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form><p class="muted">The same token as the API (<code>API_TOKEN</code>; printed by <code>npm start</code> in development).</p></body></html>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:72rem}
h1{margin:.2rem 0}h2{font-size:1rem;margin:1.2rem 0 .4rem}.muted{color:#666}.warn{color:#a15c00}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #ddd;border-radius:6px;padding:.4rem .9rem;min-width:11rem}
.card h2{margin:.3rem 0;font-size:.85rem;color:#555}.card.alert{border-color:#c62828}.big{font-size:2rem;margin:.1rem 0}
.amount{margin-right:.6rem;white-space:nowrap}table{border-collapse:collapse;margin:.4rem 0}th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right}.state.recovered{color:#2e7d32}.state.exhausted{color:#c62828}.state.active{color:#1565c0}
.definition{font-size:.85rem;max-width:60rem}form.inline{display:inline;margin-left:1rem}label{margin-right:.6rem}`;
