/**
 * The ops CLI's command line (`npm run cases -- …`), parsed with node's util.parseArgs and checked
 * with zod: what to do, or a usage problem (exit code 2). Pure: no I/O, so every refusal is tested.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { stripeId } from '../http/stripeIds';
import { CASE_STATES, type CaseState } from '../../domain/types';

export const USAGE = `Usage: npm run cases -- <command> [options]

  list [--state ${CASE_STATES.join('|')}] [--customer cus_…] [--blocked] [--limit N]
                                   cases, open ones first (--blocked: waiting on Stripe or Resend)
  list --stalled                   cases whose workflow task keeps failing: they do nothing until
                                   the cause is fixed (docs/production/stalled-cases.md)
  show <invoice>                   the case as a timeline, in the customer's time zone
  cancel <invoice> --reason TEXT   stop the case (an operator's decision)
  retry-now <invoice>              charge the card on file now (merchant-initiated, card ledger)
  resend-link <invoice>            email the customer a fresh update link
  reencrypt <invoice>              re-encrypt the case under the current payload key: it continues
                                   as new at its next wait (docs/production/key-rotation.md)
  reencrypt --all [--started-before ISO]
                                   every open case whose run started before ISO (default: now);
                                   run again with the same ISO until it finds none
  release-collection [--reason TEXT] [--customer cus_…]
                                   before uninstalling: cancel every open case (of one customer with
                                   --customer) and give each invoice back to Stripe's own retries
                                   (auto_advance on); default reason service_uninstalled
  experiments                      the policy experiments' results per arm: rate with its 95%
                                   interval, difference to the holdout and p-value (docs/policy.md)
  quarantine list [--limit N]      Stripe events refused for invalid fields
  quarantine replay <event>        carry a quarantined event out with today's code
  quarantine discard <event>       let a quarantined event go

Options: --api URL (default $DUNNING_API_URL, else http://localhost:3000), --json (the API's
answer as JSON), --by NAME (who acts, for the service's logs; default cli:<user>), --help.
Token: $API_TOKEN, else (not in production) the dev token in $DATA_DIR/dev-secrets.json.`;

export type CaseStateFilter = CaseState;

export type Command =
  | { name: 'help' }
  | { name: 'list'; state?: CaseStateFilter; customerId?: string; blocked: boolean; limit: number; stalled?: true }
  | { name: 'show'; invoiceId: string }
  | { name: 'cancel'; invoiceId: string; reason: string; by: string }
  | { name: 'retry-now'; invoiceId: string; by: string }
  | { name: 'resend-link'; invoiceId: string; by: string }
  | { name: 'reencrypt'; invoiceId: string; by: string }
  | { name: 'reencrypt'; all: true; startedBefore?: string; by: string }
  | { name: 'release-collection'; reason: string; by: string; customerId?: string }
  | { name: 'experiments' }
  | { name: 'quarantine list'; limit: number }
  | { name: 'quarantine replay'; eventId: string; by: string }
  | { name: 'quarantine discard'; eventId: string; by: string };

export interface Invocation {
  command: Command;
  /** `--api`: the API's base URL, when given. */
  api?: string;
  json: boolean;
}

export type ParsedArgs = { ok: true; invocation: Invocation } | { ok: false; problem: string };

const OPTIONS = {
  api: { type: 'string' },
  json: { type: 'boolean' },
  by: { type: 'string' },
  state: { type: 'string' },
  customer: { type: 'string' },
  blocked: { type: 'boolean' },
  stalled: { type: 'boolean' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  all: { type: 'boolean' },
  'started-before': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type OptionName = keyof typeof OPTIONS;

/** The options each command takes besides the global ones (--api, --json, --help). */
const COMMAND_OPTIONS: Record<Exclude<Command['name'], 'help'>, OptionName[]> = {
  list: ['state', 'customer', 'blocked', 'stalled', 'limit'],
  show: [],
  cancel: ['reason', 'by'],
  'retry-now': ['by'],
  'resend-link': ['by'],
  reencrypt: ['all', 'started-before', 'by'],
  'release-collection': ['reason', 'by', 'customer'],
  experiments: [],
  'quarantine list': ['limit'],
  'quarantine replay': ['by'],
  'quarantine discard': ['by'],
};
const GLOBAL: OptionName[] = ['api', 'json', 'help'];

// The API's own checks, so that the CLI refuses exactly what the API would (exit 2, before asking).
const invoiceId = stripeId('in');
const customerId = stripeId('cus');
/** As the quarantine routes take it: Stripe's event id, or body_<sha256> for an event without one. */
const eventId = z
  .string()
  .max(255)
  .regex(/^(?:evt_[A-Za-z0-9_]+|body_[0-9a-f]{64})$/, 'must be an event id (evt_…) or body_<sha256>');
const state = z.enum(CASE_STATES, {
  errorMap: () => ({ message: `must be ${CASE_STATES.slice(0, -1).join(', ')} or ${CASE_STATES.at(-1)}` }),
});
const limit = z.coerce.number().int().min(1).max(1000);
const text = z.string().trim().min(1).max(500);
const instant = z.string().datetime({ offset: true, message: 'must be an ISO-8601 time, e.g. 2027-05-01T12:00:00Z' });

/** `value` checked by `schema`, or the problem as one line naming what was wrong. */
function check<T>(schema: z.ZodType<T>, value: unknown, what: string): { ok: true; value: T } | { ok: false; problem: string } {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, problem: `${what} ${JSON.stringify(value)} ${r.error.issues[0]?.message ?? 'is not valid'}` };
}

/** `by`: who acts when --by is not given (the CLI passes `cli:<user>`). */
export function parseCasesArgs(argv: string[], defaults: { by: string }): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return { ok: false, problem: (err as Error).message };
  }
  const { values, positionals } = parsed;
  const common = { api: values.api, json: values.json === true };
  const [first, ...rest] = positionals;
  if (values.help || first === 'help' || first === undefined) {
    return values.help || first === 'help'
      ? { ok: true, invocation: { ...common, command: { name: 'help' } } }
      : { ok: false, problem: 'a command is needed' };
  }
  if (first === 'quarantine' && rest.length === 0) return { ok: false, problem: 'quarantine needs list, replay or discard' };
  const name = (first === 'quarantine' ? `quarantine ${rest.shift()}` : first) as Exclude<Command['name'], 'help'>;
  if (!Object.hasOwn(COMMAND_OPTIONS, name)) return { ok: false, problem: `unknown command '${name}'` };
  const allowed = COMMAND_OPTIONS[name];
  for (const option of Object.keys(values) as OptionName[]) {
    if (!allowed.includes(option) && !GLOBAL.includes(option)) return { ok: false, problem: `${name} takes no --${option}` };
  }
  const by = values.by ?? defaults.by;
  const one = (what: string) =>
    rest.length === 1 ? { ok: true as const, value: rest[0]! } : { ok: false as const, problem: `${name} needs one ${what}` };
  const done = (command: Command): ParsedArgs => ({ ok: true, invocation: { ...common, command } });

  switch (name) {
    case 'list': {
      if (rest.length > 0) return { ok: false, problem: `list takes no argument (got '${rest[0]}')` };
      if (values.stalled === true) {
        // The scan's list: every stalled execution of the deployment, not a visibility filter.
        const other = (['state', 'customer', 'blocked', 'limit'] as const).find((o) => values[o] !== undefined);
        if (other) return { ok: false, problem: `--stalled takes no other option (got --${other})` };
        return done({ name, blocked: false, limit: 100, stalled: true });
      }
      const s = values.state === undefined ? undefined : check(state, values.state, '--state');
      if (s && !s.ok) return s;
      const c = values.customer === undefined ? undefined : check(customerId, values.customer, '--customer');
      if (c && !c.ok) return c;
      const l = check(limit, values.limit ?? '100', '--limit');
      if (!l.ok) return l;
      return done({ name, state: s?.value, customerId: c?.value, blocked: values.blocked === true, limit: l.value });
    }
    case 'release-collection': {
      if (rest.length > 0) return { ok: false, problem: `release-collection takes no argument (got '${rest[0]}')` };
      const r = check(text, values.reason ?? 'service_uninstalled', '--reason');
      if (!r.ok) return r;
      const c = values.customer === undefined ? undefined : check(customerId, values.customer, '--customer');
      if (c && !c.ok) return c;
      return done({ name, reason: r.value, by, ...(c ? { customerId: c.value } : {}) });
    }
    case 'reencrypt': {
      if (values.all !== true) {
        if (values['started-before'] !== undefined) return { ok: false, problem: '--started-before goes with --all' };
        const arg = one('invoice id (in_…), or --all');
        if (!arg.ok) return arg;
        const i = check(invoiceId, arg.value, 'invoice');
        return i.ok ? done({ name: 'reencrypt', invoiceId: i.value, by }) : i;
      }
      if (rest.length > 0) return { ok: false, problem: `reencrypt --all takes no invoice (got '${rest[0]}')` };
      const t = values['started-before'] === undefined ? undefined : check(instant, values['started-before'], '--started-before');
      if (t && !t.ok) return t;
      return done({ name: 'reencrypt', all: true, by, ...(t ? { startedBefore: t.value } : {}) });
    }
    case 'experiments':
      if (rest.length > 0) return { ok: false, problem: `experiments takes no argument (got '${rest[0]}')` };
      return done({ name });
    case 'quarantine list': {
      if (rest.length > 0) return { ok: false, problem: `quarantine list takes no argument (got '${rest[0]}')` };
      const l = check(limit, values.limit ?? '100', '--limit');
      return l.ok ? done({ name, limit: l.value }) : l;
    }
    case 'quarantine replay':
    case 'quarantine discard': {
      const arg = one('event id');
      if (!arg.ok) return arg;
      const e = check(eventId, arg.value, 'event');
      return e.ok ? done({ name, eventId: e.value, by }) : e;
    }
    case 'show':
    case 'cancel':
    case 'retry-now':
    case 'resend-link': {
      const arg = one('invoice id (in_…)');
      if (!arg.ok) return arg;
      const i = check(invoiceId, arg.value, 'invoice');
      if (!i.ok) return i;
      if (name === 'show') return done({ name, invoiceId: i.value });
      if (name !== 'cancel') return done({ name, invoiceId: i.value, by });
      // A case stopped by hand says why: the reason is the case's outcome.
      if (values.reason === undefined) return { ok: false, problem: 'cancel needs --reason (it becomes the case outcome)' };
      const r = check(text, values.reason, '--reason');
      return r.ok ? done({ name, invoiceId: i.value, reason: r.value, by }) : r;
    }
  }
}
