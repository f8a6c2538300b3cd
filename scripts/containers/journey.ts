/**
 * The thin slice's journey (test/cluster/thin-slice.test.ts) through the compose stack: a failed
 * invoice in the host's Stripe sandbox sends its signed invoice.payment_failed webhook to the API's
 * published port → a case in Temporal (PostgreSQL) → the first email in the host's outbox → the
 * card works again and the billing page says so → recovered, the recovery email sent, and the case
 * listed from visibility. Each step throws naming what it waited for.
 */
import { randomBytes } from 'node:crypto';
import type { DunningStatus } from '../../domain/types';
import type { Log } from '../../tools/toolchain/process';

export interface JourneyTarget {
  apiUrl: string;
  apiToken: string;
  stripeUrl: string;
  outboxUrl: string;
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const templateOf = (m: { tags?: Array<{ name: string; value: string }> }) => m.tags?.find((t) => t.name === 'template')?.value;

/** Resolves with a line per step done; throws at the first that does not happen. */
export async function runJourney(t: JourneyTarget, log: Log): Promise<string[]> {
  const done: string[] = [];
  const step = (line: string) => {
    done.push(line);
    log(`journey: ${line}`);
  };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${t.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${t.apiToken}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  const status = async (invoiceId: string) => {
    const res = await api(`/api/invoices/${invoiceId}/dunning`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET /api/invoices/${invoiceId}/dunning: ${res.status} ${await res.text()}`);
    return (await res.json()) as DunningStatus;
  };

  const ready = await eventually('the API /readyz', 120_000, async () => {
    const res = await fetch(`${t.apiUrl}/readyz`);
    return res.status === 200 ? res.status : undefined;
  });
  step(`API ready (GET /readyz ${ready})`);

  const email = `containers-${randomBytes(4).toString('hex')}@example.com`;
  const created = await fetch(`${t.stripeUrl}/_sandbox/scenarios/failed-invoice`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, amount: 1999, currency: 'usd', decline: 'pm_card_chargeDeclinedInsufficientFunds' }),
  });
  if (created.status !== 201) throw new Error(`failed-invoice scenario: ${created.status} ${await created.text()}`);
  const s = (await created.json()) as { customerId: string; invoiceId: string; paymentMethodId: string };
  step(`invoice ${s.invoiceId} failed in the Stripe sandbox; its signed webhook goes to ${t.apiUrl}/webhooks/stripe`);

  const first = await eventually('the case and its first email', 120_000, async () => {
    const st = await status(s.invoiceId);
    return st && st.emails.length >= 1 ? st : undefined;
  });
  if (first.state !== 'active' || first.declineCategory !== 'insufficient_funds') {
    throw new Error(`unexpected case: ${JSON.stringify(first)}`);
  }
  step(`case active (${first.declineCategory}), first email ${first.emails[0]!.template}`);

  const behaviour = await fetch(`${t.stripeUrl}/_sandbox/payment_methods/${s.paymentMethodId}/behaviour`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  if (behaviour.status !== 200) throw new Error(`payment method behaviour: ${behaviour.status}`);
  const signal = await api(`/api/invoices/${s.invoiceId}/payment-method-updated`, { method: 'POST', body: '{}' });
  if (signal.status !== 202) throw new Error(`payment-method-updated: ${signal.status} ${await signal.text()}`);
  step('card updated (POST /api/invoices/:id/payment-method-updated 202)');

  const recovered = await eventually('recovery', 120_000, async () => {
    const st = await status(s.invoiceId);
    return st?.state === 'recovered' ? st : undefined;
  });
  step(`case recovered (outcome ${recovered.outcome})`);

  const sent = await eventually('both emails in the outbox', 60_000, async () => {
    const res = await fetch(`${t.outboxUrl}/_outbox/messages?summary=1&to=${encodeURIComponent(email)}`);
    const list = ((await res.json()) as Array<{ tags?: Array<{ name: string; value: string }> }>).map(templateOf).sort();
    return list.length >= 2 ? list : undefined;
  });
  step(`outbox to ${email}: ${sent.join(', ')}`);

  const listed = await eventually('the case in GET /api/dunning', 60_000, async () => {
    const res = await api(`/api/dunning?customerId=${s.customerId}&state=recovered`);
    const body = (await res.json()) as { cases: Array<{ invoiceId: string }> };
    return body.cases.length === 1 ? body.cases : undefined;
  });
  step(`listed from visibility (PostgreSQL): ${listed[0]!.invoiceId}`);
  return done;
}
