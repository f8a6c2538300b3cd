/**
 * Strict input at the edge: which verified Stripe events are taken, which are refused (and so
 * quarantined by the webhook route), and what the refusal says. Rules from issue #7.
 */
import { describe, expect, it } from 'vitest';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { readStripeEvent } from '../../src/http/stripeEventSchemas';
import { interpretStripeEvent, mapStripeEvent } from '../../src/http/stripeEvents';
import { stripeInvoice as invoice } from '../support/stripeInvoice';

const created = 1_790_000_000;

function event(type: string, object: unknown, extra: Record<string, unknown> = {}) {
  return {
    id: 'evt_1',
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    livemode: false,
    type,
    data: { object },
    ...extra,
  };
}
const failed = (over: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('invoice.payment_failed', invoice(over), extra);

/** The refusal, or a failed expectation when the event was taken. */
function refusal(body: unknown) {
  const r = readStripeEvent(body);
  if (r.status !== 'invalid') throw new Error(`expected a refusal, got ${r.status}`);
  return r.problem;
}
const taken = (body: unknown) => readStripeEvent(body).status !== 'invalid';

describe('the examples of issue #7 are refused, naming the field', () => {
  it.each([
    ['amount_due as a string', { amount_due: '2500' }, 'data.object.amount_due'],
    ['amount_due as an object', { amount_due: { value: 2500 } }, 'data.object.amount_due'],
    ['amount_due 1e308', { amount_due: 1e308 }, 'data.object.amount_due'],
    ['an invoice id of 300 characters', { id: `in_${'a'.repeat(297)}` }, 'data.object.id'],
    ['an empty currency', { currency: '' }, 'data.object.currency'],
  ])('%s', (_what, over, field) => {
    const p = refusal(failed(over));
    expect(p.field).toBe(field);
    expect(p.reason).toContain(`${field}: `);
    // The envelope was fine: the refusal still says which event it was.
    expect(p).toMatchObject({ eventId: 'evt_1', type: 'invoice.payment_failed' });
  });
});

describe('ids', () => {
  it('Stripe prefixes, [A-Za-z0-9_], at most 255 characters', () => {
    expect(taken(failed({ id: `in_${'a'.repeat(252)}` }))).toBe(true); // 255
    expect(refusal(failed({ id: `in_${'a'.repeat(253)}` })).field).toBe('data.object.id'); // 256
    for (const id of ['in_', 'in-123', 'in_12-3', 'in_ü', 'in_1 2', 'cus_123', 'IN_123', '', 123, null]) {
      expect(refusal(failed({ id })).field, String(id)).toBe('data.object.id');
    }
    expect(refusal(failed({ customer: 'cu_1' })).field).toBe('data.object.customer');
    expect(refusal(failed({ parent: { subscription_details: { subscription: 'in_1' } } })).field).toBe(
      'data.object.parent.subscription_details.subscription',
    );
  });

  it('expandable fields: the id, or an object whose id is valid', () => {
    const a = mapStripeEvent(failed({ customer: { id: 'cus_x', object: 'customer', deleted: true } }));
    expect(a).toMatchObject({ kind: 'payment_failed', signal: { customerId: 'cus_x' } });
    expect(refusal(failed({ customer: { id: 'sub_x' } })).field).toBe('data.object.customer');
    expect(refusal(failed({ customer: { object: 'customer' } })).field).toBe('data.object.customer');
    expect(refusal(failed({ customer: ['cus_1'] })).field).toBe('data.object.customer');
  });

  it('payment methods may be pm_, card_ or src_', () => {
    for (const id of ['pm_1', 'card_1', 'src_1']) {
      expect(mapStripeEvent(event('payment_method.attached', { id, customer: 'cus_1' })), id).toMatchObject({
        kind: 'card_updated',
        paymentMethodId: id,
      });
    }
    for (const id of ['ba_1', 'pi_1', 'pm_'])
      expect(refusal(event('payment_method.attached', { id, customer: 'cus_1' })).field).toBe('data.object.id');
    const customer = (pm: unknown) => ({ id: 'cus_1', invoice_settings: { default_payment_method: pm } });
    const changed = { previous_attributes: { invoice_settings: { default_payment_method: null } } };
    const updated = (pm: unknown) => ({ ...event('customer.updated', customer(pm)), data: { object: customer(pm), ...changed } });
    expect(mapStripeEvent(updated('card_9'))).toMatchObject({ kind: 'card_updated', paymentMethodId: 'card_9' });
    expect(refusal(updated('pi_9')).field).toBe('data.object.invoice_settings.default_payment_method');
  });
});

describe('amounts, currency, times', () => {
  it('amounts are non-negative safe integers', () => {
    expect(taken(failed({ amount_due: 0, amount_remaining: Number.MAX_SAFE_INTEGER }))).toBe(true);
    for (const v of [-1, 1.5, 2 ** 53, -0.5, null, true, [2500]]) {
      expect(refusal(failed({ amount_remaining: v })).field, String(v)).toBe('data.object.amount_remaining');
    }
    expect(refusal(failed({ attempt_count: -1 })).field).toBe('data.object.attempt_count');
  });

  it('currency is three ASCII letters, lowercased', () => {
    expect(mapStripeEvent(failed({ currency: 'EUR' }))).toMatchObject({ signal: { currency: 'eur' } });
    for (const c of ['eu', 'euro', 'e1r', 'ÉUR', 'eu ', 978, null]) {
      expect(refusal(failed({ currency: c })).field, String(c)).toBe('data.object.currency');
    }
  });

  it('created is a positive safe integer', () => {
    for (const c of [0, -1, 1.5, '1790000000', 1e308, null]) {
      const p = refusal({ ...failed(), created: c });
      expect(p.field, String(c)).toBe('created');
    }
  });
});

describe('nullable fields as Stripe sends them', () => {
  it('null where Stripe may send null; absent or another type is refused', () => {
    expect(mapStripeEvent(failed({ number: null, hosted_invoice_url: null }))).toMatchObject({
      kind: 'payment_failed',
      signal: { invoiceNumber: undefined, hostedInvoiceUrl: undefined },
    });
    expect(mapStripeEvent(failed({ parent: null }))).toMatchObject({ kind: 'ignore' });
    expect(refusal(failed({ number: 42 })).field).toBe('data.object.number');
    expect(refusal(failed({ amount_due: null })).field).toBe('data.object.amount_due');
    const { attempt_count: _, ...withoutAttempts } = invoice();
    expect(refusal(event('invoice.payment_failed', withoutAttempts)).field).toBe('data.object.attempt_count');
    const sub = { id: 'sub_1', customer: 'cus_1', latest_invoice: null };
    expect(taken(event('customer.subscription.deleted', sub))).toBe(true);
    expect(refusal(event('customer.subscription.deleted', { ...sub, customer: null })).field).toBe('data.object.customer');
    expect(refusal(event('customer.subscription.deleted', { id: 'sub_1', customer: 'cus_1' })).field).toBe(
      'data.object.latest_invoice',
    );
  });

  it('the hosted invoice page may be absent (Stripe types it optional): taken, without a link', () => {
    const { hosted_invoice_url: _, ...withoutPage } = invoice();
    expect(mapStripeEvent(event('invoice.payment_failed', withoutPage))).toMatchObject({
      kind: 'payment_failed',
      signal: { hostedInvoiceUrl: undefined },
    });
  });

  it('the hosted invoice page, shown to customers, is an http(s) URL', () => {
    for (const u of ['javascript:alert(1)', 'not a url', 'ftp://x.example/i', `https://x.example/${'a'.repeat(2048)}`]) {
      expect(refusal(failed({ hosted_invoice_url: u })).field, u.slice(0, 30)).toBe('data.object.hosted_invoice_url');
    }
  });

  it('collection methods Stripe documents, no others', () => {
    expect(mapStripeEvent(failed({ collection_method: 'send_invoice' }))).toMatchObject({ kind: 'ignore' });
    expect(refusal(failed({ collection_method: 'cash' })).field).toBe('data.object.collection_method');
  });
});

describe('the envelope, for every type', () => {
  it.each([
    ['null', null, '(body)'],
    ['an array', [failed()], '(body)'],
    ['a number', 5, '(body)'],
    ['a string', 'evt_1', '(body)'],
    ['an empty object', {}, 'id'],
    ['an id that is not an event id', { ...failed(), id: 'ev_1' }, 'id'],
    ['a type that is not a type name', { ...failed(), type: 'Invoice Paid' }, 'type'],
    ['a type that is not a string', { ...failed(), type: ['invoice.paid'] }, 'type'],
    ['no data', { ...failed(), data: undefined }, 'data'],
    ['data.object null', event('invoice.created', null), 'data.object'],
    ['data.object an array', event('customer.created', [1]), 'data.object'],
  ])('%s is refused', (_what, body, field) => {
    expect(refusal(body).field).toBe(field);
  });

  it('the refusal names the event only when its id and type are well-formed', () => {
    expect(refusal({ ...failed(), id: `evt_${'x'.repeat(300)}`, type: 'x'.repeat(101) })).toMatchObject({
      eventId: undefined,
      type: undefined,
    });
    expect(refusal(failed({ amount_due: 'x' }))).toMatchObject({ eventId: 'evt_1', type: 'invoice.payment_failed' });
  });

  it('types we do not use: the envelope is checked, their object is not', () => {
    const r = interpretStripeEvent(event('invoice.created', { id: 'whatever', amount_due: 'not checked' }));
    expect(r).toEqual({
      kind: 'valid',
      id: 'evt_1',
      type: 'invoice.created',
      action: { kind: 'ignore', reason: expect.stringContaining('invoice.created') },
    });
  });

  it('a refusal stays short however large the value it refuses', () => {
    const p = refusal(failed({ collection_method: 'x'.repeat(1_000_000), currency: '€'.repeat(100_000), amount_due: {} }));
    expect(p.reason.length).toBeLessThanOrEqual(1000);
    expect(p.reason).toContain('data.object.collection_method');
  });
});

describe('cardDataChanged', () => {
  it('only payment_method.automatically_updated brings new card data', () => {
    const pm = { id: 'pm_1', customer: 'cus_1' };
    expect(mapStripeEvent(event('payment_method.automatically_updated', pm))).toMatchObject({
      kind: 'card_updated',
      cardDataChanged: true,
    });
    expect(mapStripeEvent(event('payment_method.attached', pm))).not.toHaveProperty('cardDataChanged');
    const customer = { id: 'cus_1', invoice_settings: { default_payment_method: 'pm_1' } };
    const updated = {
      ...event('customer.updated', customer),
      data: { object: customer, previous_attributes: { invoice_settings: { default_payment_method: null } } },
    };
    const a = mapStripeEvent(updated);
    expect(a).toMatchObject({ kind: 'card_updated' });
    expect(a).not.toHaveProperty('cardDataChanged');
  });
});

describe('the API version is compared first (issue #20)', () => {
  it('an event rendered at another version is refused as api_version_mismatch, naming both versions', () => {
    // A valid invoice otherwise: only the version is wrong, and it alone refuses the event.
    const p = refusal(failed({}, { api_version: '2024-06-20' }));
    expect(p).toMatchObject({ eventId: 'evt_1', type: 'invoice.payment_failed', field: 'api_version' });
    expect(p.reason).toBe(
      `api_version_mismatch: event rendered at API version "2024-06-20", the service is pinned to ${STRIPE_API_VERSION}`,
    );
  });

  it('before the fields: an older shape is refused for its version, not for a missing field', () => {
    const p = refusal(failed({ parent: undefined, subscription: 'sub_1' }, { api_version: '2025-02-24.acacia' }));
    expect(p.field).toBe('api_version');
    expect(p.reason).toMatch(/^api_version_mismatch: .*"2025-02-24.acacia".*2026-10-28.endive$/);
  });

  it('null or absent is a mismatch too; the pinned version is taken', () => {
    expect(refusal(failed({}, { api_version: null })).reason).toContain('API version none');
    expect(refusal(failed({}, { api_version: undefined })).field).toBe('api_version');
    expect(refusal(event('invoice.paid', { id: 'in_1' }, { api_version: '2024-06-20' })).field).toBe('api_version');
    expect(taken(failed())).toBe(true);
  });

  it('an event type dunning does not use is acknowledged whatever its version', () => {
    expect(readStripeEvent(event('charge.succeeded', { id: 'ch_1' }, { api_version: '2024-06-20' })).status).toBe('unused');
  });
});
