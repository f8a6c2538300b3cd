/**
 * Seeded fuzzed Stripe webhooks for the chaos suite: random bytes, JSON that is not an event,
 * unknown types, every event type the service uses with fields of the wrong type, deep nesting,
 * huge and unicode values, bodies over the size limit, and some with a bad or missing signature.
 * Ids are made up (never a real sandbox object), so no fuzzed event can touch a chaos case.
 * The same seed gives the same events.
 */

export interface FuzzedWebhook {
  kind: string;
  body: Buffer;
  contentType: string;
  /** false: sent with a wrong signature (or none): must be a 400, never taken. */
  signed: boolean | 'missing';
}

/** mulberry32: small, fast, good enough to spread cases; not for secrets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USED_TYPES = [
  'invoice.payment_failed',
  'invoice.paid',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'customer.subscription.deleted',
  'payment_method.attached',
  'payment_method.automatically_updated',
  'customer.updated',
] as const;

export function fuzzedWebhooks(count: number, seed: number): FuzzedWebhook[] {
  const rnd = seededRandom(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const alphabet = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'];
  const token = (n = 14) => Array.from({ length: n }, () => pick(alphabet)).join('');
  const id = (prefix: string) => `${prefix}_fuzz${token()}`;

  const weird = (): unknown =>
    pick<() => unknown>([
      () => String(int(100_000)),
      () => ({}),
      () => [1, 'two', null],
      () => 1e308,
      () => -1,
      () => 1.5,
      () => Number.MAX_SAFE_INTEGER + 2,
      () => null,
      () => true,
      () => '',
      () => 'x'.repeat(300),
      () => `in_${'9'.repeat(300)}`,
      () => '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u0000 \u202e ᄀᄀᄀ 🧨'.repeat(1 + int(20)),
      () => '../../etc/passwd',
      () => "'; DROP TABLE cases; --",
      () => 'DunningState = "active"',
      () => id(pick(['cus', 'in', 'sub', 'pm', 'card', 'src', 'evt', 'ch'])),
      () => '\ud800', // a lone surrogate
    ])();

  const invoice = () => ({
    id: id('in'),
    object: 'invoice',
    customer: id('cus'),
    subscription: id('sub'),
    status: pick(['open', 'paid', 'void', 'uncollectible', 'draft']),
    amount_due: int(100_000),
    amount_remaining: int(100_000),
    currency: pick(['usd', 'eur', 'vnd']),
    collection_method: 'charge_automatically',
    billing_reason: 'subscription_cycle',
    attempt_count: int(5),
    number: `F-${token(6)}`,
    parent: { type: 'subscription_details', subscription_details: { subscription: id('sub') } },
    customer_email: `${token(6)}@example.com`,
  });
  const subscription = () => ({
    id: id('sub'),
    object: 'subscription',
    customer: id('cus'),
    status: 'canceled',
    latest_invoice: id('in'),
    default_payment_method: id('pm'),
  });
  const paymentMethod = () => ({
    id: id(pick(['pm', 'card', 'src'])),
    object: 'payment_method',
    customer: id('cus'),
    type: 'card',
    card: { brand: 'visa', last4: String(1000 + int(9000)), exp_month: 1 + int(12), exp_year: 2030, fingerprint: token(16) },
  });
  const customer = () => ({ id: id('cus'), object: 'customer', invoice_settings: { default_payment_method: id('pm') } });
  const objectFor = (type: string): Record<string, unknown> =>
    type.startsWith('invoice.')
      ? invoice()
      : type.startsWith('customer.subscription')
        ? subscription()
        : type.startsWith('payment_method')
          ? paymentMethod()
          : customer();
  const envelope = (type: string, object: unknown): Record<string, unknown> => ({
    id: id('evt'),
    object: 'event',
    api_version: '2025-09-30.clover',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object,
      ...(type === 'customer.updated' ? { previous_attributes: { invoice_settings: { default_payment_method: id('pm') } } } : {}),
    },
  });

  /** Replaces 1-3 random leaves (or deletes them) anywhere in the event. */
  const mutate = (event: Record<string, unknown>): void => {
    for (let n = 1 + int(3); n > 0; n--) {
      let node: Record<string, unknown> = event;
      for (;;) {
        const keys = Object.keys(node);
        if (!keys.length) break;
        const key = pick(keys);
        const child = node[key];
        if (child && typeof child === 'object' && !Array.isArray(child) && rnd() < 0.7) {
          node = child as Record<string, unknown>;
          continue;
        }
        if (rnd() < 0.15) delete node[key];
        else node[key] = weird();
        break;
      }
    }
  };

  const deep = (depth: number): unknown => {
    let v: unknown = 'bottom';
    for (let i = 0; i < depth; i++) v = rnd() < 0.5 ? [v] : { a: v };
    return v;
  };

  const out: FuzzedWebhook[] = [];
  const json = (kind: string, value: unknown, signed: FuzzedWebhook['signed'] = true): FuzzedWebhook => ({
    kind,
    body: Buffer.from(JSON.stringify(value, null, rnd() < 0.5 ? 2 : undefined) ?? 'null'),
    contentType: 'application/json; charset=utf-8',
    signed,
  });
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.08) {
      out.push({ kind: 'random_bytes', body: Buffer.from(Array.from({ length: int(2000) }, () => int(256))), contentType: 'application/json', signed: true });
    } else if (r < 0.13) {
      out.push(json('not_an_event', pick<unknown>([42, 'event', [1, 2, 3], null, true, { hello: 'world' }, []])));
    } else if (r < 0.18) {
      out.push(json('unknown_type', envelope(pick(['charge.refunded', 'invoice.created', '', 'x'.repeat(5000), '💥']), { id: id('x') })));
    } else if (r < 0.73) {
      const type = pick(USED_TYPES);
      const event = envelope(type, objectFor(type));
      mutate(event);
      out.push(json(`wrong_field:${type}`, event));
    } else if (r < 0.78) {
      const type = pick(USED_TYPES);
      const event = envelope(type, objectFor(type));
      (event.data as Record<string, unknown>).object = rnd() < 0.5 ? deep(50 + int(3000)) : { ...objectFor(type), metadata: deep(50 + int(3000)) };
      out.push(json('deep_nesting', event));
    } else if (r < 0.86) {
      const type = pick(USED_TYPES);
      const object = objectFor(type);
      const huge = pick(['a', 'é', '中', '🧨', '\u202e']).repeat(1000 + int(100_000));
      object[pick(Object.keys(object))] = huge;
      out.push(json('huge_value', envelope(type, object)));
    } else if (r < 0.91) {
      const event = envelope('invoice.payment_failed', invoice());
      out.push(json(rnd() < 0.5 ? 'bad_signature' : 'missing_signature', event, rnd() < 0.5 ? false : 'missing'));
    } else if (r < 0.94) {
      const event = envelope('invoice.payment_failed', invoice());
      out.push({ ...json('wrong_content_type', event), contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) });
    } else if (r < 0.96) {
      const event = envelope('invoice.payment_failed', { ...invoice(), padding: 'x'.repeat(1_100_000) });
      out.push(json('oversize', event));
    } else {
      // Well-formed: a failure for an invoice Stripe does not know (ends cancelled, invoice_not_found).
      const type = pick(USED_TYPES);
      out.push(json(`unknown_object:${type}`, envelope(type, objectFor(type))));
    }
  }
  return out;
}
