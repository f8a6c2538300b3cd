import escapeHtml from 'escape-html';
import type Stripe from 'stripe';
import { TEST_BANK_ACCOUNTS, TEST_CARDS } from './test-cards';

/**
 * The two pages a customer reaches from a dunning email in the sandbox: the Billing Portal's
 * "update payment method" flow and the hosted invoice page. Deliberately plain HTML forms (no
 * scripts), so they work in any browser and from tests with a form POST.
 */

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
.banner{background:#fff4e5;border:1px solid #f5a623;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}
label{display:block;padding:.35rem 0}button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}
.error{color:#b00020}.ok{color:#0a7d33}dt{font-weight:600}dd{margin:0 0 .5rem 0}
</style></head><body>
<p class="banner">Stripe sandbox: test mode, no real money moves.</p>
${body}
</body></html>`;
}

function money(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${amount} ${currency}`;
  }
}

function cardChoices(onlyWorking: boolean): string {
  return TEST_CARDS.filter((c) => !onlyWorking || c.behaviour.outcome === 'succeed')
    .map(
      (c, i) =>
        `<label><input type="radio" name="payment_method" value="${escapeHtml(c.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(c.label)} <small>(•••• ${c.number.slice(-4)})</small></label>`,
    )
    .join('\n');
}

/** The portal also takes a bank account: its debits stay processing until the sandbox settles them. */
function bankChoices(): string {
  return TEST_BANK_ACCOUNTS.map(
    (b) =>
      `<label><input type="radio" name="payment_method" value="${escapeHtml(b.id)}"> ${escapeHtml(b.label)} <small>(account •••• ${b.accountNumber.slice(-4)})</small></label>`,
  ).join('\n');
}

export function portalPage(session: Stripe.BillingPortal.Session, customer: Stripe.Customer): string {
  return layout(
    'Update your payment method',
    `<h1>Update your payment method</h1>
<p>${escapeHtml(customer.name ?? customer.email ?? customer.id)}</p>
<form method="post">
<fieldset><legend>Choose a test card</legend>
${cardChoices(false)}
${bankChoices()}
</fieldset>
<button type="submit">Save card</button>
</form>
${session.return_url ? `<p><a href="${escapeHtml(session.return_url)}">Return without changes</a></p>` : ''}`,
  );
}

export function portalDonePage(returnUrl: string | null): string {
  return layout(
    'Payment method updated',
    `<h1 class="ok">Your payment method was updated.</h1>${returnUrl ? `<p><a href="${escapeHtml(returnUrl)}">Continue</a></p>` : ''}`,
  );
}

export function hostedInvoicePage(invoice: Stripe.Invoice, message?: { kind: 'ok' | 'error'; text: string }): string {
  const open = invoice.status === 'open' || invoice.status === 'uncollectible';
  return layout(
    `Invoice ${invoice.number ?? invoice.id}`,
    `<h1>Invoice ${escapeHtml(invoice.number ?? invoice.id)}</h1>
<dl>
<dt>Amount due</dt><dd>${escapeHtml(money(invoice.amount_remaining, invoice.currency))}</dd>
<dt>Status</dt><dd id="status">${escapeHtml(invoice.status ?? 'unknown')}</dd>
<dt>Billed to</dt><dd>${escapeHtml(invoice.customer_email ?? '')}</dd>
</dl>
${message ? `<p class="${message.kind}" id="message">${escapeHtml(message.text)}</p>` : ''}
${
  open
    ? `<form method="post"><fieldset><legend>Pay with a test card</legend>
${cardChoices(false)}
${bankChoices()}
</fieldset><button type="submit">Pay ${escapeHtml(money(invoice.amount_remaining, invoice.currency))}</button></form>`
    : ''
}`,
  );
}

export function notFoundPage(what: string): string {
  return layout('Not found', `<h1>${escapeHtml(what)} not found</h1>`);
}
