/**
 * Seeded fuzzed Stripe webhooks, each with the answer the service owes it, written from the rules
 * of issue #7 (not from our schemas): random bytes, wrong types in every used field, unknown types,
 * deep nesting, huge and unicode values, valid events, and some unsigned garbage.
 *
 * For the webhook fuzz test and the chaos suite: the same seed gives the same deliveries.
 * Valid events never start a case by default (failures are for invoices collected otherwise), so
 * a fuzz run leaves no workflow behind but its quarantine entries.
 */
import { mulberry32 as seededRandom } from '../../backtest/prng';
import type { DeliverySigning } from '../../tools/chaos/driver';

/** What the service must answer. */
export type FuzzExpectation =
  | 'rejected' // not signed by Stripe as sent (none, another secret, too old, not JSON content): 400
  | 'not_json' // signed, but not JSON: 400
  | 'quarantined' // signed JSON that is not a valid event, or a used type with an invalid field: 200 + quarantined
  | 'taken'; // a valid event (used or not): 200, not quarantined

export interface FuzzDelivery {
  /** What was fuzzed, for failure messages. */
  label: string;
  /** The exact body to POST. */
  payload: string;
  signing: DeliverySigning;
  contentType: string;
  expect: FuzzExpectation;
}

export const expectedStatus = (e: FuzzExpectation): 200 | 400 => (e === 'rejected' || e === 'not_json' ? 400 : 200);

// The same seeded sequence as the back-test's (mulberry32): one generator, defined once.
export { seededRandom };

/** Under the webhook's 1 MB limit with room for the rest of the event. */
const MAX_HUGE_BYTES = 900 * 1024;
/** Marks where deep nesting goes: `text()` swaps it (JSON-quoted) for the nested text. */
const DEEP = '__fuzz_deep__';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UNICODE = ['é', 'ü', '€', '日本', '🙂', 'ß', 'Ω', '\u202e', '\u0000', '\ud83d\ude00', 'ﬁ', 'İ'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

class Fuzzer {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  token(n = 24): string {
    let s = '';
    for (let i = 0; i < n; i++) s += BASE62[this.int(62)];
    return s;
  }
  id(prefix: string): string {
    return `${prefix}_${this.token()}`;
  }
  unicode(n: number): string {
    let s = '';
    while (s.length < n) s += this.pick(UNICODE);
    return s;
  }
  /** A string of about `bytes` UTF-8 bytes, ASCII or not. */
  huge(bytes: number): string {
    return this.chance(0.5) ? 'x'.repeat(bytes) : '€'.repeat(Math.floor(bytes / 3));
  }
  /** Nested arrays/objects, `depth` deep, as JSON text (built as text: no recursion). */
  deep(depth: number): string {
    return this.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  }
}

// ---------------------------------------------------------------- valid events of each used type

function envelope(f: Fuzzer, type: string, object: Obj, extra: Obj = {}): Obj {
  return {
    id: f.id('evt'),
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_700_000_000 + f.int(100_000_000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...extra },
  };
}

const expandable = (f: Fuzzer, id: string): Json => (f.chance(0.3) ? { id, object: 'x' } : id);

/** Valid events, none of which opens a case (see the module comment). */
const VALID: Record<string, (f: Fuzzer) => Obj> = {
  'invoice.payment_failed': (f) => {
    const amount = f.int(1_000_000);
    const dunnable = f.chance(0.5);
    return envelope(f, 'invoice.payment_failed', {
      id: f.id('in'),
      object: 'invoice',
      customer: expandable(f, f.id('cus')),
      collection_method: dunnable ? 'charge_automatically' : 'send_invoice',
      amount_due: amount,
      amount_remaining: f.chance(0.5) ? amount : 0,
      currency: f.pick(['usd', 'eur', 'JPY', 'gbp']),
      number: f.chance(0.8) ? `${f.token(8)}-0001` : null,
      hosted_invoice_url: f.chance(0.8) ? `https://invoice.stripe.com/i/${f.token()}` : null,
      attempt_count: f.int(10),
      // Charged automatically, but of no subscription: acknowledged and skipped.
      parent: dunnable
        ? null
        : { type: 'subscription_details', subscription_details: { subscription: expandable(f, f.id('sub')) } },
    });
  },
  'invoice.paid': (f) => envelope(f, 'invoice.paid', { id: f.id('in'), object: 'invoice' }),
  'invoice.voided': (f) => envelope(f, 'invoice.voided', { id: f.id('in'), object: 'invoice' }),
  'invoice.marked_uncollectible': (f) => envelope(f, 'invoice.marked_uncollectible', { id: f.id('in'), object: 'invoice' }),
  'customer.subscription.deleted': (f) =>
    envelope(f, 'customer.subscription.deleted', {
      id: f.id('sub'),
      object: 'subscription',
      customer: expandable(f, f.id('cus')),
      latest_invoice: f.chance(0.7) ? expandable(f, f.id('in')) : null,
    }),
  'payment_method.attached': (f) =>
    envelope(f, 'payment_method.attached', {
      id: f.id(f.pick(['pm', 'card', 'src'])),
      object: 'payment_method',
      customer: expandable(f, f.id('cus')),
    }),
  'payment_method.automatically_updated': (f) =>
    envelope(f, 'payment_method.automatically_updated', {
      id: f.id('pm'),
      object: 'payment_method',
      customer: f.chance(0.8) ? expandable(f, f.id('cus')) : null,
    }),
  'customer.updated': (f) =>
    envelope(
      f,
      'customer.updated',
      {
        id: f.id('cus'),
        object: 'customer',
        invoice_settings: { default_payment_method: f.chance(0.8) ? expandable(f, f.id('pm')) : null, footer: null },
      },
      { previous_attributes: f.chance(0.5) ? { invoice_settings: { default_payment_method: null } } : { name: 'Old name' } },
    ),
  'customer.subscription.updated': (f) =>
    envelope(
      f,
      'customer.subscription.updated',
      {
        id: f.id('sub'),
        object: 'subscription',
        customer: expandable(f, f.id('cus')),
        default_payment_method: f.chance(0.8) ? expandable(f, f.id(f.pick(['pm', 'card', 'src']))) : null,
        latest_invoice: f.chance(0.7) ? expandable(f, f.id('in')) : null,
        status: f.pick(['active', 'past_due', 'canceled', 'paused']),
        cancel_at_period_end: f.chance(0.3),
        cancel_at: null,
        pause_collection: f.chance(0.3) ? { behavior: 'void', resumes_at: null } : null,
      },
      { previous_attributes: f.chance(0.5) ? { default_payment_method: null } : { status: 'past_due' } },
    ),
};
export const USED_TYPES = Object.keys(VALID);

// ---------------------------------------------------------------- what each used field must be

type Kind =
  | { k: 'id'; prefixes: string[]; nullable?: boolean; expandable?: boolean }
  | { k: 'amount' }
  | { k: 'currency' }
  | { k: 'enum'; values: string[] }
  | { k: 'text'; max: number; nullable: true }
  | { k: 'url'; nullable: true }
  | { k: 'object'; nullable: boolean };

/** Used fields by type (paths under `data.object`, or the envelope's own). */
const FIELDS: Record<string, Array<[string[], Kind]>> = {
  'invoice.payment_failed': [
    [['id'], { k: 'id', prefixes: ['in'] }],
    [['customer'], { k: 'id', prefixes: ['cus'], nullable: true, expandable: true }],
    [['collection_method'], { k: 'enum', values: ['charge_automatically', 'send_invoice'] }],
    [['amount_due'], { k: 'amount' }],
    [['amount_remaining'], { k: 'amount' }],
    [['currency'], { k: 'currency' }],
    [['number'], { k: 'text', max: 255, nullable: true }],
    [['hosted_invoice_url'], { k: 'url', nullable: true }],
    [['attempt_count'], { k: 'amount' }],
    [['parent'], { k: 'object', nullable: true }],
  ],
  'invoice.paid': [[['id'], { k: 'id', prefixes: ['in'] }]],
  'invoice.voided': [[['id'], { k: 'id', prefixes: ['in'] }]],
  'invoice.marked_uncollectible': [[['id'], { k: 'id', prefixes: ['in'] }]],
  'customer.subscription.deleted': [
    [['id'], { k: 'id', prefixes: ['sub'] }],
    [['customer'], { k: 'id', prefixes: ['cus'], expandable: true }],
    [['latest_invoice'], { k: 'id', prefixes: ['in'], nullable: true, expandable: true }],
  ],
  'payment_method.attached': [
    [['id'], { k: 'id', prefixes: ['pm', 'card', 'src'] }],
    [['customer'], { k: 'id', prefixes: ['cus'], nullable: true, expandable: true }],
  ],
  'payment_method.automatically_updated': [
    [['id'], { k: 'id', prefixes: ['pm', 'card', 'src'] }],
    [['customer'], { k: 'id', prefixes: ['cus'], nullable: true, expandable: true }],
  ],
  'customer.subscription.updated': [
    [['id'], { k: 'id', prefixes: ['sub'] }],
    [['customer'], { k: 'id', prefixes: ['cus'], expandable: true }],
    [['default_payment_method'], { k: 'id', prefixes: ['pm', 'card', 'src'], nullable: true, expandable: true }],
  ],
  'customer.updated': [
    [['id'], { k: 'id', prefixes: ['cus'] }],
    [['invoice_settings'], { k: 'object', nullable: false }],
    [
      ['invoice_settings', 'default_payment_method'],
      { k: 'id', prefixes: ['pm', 'card', 'src'], nullable: true, expandable: true },
    ],
  ],
};

const MISSING = Symbol('missing');
type Bad = Json | typeof MISSING;

/** A value the field must refuse, whatever else the event holds. */
function invalidFor(f: Fuzzer, kind: Kind): Bad {
  const common: Bad[] = [MISSING, [], [1, 2], true, DEEP];
  const notNull = (nullable?: boolean): Bad[] => (nullable ? [] : [null]);
  switch (kind.k) {
    case 'id': {
      const p = f.pick(kind.prefixes);
      return f.pick<Bad>([
        ...common,
        ...notNull(kind.nullable),
        '',
        `${p}_`,
        `zz_${f.token()}`,
        `${p.toUpperCase()}_${f.token()}`,
        `${p}_${f.token(4)}-${f.token(4)}`,
        `${p}_${f.token(4)} ${f.token(4)}`,
        `${p}_${f.unicode(3)}`,
        `${p}_${'a'.repeat(255 - p.length + f.int(5000))}`, // over 255 characters
        `${p}_${f.huge(MAX_HUGE_BYTES - 10)}`,
        f.int(1e9),
        { object: 'customer' }, // expanded, without an id
        { id: `${p}-${f.token()}` },
        { id: f.int(100) },
      ]);
    }
    case 'amount':
      return f.pick<Bad>([
        ...common,
        null,
        String(f.int(10_000)),
        { value: 1 },
        1e308,
        -1,
        -f.int(1e9) - 1,
        1.5,
        2 ** 53,
        2 ** 60,
        '1e3',
      ]);
    case 'currency':
      return f.pick<Bad>([...common, null, '', 'us', 'usdd', 'ü$d', 'U S', '12e', 978, f.unicode(3), f.huge(MAX_HUGE_BYTES)]);
    case 'enum':
      return f.pick<Bad>([...common, null, '', 'cash', kind.values[0]!.toUpperCase(), 5, f.huge(MAX_HUGE_BYTES)]);
    case 'text':
      return f.pick<Bad>([MISSING, [], true, DEEP, 42, {}, '', 'x'.repeat(kind.max + 1 + f.int(1000)), f.huge(MAX_HUGE_BYTES)]);
    case 'url':
      // Absent is valid: Stripe types `hosted_invoice_url` optional.
      return f.pick<Bad>([
        [],
        true,
        DEEP,
        5,
        {},
        'javascript:alert(1)',
        'not a url',
        'ftp://example.com/i',
        `https://x.example/${'a'.repeat(2100)}`,
      ]);
    case 'object':
      // (Not deep nesting: nested objects with keys we do not read are a valid object.)
      return f.pick<Bad>([
        ...notNull(kind.nullable),
        'text',
        5,
        [],
        [[[[]]]],
        true,
        ...(kind.nullable ? [] : ([MISSING] as Bad[])),
      ]);
  }
}

function setPath(o: Obj, path: string[], v: Bad): void {
  let at = o;
  for (const k of path.slice(0, -1)) at = at[k] as Obj;
  const last = path[path.length - 1]!;
  if (v === MISSING) delete at[last];
  else at[last] = v;
}

/** JSON text of `event`, with the deep-nesting marker (if any) replaced by `deepText`. */
function text(f: Fuzzer, event: Json): string {
  const s = JSON.stringify(event, null, f.chance(0.3) ? 2 : undefined);
  return s.includes(`"${DEEP}"`) ? s.replace(`"${DEEP}"`, f.deep(1000 + f.int(30_000))) : s;
}

/** Extra fields we never read, full of junk: a valid event must stay valid. */
function junk(f: Fuzzer): Json {
  return f.pick<Json>([
    f.unicode(1 + f.int(200)),
    DEEP,
    f.huge(1 + f.int(150_000)),
    { nested: { deeper: [1, 'two', null, { three: f.unicode(5) }] } },
    1e308,
    -0,
    f.int(2 ** 31),
    null,
  ]);
}

// ---------------------------------------------------------------- the mix

type Maker = (f: Fuzzer) => Omit<FuzzDelivery, 'signing' | 'contentType'>;

const MAKERS: Array<[weight: number, Maker]> = [
  // A used field of the wrong type or shape.
  [
    40,
    (f) => {
      const type = f.pick(USED_TYPES);
      const e = VALID[type]!(f);
      const [path, kind] = f.pick(FIELDS[type]!);
      const object = (e.data as Obj).object as Obj;
      if (path.length > 1 && (object[path[0]!] === null || typeof object[path[0]!] !== 'object')) object[path[0]!] = {};
      setPath(object, path, invalidFor(f, kind));
      return { label: `${type}: data.object.${path.join('.')}`, payload: text(f, e), expect: 'quarantined' };
    },
  ],
  // A broken envelope, of a used type or not.
  [
    12,
    (f) => {
      const e = f.chance(0.5)
        ? VALID[f.pick(USED_TYPES)]!(f)
        : envelope(f, `${f.token(5).toLowerCase()}.${f.token(4).toLowerCase()}`, { id: 'x' });
      const [field, bad] = f.pick<[string, Bad]>([
        ['id', f.pick<Bad>([MISSING, null, '', `ev_${f.token()}`, `evt_${'a'.repeat(260)}`, `evt_${f.unicode(4)}`, 12, DEEP])],
        [
          'type',
          f.pick<Bad>([
            MISSING,
            null,
            '',
            'Invoice.Paid',
            'invoice paid',
            'invoice..paid',
            `a.${'b'.repeat(120)}`,
            f.unicode(8),
            5,
            ['invoice.paid'],
            DEEP,
          ]),
        ],
        ['created', f.pick<Bad>([MISSING, null, 0, -1, 1.5, '1790000000', 1e308, 2 ** 53, true])],
        [
          'data',
          f.pick<Bad>([
            MISSING,
            null,
            'x',
            [],
            { object: null },
            { object: [] },
            { object: 'in_1' },
            { previous_attributes: {} },
            DEEP,
          ]),
        ],
      ]);
      setPath(e, [field], bad);
      return { label: `envelope: ${field}`, payload: text(f, e), expect: 'quarantined' };
    },
  ],
  // Signed JSON that is not an event at all.
  [
    6,
    (f) => ({
      label: 'JSON, not an event',
      payload: f.pick([
        'null',
        'true',
        '0',
        String(f.int(1e9)),
        '[]',
        '[{"id":"evt_1"}]',
        '"evt_1"',
        '{}',
        f.deep(1 + f.int(20_000)),
        JSON.stringify(f.unicode(50)),
      ]),
      expect: 'quarantined',
    }),
  ],
  // Random bytes (as text), and JSON cut short: mostly not JSON.
  [
    10,
    (f) => {
      let payload: string;
      if (f.chance(0.5)) {
        const bytes = Buffer.alloc(1 + f.int(4000));
        for (let i = 0; i < bytes.length; i++) bytes[i] = f.int(256);
        payload = bytes.toString('utf8');
      } else {
        const full = text(f, VALID[f.pick(USED_TYPES)]!(f));
        payload = full.slice(0, f.int(full.length));
      }
      let expect: FuzzExpectation = 'not_json';
      try {
        JSON.parse(payload);
        expect = 'quarantined'; // a few bytes may happen to be a JSON number: signed JSON, not an event
      } catch {
        // not JSON
      }
      return { label: 'random bytes / truncated JSON', payload, expect };
    },
  ],
  // Valid events of every used type, with junk in fields nobody reads.
  [
    20,
    (f) => {
      const type = f.pick(USED_TYPES);
      const e = VALID[type]!(f);
      const object = (e.data as Obj).object as Obj;
      for (let i = f.int(3); i > 0; i--) object[`x_${f.token(6)}`] = junk(f);
      if (f.chance(0.3)) e[`top_${f.token(4)}`] = junk(f);
      return { label: `valid ${type}`, payload: text(f, e), expect: 'taken' };
    },
  ],
  // Types we do not use, with anything in their object.
  [
    12,
    (f) => {
      const type = f.chance(0.5)
        ? f.pick([
            'invoice.created',
            'invoice.finalized',
            'charge.failed',
            'customer.created',
            'customer.subscription.created',
            'payment_intent.payment_failed',
          ])
        : `${f.token(1 + f.int(10)).toLowerCase()}.${f.token(1 + f.int(10)).toLowerCase()}`;
      const object: Obj = { id: f.chance(0.5) ? f.id('x') : (junk(f) as never) };
      for (let i = f.int(4); i > 0; i--) object[f.unicode(3)] = junk(f);
      return { label: `unused type ${type}`, payload: text(f, envelope(f, type, object)), expect: 'taken' };
    },
  ],
];

const TOTAL_WEIGHT = MAKERS.reduce((n, [w]) => n + w, 0);

/**
 * `count` signed deliveries from `seed`, and `unsigned` more that are not signed as sent (no
 * signature, another secret, a stale timestamp, another content type).
 */
export function fuzzedDeliveries(seed: number, count: number, unsigned = Math.ceil(count / 10)): FuzzDelivery[] {
  const f = new Fuzzer(seededRandom(seed));
  const out: FuzzDelivery[] = [];
  for (let i = 0; i < count; i++) {
    let roll = f.int(TOTAL_WEIGHT);
    const made = MAKERS.find(([w]) => (roll -= w) < 0)![1](f);
    // Over the webhook's limit it would be a 413, which no expectation here covers.
    if (Buffer.byteLength(made.payload) >= 1024 * 1024) throw new Error(`fuzz: ${made.label} is over 1 MB (seed ${seed}, #${i})`);
    out.push({ ...made, signing: 'signed', contentType: f.pick(['application/json', 'application/json; charset=utf-8']) });
  }
  for (let i = 0; i < unsigned; i++) {
    const base = out[f.int(out.length)]!;
    const how = f.pick(['unsigned', 'wrong_secret', 'stale', 'content_type'] as const);
    out.push({
      label: `${how}: ${base.label}`,
      payload: base.payload,
      signing: how === 'content_type' ? 'signed' : how,
      contentType:
        how === 'content_type'
          ? f.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])
          : 'application/json',
      expect: 'rejected',
    });
  }
  return out;
}
