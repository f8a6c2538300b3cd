/**
 * What the ops CLI prints: cases as a table, one case as a timeline in the customer's time zone,
 * the answers of the operator actions. Pure (time comes in as epoch ms), so every line is tested
 * without a server; the words for decline, card and money are the Web UI's (domain/caseNarrative).
 */
// `Nov 20, 09:00`: the zone is named once, above the timeline.
import { cardLabel, moneyLabel } from '../../domain/caseNarrative';
import { clockLabel } from '../../domain/presentation';
import { caseTimeZone } from '../../domain/schedule';
import type {
  AttemptOutcome,
  AttemptRecord,
  AttemptTrigger,
  DunningStatus,
  EmailRecord,
  NextActionKind,
  RetryOutcome,
} from '../../domain/types';
import type { CaseSummary } from '../dunningClient';
import type { QuarantineEntry } from '../quarantine/quarantineStore';
import type { StalledScan } from '../stalled/stalledKind';

const TRIGGERS: Record<AttemptTrigger, string> = {
  schedule: 'scheduled retry',
  payment_method_updated: 'charge of the updated card',
  stripe: 'Stripe',
  customer_retry: "customer's own retry",
  operator_retry: "operator's retry now",
  other_card: 'another saved card',
};

const OUTCOMES: Record<AttemptOutcome, string> = {
  succeeded: 'paid',
  declined: 'declined',
  skipped_already_paid: 'already paid',
  skipped_invoice_closed: 'not charged: the invoice is closed',
  skipped_budget: "not charged: the card's network retry budget is used up",
  skipped_never_retry: 'not charged: the issuer said never to retry this card',
  skipped_disputed: 'not charged: the customer disputed a payment',
  skipped_card_detached: 'not charged: the card was removed; waiting for a new one',
  skipped_subscription_ended: 'not charged: the subscription has ended',
  requires_action: 'the bank asks the customer to confirm (3-D Secure)',
  processing: 'accepted: a bank debit settling (not paid until the bank answers)',
  error: 'refused by Stripe',
};

const NEXT: Record<NextActionKind, string> = {
  email: 'email to the customer',
  retry: 'retry the card on file',
  final_notice: 'final notice (the app is warned: access.warning)',
  offer: 'last-chance offer email (pause, coupon or downgrade)',
  sms: 'text message (customers who agreed to billing texts)',
  restrict_access: 'grace period ends (the app restricts access)',
  end_action: "the schedule has run out: the policy's end action",
};

const words = (s: string) => s.replace(/_/g, ' ');

/** `in 2 days`, `in 5 hours`, `in 12 minutes`, `now`, `3 hours ago`: how far off, roughly. */
export function relativeLabel(ms: number, now: number): string {
  const delta = ms - now;
  const abs = Math.abs(delta);
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  const unit = units.find(([size]) => abs >= size);
  if (!unit) return 'now';
  const n = Math.round(abs / unit[0]);
  const span = `${n} ${unit[1]}${n === 1 ? '' : 's'}`;
  return delta > 0 ? `in ${span}` : `${span} ago`;
}

function attemptLine(a: AttemptRecord): string {
  // The only attempt Stripe "makes" in the record: the invoice paid elsewhere.
  if (a.trigger === 'stripe' && a.outcome === 'skipped_already_paid') return 'paid elsewhere (Stripe says the invoice is paid)';
  const code = a.declineCode ? ` (${a.declineCode})` : '';
  const error = a.error ? `: ${a.error}` : '';
  return `${TRIGGERS[a.trigger] ?? words(a.trigger)}: ${OUTCOMES[a.outcome] ?? words(a.outcome)}${code}${error}`;
}

function emailLine(e: EmailRecord): string {
  if (e.error) return `email ${e.template}: not sent (${e.error})`;
  return `email ${e.template}: sent${e.messageId ? ` (${e.messageId})` : ''}`;
}

/**
 * The case as a timeline: what happened, what is next and when, in the customer's time zone
 * (`status.timeZone`, UTC until the case has read it from Stripe).
 */
export function formatCase(s: DunningStatus, now: number): string {
  const zone = caseTimeZone(s.timeZone, 'UTC');
  const at = (iso: string) => clockLabel(Date.parse(iso), zone);
  const lines: string[] = [];
  const sub = s.subscriptionId ? ` · ${s.subscriptionId}` : '';
  lines.push(`${s.invoiceId} · ${s.customerId}${sub} · ${moneyLabel(s.amountDue, s.currency)} · ${s.state}`);
  lines.push(`Decline: ${words(s.declineCategory)} · ${cardLabel(s.card)}`);
  lines.push(`Times in ${zone}${s.timeZone ? " (the customer's)" : ''}`);
  lines.push('');

  const events: Array<{ at: string; text: string; order: number }> = [
    { at: s.startedAt, text: 'case opened by the failed payment', order: 0 },
    ...s.attempts.map((a) => ({ at: a.at, text: attemptLine(a), order: 1 })),
    ...s.emails.map((e) => ({ at: e.at, text: emailLine(e), order: 2 })),
  ];
  const u = s.emailUndeliverable;
  if (u) {
    const said = u.reason ? ` (${u.reason})` : '';
    events.push({ at: u.occurredAt, text: `email undeliverable: ${u.event}${said}; no more email to ${u.address}`, order: 2 });
  }
  if (s.endedAt) events.push({ at: s.endedAt, text: `case ended: ${s.state} (${s.outcome ?? 'no outcome'})`, order: 3 });
  // Stable by time, then by kind: a charge before the email it led to, the end last.
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.order - b.order);
  lines.push('What happened');
  for (const e of events) lines.push(`  ${at(e.at).padEnd(14)} ${e.text}`);

  if (s.state === 'processing' && s.processing) {
    const p = s.processing;
    lines.push('');
    lines.push('What is next');
    lines.push(`  a bank debit is settling since ${at(p.since)}: nothing is charged and no reminder is sent meanwhile`);
    lines.push(
      `  ${at(p.checkAt).padEnd(14)} Stripe is asked, if the bank has not answered by then (${relativeLabel(Date.parse(p.checkAt), now)})`,
    );
    lines.push('  meanwhile: invoice.paid ends the case recovered; invoice.payment_failed resumes the schedule');
  }
  if (s.state === 'active') {
    lines.push('');
    lines.push('What is next');
    if (s.blockedOn) {
      const b = s.blockedOn;
      const provider = b.provider === 'stripe' ? 'Stripe' : 'Resend';
      lines.push(
        `  blocked: ${provider} unavailable since ${at(b.since)} (${b.reason}); trying again ${at(b.retryAt)} (${relativeLabel(Date.parse(b.retryAt), now)})`,
      );
    }
    if (s.nextAction) {
      const when = Date.parse(s.nextAction.at);
      lines.push(
        `  ${at(s.nextAction.at).padEnd(14)} ${NEXT[s.nextAction.kind] ?? words(s.nextAction.kind)} (${relativeLabel(when, now)})`,
      );
    } else if (!s.blockedOn) {
      lines.push('  nothing planned yet (the case is reading its facts from Stripe)');
    }
    lines.push('  meanwhile: a new card, a payment elsewhere or a cancellation acts at once');
    const r = s.customerRetry;
    if (r) {
      const until = !r.allowed && r.retryAt ? ` until ${at(r.retryAt)}` : '';
      lines.push(`  customer's own retry: ${r.allowed ? 'possible' : `not possible (${words(r.reason)}${until})`}`);
    }
  }
  return lines.join('\n');
}

/** Fixed-width columns, the last one left ragged. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `2026-11-27 09:00Z`: a list mixes customers of every zone, so times are in UTC. */
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

export function formatCaseList(cases: CaseSummary[]): string {
  if (cases.length === 0) return 'no cases';
  const rows = cases.map((c) => [
    c.invoiceId ?? c.workflowId,
    c.customerId ?? '',
    // Listed from its search attributes only: a key was removed too early (docs/production/key-rotation.md).
    `${c.state ?? ''}${c.undecryptable ? ' (undecryptable)' : ''}`,
    c.amountDue !== undefined && c.currency ? moneyLabel(c.amountDue, c.currency) : '',
    c.declineCategory ? words(c.declineCategory) : '',
    c.state === 'active' && c.nextActionAt ? utc(c.nextActionAt) : '',
    c.blockedOn ?? '',
  ]);
  const header = ['INVOICE', 'CUSTOMER', 'STATE', 'AMOUNT', 'DECLINE', 'NEXT (UTC)', 'BLOCKED ON'];
  return [...table(header, rows), `${cases.length} case${cases.length === 1 ? '' : 's'}`].join('\n');
}

/** What `retry-now` printed for the charge's outcome (200) or its acceptance (202). */
export function formatRetryOutcome(invoiceId: string, answer: RetryOutcome | { accepted: true }): string {
  if ('accepted' in answer)
    return `${invoiceId}: retry accepted; the charge is still under way (npm run cases -- show ${invoiceId} shows its outcome)`;
  switch (answer.outcome) {
    case 'succeeded':
      return `${invoiceId}: paid. The case ends recovered.`;
    case 'declined':
      return `${invoiceId}: declined again (${words(answer.declineCategory)}${answer.declineCode ? `, ${answer.declineCode}` : ''}); the case goes on with its schedule`;
    case 'requires_action':
      return `${invoiceId}: the bank asks the customer to confirm the payment (3-D Secure)${answer.hostedInvoiceUrl ? `: ${answer.hostedInvoiceUrl}` : ''}`;
    case 'processing':
      return `${invoiceId}: accepted as a bank debit; the case is processing until the bank answers (days)`;
    case 'not_possible':
      return `${invoiceId}: not possible (${words(answer.reason)})`;
  }
}

/** What `resend-link` printed: the email as the case recorded it, or that it is on its way. */
export function formatLinkSent(
  invoiceId: string,
  answer: { outcome: 'sent'; template: string; messageId?: string } | { accepted: true },
): string {
  if ('accepted' in answer)
    return `${invoiceId}: link email accepted; the email provider has not answered yet (npm run cases -- show ${invoiceId})`;
  return `${invoiceId}: email ${answer.template} with a fresh update link sent${answer.messageId ? ` (${answer.messageId})` : ''}`;
}

export function formatQuarantine(events: QuarantineEntry[]): string {
  if (events.length === 0) return 'no quarantined events';
  const rows = events.map((e) => [
    e.eventId,
    e.status,
    e.type,
    utc(e.receivedAt),
    e.undecryptable ? 'undecryptable (a key was removed too early)' : `${e.field}: ${e.reason}`,
  ]);
  const header = ['EVENT', 'STATUS', 'TYPE', 'RECEIVED (UTC)', 'PROBLEM'];
  return [...table(header, rows), `${events.length} event${events.length === 1 ? '' : 's'}`].join('\n');
}

/** `list --stalled`: one row per stalled execution, then what to do. */
export function formatStalled(scan: StalledScan): string {
  const when = `scanned ${utc(scan.scannedAt)}${scan.truncated ? `, the first ${scan.scanned} open executions only` : ''}`;
  if (scan.cases.length === 0) return `no stalled cases (${when})`;
  const rows = scan.cases.map((c) => [
    c.workflowId,
    c.workflowType,
    c.errorKind,
    String(c.attempt),
    c.failingSince ? utc(c.failingSince) : '',
    c.message ?? '',
  ]);
  const header = ['WORKFLOW', 'TYPE', 'ERROR', 'ATTEMPT', 'FAILING SINCE (UTC)', 'MESSAGE'];
  const n = scan.cases.length;
  return [
    ...table(header, rows),
    `${n} case${n === 1 ? '' : 's'} stalled: workflow task failing (${when}); see docs/production/stalled-cases.md`,
  ].join('\n');
}
