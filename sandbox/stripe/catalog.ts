/**
 * Coupons, prices and the subscription changes made with them (a discount added, an item moved to
 * another price), as Stripe's API has them at the pinned version: what the last-chance offer uses
 * (activities/stripe/applyOffer.ts). Not modelled: promotion codes, prorations (a price change is
 * refused unless `proration_behavior` is `none`), multi-item or metered prices, yearly prices.
 */
import type Stripe from 'stripe';
import { invalidRequest, missingParam, resourceMissing, StripeApiError } from './errors';
import { optionalInteger, optionalString, rejectUnknownParams, type ParamValue, type Params } from './form-params';
import { newId, nowSeconds } from './ids';
import { planFromPrice, priceObject } from './objects';
import type { SandboxData } from './state';

const asParams = (v: ParamValue | undefined, param: string): Params => {
  if (v === undefined || typeof v === 'string' || Array.isArray(v)) throw invalidRequest(`Invalid hash`, param);
  return v;
};

/** `POST /v1/coupons`: a percentage or an amount off, once, for some months, or forever. */
export function createCoupon(data: SandboxData, params: Params): Stripe.Coupon {
  rejectUnknownParams(params, [
    'id',
    'percent_off',
    'amount_off',
    'currency',
    'duration',
    'duration_in_months',
    'name',
    'metadata',
  ]);
  const id = optionalString(params, 'id') ?? newId('co').slice(3, 11);
  if (data.coupons[id]) {
    throw new StripeApiError(400, {
      type: 'invalid_request_error',
      code: 'resource_already_exists',
      message: 'Coupon already exists.',
      param: 'id',
    });
  }
  const percentText = optionalString(params, 'percent_off');
  const percent = percentText === undefined ? undefined : Number(percentText);
  const amountOff = optionalInteger(params, 'amount_off');
  if ((percent === undefined) === (amountOff === undefined))
    throw invalidRequest('You must pass either percent_off or amount_off.', 'percent_off');
  if (percent !== undefined && !(percent > 0 && percent <= 100))
    throw invalidRequest('percent_off must be between 0 and 100.', 'percent_off');
  const currency = optionalString(params, 'currency') ?? null;
  if (amountOff !== undefined && !currency) throw missingParam('currency');
  const duration = (optionalString(params, 'duration') ?? 'once') as Stripe.Coupon.Duration;
  if (!['once', 'repeating', 'forever'].includes(duration))
    throw invalidRequest('Invalid duration: must be one of once, repeating, or forever', 'duration');
  const months = optionalInteger(params, 'duration_in_months') ?? null;
  if (duration === 'repeating' && months === null) throw missingParam('duration_in_months');
  const coupon: Stripe.Coupon = {
    id,
    object: 'coupon',
    amount_off: amountOff ?? null,
    created: nowSeconds(),
    currency,
    duration,
    duration_in_months: duration === 'repeating' ? months : null,
    livemode: false,
    max_redemptions: null,
    metadata: {},
    name: optionalString(params, 'name') ?? null,
    percent_off: percent ?? null,
    redeem_by: null,
    times_redeemed: 0,
    valid: true,
  };
  data.coupons[id] = coupon;
  return coupon;
}

export function coupon(data: SandboxData, id: string, param = 'id'): Stripe.Coupon {
  const c = data.coupons[id];
  if (!c) throw resourceMissing('coupon', id, param);
  return c;
}

/** `POST /v1/prices`: a monthly price of a product (named, or made from `product_data[name]`). */
export function createPrice(data: SandboxData, params: Params): Stripe.Price {
  rejectUnknownParams(params, ['currency', 'unit_amount', 'recurring', 'product', 'product_data', 'nickname', 'metadata']);
  const currency = optionalString(params, 'currency');
  if (!currency) throw missingParam('currency');
  const amount = optionalInteger(params, 'unit_amount');
  if (amount === undefined) throw missingParam('unit_amount');
  const recurring = params.recurring === undefined ? undefined : asParams(params.recurring, 'recurring');
  if (!recurring || optionalString(recurring, 'interval') !== 'month') {
    throw invalidRequest('The sandbox models monthly recurring prices only (recurring[interval]=month).', 'recurring');
  }
  const productData = params.product_data === undefined ? undefined : asParams(params.product_data, 'product_data');
  const nickname = optionalString(params, 'nickname') ?? (productData && optionalString(productData, 'name')) ?? null;
  const price = { ...priceObject({ amount, currency: currency.toLowerCase(), nickname: nickname ?? 'Price' }), nickname };
  const product = optionalString(params, 'product');
  if (product) price.product = product;
  data.prices[price.id] = price;
  return price;
}

export function price(data: SandboxData, id: string, param = 'id'): Stripe.Price {
  const p = data.prices[id];
  if (!p) throw resourceMissing('price', id, param);
  return p;
}

/**
 * `discounts` on a subscription update: the list replaces the subscription's (Stripe's rule), each
 * entry a new coupon's discount or one the subscription already has. Returns the new list of ids.
 */
export function replaceDiscounts(data: SandboxData, sub: Stripe.Subscription, value: ParamValue): string[] {
  if (value === '') return [];
  if (!Array.isArray(value)) throw invalidRequest('Invalid array', 'discounts');
  const current = sub.discounts.map((d) => (typeof d === 'string' ? d : d.id));
  return value.map((entry, i) => {
    const e = asParams(entry, `discounts[${i}]`);
    rejectUnknownParams(e, ['coupon', 'discount', 'promotion_code']);
    const existing = optionalString(e, 'discount');
    if (existing !== undefined) {
      if (!current.includes(existing)) throw resourceMissing('discount', existing, `discounts[${i}][discount]`);
      return existing;
    }
    if (optionalString(e, 'promotion_code') !== undefined) {
      throw invalidRequest('The sandbox does not model promotion codes.', `discounts[${i}][promotion_code]`);
    }
    const couponId = optionalString(e, 'coupon');
    if (!couponId) throw missingParam(`discounts[${i}][coupon]`);
    const c = coupon(data, couponId, `discounts[${i}][coupon]`);
    const start = nowSeconds();
    const discount: Stripe.Discount = {
      id: newId('di'),
      object: 'discount',
      checkout_session: null,
      customer: sub.customer as string,
      customer_account: null,
      end: c.duration === 'repeating' && c.duration_in_months ? start + c.duration_in_months * 30 * 86_400 : null,
      invoice: null,
      invoice_item: null,
      promotion_code: null,
      source: { coupon: c.id, type: 'coupon' },
      start,
      subscription: sub.id,
      subscription_item: null,
    };
    data.discounts[discount.id] = discount;
    c.times_redeemed += 1;
    return discount.id;
  });
}

/**
 * `items` on a subscription update, for what the sandbox models: an existing item moved to another
 * monthly price of the same currency (quantity 1 unless given, as Stripe does on a price change),
 * with `proration_behavior: 'none'`. True when an item changed.
 */
export function changeItems(
  data: SandboxData,
  sub: Stripe.Subscription,
  value: ParamValue,
  proration: string | undefined,
): boolean {
  if (!Array.isArray(value)) throw invalidRequest('Invalid array', 'items');
  let changed = false;
  value.forEach((entry, i) => {
    const e = asParams(entry, `items[${i}]`);
    rejectUnknownParams(e, ['id', 'price', 'quantity']);
    const id = optionalString(e, 'id');
    if (!id) throw invalidRequest('The sandbox does not model adding subscription items: pass items[][id].', `items[${i}][id]`);
    const item = sub.items.data.find((it) => it.id === id);
    if (!item) throw resourceMissing('subscription item', id, `items[${i}][id]`);
    const priceId = optionalString(e, 'price');
    const quantity = optionalInteger(e, 'quantity');
    if (priceId !== undefined && priceId !== item.price.id) {
      const next = price(data, priceId, `items[${i}][price]`);
      if (next.currency !== sub.currency) {
        throw invalidRequest(
          `The price specified (${next.id}) has a currency (${next.currency}) that doesn't match the subscription's (${sub.currency}).`,
          `items[${i}][price]`,
        );
      }
      if (proration !== 'none') {
        throw invalidRequest(
          'The sandbox does not model prorations: pass proration_behavior=none with a price change.',
          'proration_behavior',
        );
      }
      item.price = next;
      item.plan = planFromPrice(next);
      item.quantity = quantity ?? 1;
      changed = true;
    } else if (quantity !== undefined && quantity !== item.quantity) {
      if (proration !== 'none')
        throw invalidRequest('The sandbox does not model prorations: pass proration_behavior=none.', 'proration_behavior');
      item.quantity = quantity;
      changed = true;
    }
  });
  return changed;
}
