/**
 * A local, Resend-compatible outbox: the real `resend` SDK pointed at it (`baseUrl`) sends emails
 * that land here instead of in someone's inbox. Used by the dev stack when RESEND_API_KEY is unset,
 * by the demo, and by tests that need Resend's failure modes (rate limits, outages, quota) on demand.
 *
 * API surface (what resend-node calls, see its dist/index.cjs):
 *   POST /emails            send; Bearer auth, Idempotency-Key honoured for 24 h
 *   GET  /emails/:id        retrieve
 * For people:  GET /  (list, newest first), GET /messages/:id (one email).
 * For tests and the demo:  GET /_outbox/messages[?to=][&summary=1] (summary: without the bodies),
 * POST|GET|DELETE /_outbox/faults (the next N
 * sends fail, or for a while a fraction of all API requests: storms and outages), GET /_outbox/stats,
 * POST /_outbox/undeliverable `{ address, event: 'bounced' | 'complained' }` (mark an address).
 *
 * With `webhook` set, an email to an address that bounces or complains (Resend's test addresses
 * `bounced@resend.dev`, `complained@resend.dev`, or one marked) is kept as sent, and a signed
 * `email.bounced` / `email.complained` webhook follows, as Resend's would (./webhooks.ts).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_MESSAGES, ResendHttpError } from './errors';
import { TimedFaults, type ActiveTimedFault, type TimedFaultSpec } from '../timedFaults';
import { renderIndex, renderMessage, renderNotFound } from './pages';
import { SlidingWindowLimiter } from './rate-limiter';
import { OutboxStore, type OutboxMessage } from './store';
import { validateSendEmail } from './validate-email';
import {
  deliverEvent,
  deliveryEventBody,
  testAddressEvent,
  type OutboxDeliveryEvent,
  type OutboxWebhookTarget,
} from './webhooks';

export type { OutboxMessage } from './store';
export type { OutboxDeliveryEvent, OutboxWebhookTarget } from './webhooks';

export interface ResendOutboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the outbox has no real auth and must not be reachable from elsewhere. */
  host?: string;
  /** Persist messages as JSON lines at `<dataDir>/outbox.jsonl` so they survive restarts. */
  dataDir?: string;
  /** Emulate Resend's limit: excess requests get 429 rate_limit_exceeded with retry-after; unset = no limit. */
  rateLimitPerSecond?: number;
  /** When set, only this Bearer key is accepted (others get 403 invalid_api_key); unset = any non-empty key. */
  apiKey?: string;
  /** Where bounce and complaint webhooks go, signed with `secret`; unset: none are sent. */
  webhook?: OutboxWebhookTarget;
}

export interface OutboxFault {
  status: 429 | 500;
  /** How many of the next `POST /emails` requests fail this way. */
  count: number;
  /** Sent as the `retry-after` header (seconds). */
  retryAfterSeconds?: number;
  /** Resend error name, e.g. 'daily_quota_exceeded'; default rate_limit_exceeded (429) / internal_server_error (500). */
  name?: string;
  /**
   * The email is accepted (stored, and its Idempotency-Key with it), then the answer is this
   * fault: a send that went out but whose answer was lost, as a timeout or a proxy's 500 does.
   */
  afterSend?: boolean;
}

/** For `durationMs`, a fraction `rate` (default all) of the API requests fail: a storm, or an outage. */
export interface OutboxTimedFault extends TimedFaultSpec {
  status: 429 | 500 | 502 | 503 | 'reset';
  retryAfterSeconds?: number;
  name?: string;
}

export interface ResendOutbox {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Oldest first. */
  messages(): OutboxMessage[];
  /** Queue failures for the next `POST /emails` requests (after auth and the rate limit). */
  injectFault(f: OutboxFault): void;
  /** Fail API requests for a while (before auth: the provider's edge is down). */
  injectTimedFault(f: OutboxTimedFault): ActiveTimedFault<OutboxTimedFault>;
  clearFaults(): void;
  /** Emails to `address` from now on bounce (or are complained about): a signed webhook follows each. */
  markUndeliverable(address: string, event: OutboxDeliveryEvent): void;
  /** Resolves once the webhooks of the emails sent so far have been delivered (or given up). */
  webhooksSettled(): Promise<void>;
  /**
   * requests: API requests received; rateLimited: rate_limit_exceeded answers (the limiter's and
   * injected ones; not quota); faulted: answers (or dropped connections) of injected faults.
   */
  stats(): { requests: number; rateLimited: number; faulted: number };
}

const MAX_BODY_BYTES = 40 * 1024 * 1024; // Resend's limit per email, attachments included

export async function startResendOutbox(opts: ResendOutboxOptions = {}): Promise<ResendOutbox> {
  const store = new OutboxStore(opts.dataDir);
  const limiter = opts.rateLimitPerSecond !== undefined ? new SlidingWindowLimiter(opts.rateLimitPerSecond) : undefined;
  const faults: OutboxFault[] = [];
  const timed = new TimedFaults<OutboxTimedFault>();
  const counters = { requests: 0, rateLimited: 0, faulted: 0 };
  const marked = new Map<string, OutboxDeliveryEvent>();
  const deliveries = new Set<Promise<unknown>>();
  let closed = false;

  function markUndeliverable(address: string, event: OutboxDeliveryEvent): void {
    if (event !== 'bounced' && event !== 'complained') throw new RangeError('event must be bounced or complained');
    if (!address.includes('@')) throw new RangeError('address must be an email address');
    marked.set(address.trim().toLowerCase(), event);
  }

  /** After the send's answer, as Resend's events follow the send. */
  function followWithEvent(m: OutboxMessage): void {
    if (!opts.webhook) return;
    const target = opts.webhook;
    for (const to of m.to) {
      const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
      const event = marked.get(address.trim().toLowerCase()) ?? testAddressEvent(address);
      if (!event) continue;
      const delivery = new Promise((r) => setTimeout(r, 50).unref())
        .then(() => deliverEvent(target, deliveryEventBody(event, m, new Date()), () => closed))
        .finally(() => deliveries.delete(delivery));
      deliveries.add(delivery);
    }
  }

  function injectFault(f: OutboxFault): void {
    if (f.status !== 429 && f.status !== 500) throw new RangeError('fault status must be 429 or 500');
    if (!Number.isInteger(f.count) || f.count < 1) throw new RangeError('fault count must be a positive integer');
    faults.push({ ...f });
  }

  function injectTimedFault(f: OutboxTimedFault): ActiveTimedFault<OutboxTimedFault> {
    if (![429, 500, 502, 503, 'reset'].includes(f.status))
      throw new RangeError('fault status must be 429, 500, 502, 503 or reset');
    if (f.pathPattern !== undefined) new RegExp(f.pathPattern); // a SyntaxError is the caller's mistake
    return timed.add(f);
  }

  function nextFault(when: 'before' | 'after'): ResendHttpError | undefined {
    const f = faults[0];
    if (!f || (f.afterSend ?? false) !== (when === 'after')) return undefined;
    if (--f.count === 0) faults.shift();
    counters.faulted++;
    return faultError(f);
  }

  function faultError(f: { status: number; name?: string; retryAfterSeconds?: number }): ResendHttpError {
    const name = f.name ?? (f.status === 429 ? 'rate_limit_exceeded' : 'internal_server_error');
    const headers: Record<string, string> = {};
    if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
    return new ResendHttpError(f.status, name, DEFAULT_MESSAGES[name] ?? `Injected fault: ${name}`, headers);
  }

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    const key = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (!header || !key) throw new ResendHttpError(401, 'missing_api_key', 'Missing API key in the authorization header.');
    if (opts.apiKey !== undefined && key !== opts.apiKey)
      throw new ResendHttpError(403, 'invalid_api_key', 'API key is invalid.');
  }

  /** Rate-limit headers go on every API answer, as Resend's do (IETF ratelimit draft names). */
  function rateLimit(res: ServerResponse): void {
    if (!limiter) return;
    const d = limiter.take();
    res.setHeader('ratelimit-limit', String(d.limit));
    res.setHeader('ratelimit-remaining', String(d.remaining));
    res.setHeader('ratelimit-reset', String(d.resetSeconds));
    if (!d.allowed) {
      throw new ResendHttpError(429, 'rate_limit_exceeded', DEFAULT_MESSAGES.rate_limit_exceeded!, {
        'retry-after': String(d.resetSeconds),
      });
    }
  }

  async function sendEmail(req: IncomingMessage, res: ServerResponse): Promise<void> {
    authenticate(req);
    rateLimit(res);
    const fault = nextFault('before');
    if (fault) throw fault;

    const body = await readJson(req);
    const keyHeader = req.headers['idempotency-key'];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    let idempotency: { key: string; bodyHash: string } | undefined;
    if (key !== undefined) {
      if (key.length < 1 || key.length > 256) {
        throw new ResendHttpError(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
      }
      idempotency = { key, bodyHash: hashBody(body) };
      const earlier = store.findByIdempotencyKey(key);
      if (earlier) {
        if (earlier.idempotency?.bodyHash !== idempotency.bodyHash) {
          throw new ResendHttpError(
            409,
            'invalid_idempotent_request',
            'Same idempotency key used with a different request payload.',
          );
        }
        return json(res, 200, { id: earlier.id });
      }
    }
    const message = store.add(validateSendEmail(body), idempotency);
    followWithEvent(message);
    const lost = nextFault('after');
    if (lost) throw lost;
    json(res, 200, { id: message.id });
  }

  function getEmail(req: IncomingMessage, res: ServerResponse, id: string): void {
    authenticate(req);
    rateLimit(res);
    const m = store.get(id);
    if (!m) throw new ResendHttpError(404, 'not_found', 'Email not found');
    json(res, 200, toApiEmail(m));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://outbox.local');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';

    const api = path === '/emails' || path.startsWith('/emails/');
    if (api) {
      counters.requests++;
      const storm = timed.take(method, path);
      if (storm) {
        counters.faulted++;
        if (storm.status === 'reset') return void req.socket.destroy();
        throw faultError({ ...storm, status: storm.status });
      }
    }
    if (path === '/emails') {
      if (method !== 'POST')
        throw new ResendHttpError(405, 'method_not_allowed', 'Method is not allowed for the requested path.');
      return sendEmail(req, res);
    }
    const emailId = /^\/emails\/([^/]+)$/.exec(path)?.[1];
    if (emailId !== undefined) {
      if (method !== 'GET') throw new ResendHttpError(405, 'method_not_allowed', 'Method is not allowed for the requested path.');
      return getEmail(req, res, decodeURIComponent(emailId));
    }

    if (method === 'GET' && path === '/') return html(res, 200, renderIndex(store.all()));
    const pageId = /^\/messages\/([^/]+)$/.exec(path)?.[1];
    if (method === 'GET' && pageId !== undefined) {
      const m = store.get(decodeURIComponent(pageId));
      return m ? html(res, 200, renderMessage(m)) : html(res, 404, renderNotFound());
    }
    if (method === 'GET' && path === '/_outbox/messages') {
      const to = url.searchParams.get('to');
      const all = store.all();
      const found = to ? all.filter((m) => m.to.some((a) => a.includes(to))) : all;
      // Thousands of emails with their HTML are a lot of JSON; counting them needs none of it.
      const summary = url.searchParams.get('summary') === '1';
      return json(res, 200, summary ? found.map(({ html: _html, text: _text, ...rest }) => rest) : found);
    }
    if (method === 'POST' && path === '/_outbox/faults') {
      // `count`: the next sends fail; `durationMs`: a storm or outage for a while.
      const body = (await readJson(req)) as Partial<OutboxFault & OutboxTimedFault>;
      try {
        if (body && typeof body === 'object' && 'durationMs' in body)
          return json(res, 201, injectTimedFault(body as OutboxTimedFault));
        injectFault(body as OutboxFault);
      } catch (err) {
        if (err instanceof RangeError || err instanceof SyntaxError)
          throw new ResendHttpError(422, 'validation_error', err.message);
        throw err;
      }
      res.writeHead(204).end();
      return;
    }
    if (method === 'GET' && path === '/_outbox/faults') return json(res, 200, { counted: faults, timed: timed.active() });
    if (method === 'DELETE' && path === '/_outbox/faults') {
      faults.length = 0;
      timed.clear();
      return json(res, 200, { cleared: true });
    }
    if (method === 'GET' && path === '/_outbox/stats') return json(res, 200, counters);
    if (method === 'POST' && path === '/_outbox/undeliverable') {
      const body = (await readJson(req)) as { address?: unknown; event?: unknown } | null;
      try {
        markUndeliverable(String(body?.address ?? ''), (body?.event ?? 'bounced') as OutboxDeliveryEvent);
      } catch (err) {
        if (err instanceof RangeError) throw new ResendHttpError(422, 'validation_error', err.message);
        throw err;
      }
      res.writeHead(204).end();
      return;
    }
    throw new ResendHttpError(404, 'not_found', 'The requested endpoint does not exist.');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const e =
        err instanceof ResendHttpError
          ? err
          : new ResendHttpError(500, 'internal_server_error', DEFAULT_MESSAGES.internal_server_error!);
      if (e.errorName === 'rate_limit_exceeded') counters.rateLimited++;
      // One line, in `npm start`'s log and in the standalone sandbox's: the stack's frames joined.
      if (e.statusCode === 500 && !(err instanceof ResendHttpError)) {
        console.error(
          `[resend-outbox] ${err instanceof Error ? (err.stack ?? err.message).replace(/\n\s*/g, ' | ') : String(err)}`,
        );
      }
      for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      json(res, e.statusCode, e.body());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const publicHost = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;

  return {
    url: `http://${publicHost}:${address.port}`,
    port: address.port,
    messages: () => store.all(),
    injectFault,
    injectTimedFault,
    clearFaults: () => {
      faults.length = 0;
      timed.clear();
    },
    stats: () => ({ ...counters }),
    markUndeliverable,
    webhooksSettled: async () => {
      while (deliveries.size) await Promise.all([...deliveries]);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        closed = true;
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK's fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** The shape of Resend's `GET /emails/:id` (resend-node `GetEmailResponseSuccess`). */
function toApiEmail(m: OutboxMessage) {
  const orNull = (a: string[]) => (a.length ? a : null);
  return {
    object: 'email' as const,
    id: m.id,
    message_id: `<${m.id}@outbox.local>`,
    from: m.from,
    to: m.to,
    cc: orNull(m.cc),
    bcc: orNull(m.bcc),
    reply_to: orNull(m.replyTo),
    subject: m.subject,
    html: m.html,
    text: m.text,
    tags: m.tags,
    created_at: m.createdAt,
    scheduled_at: m.scheduledAt,
    // Nothing leaves the machine; "delivered" is what a happy path looks like in Resend.
    last_event: 'delivered' as const,
  };
}

/** Key order must not matter: the same email serialised differently is still the same request. */
function hashBody(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ResendHttpError(413, 'validation_error', 'The request body is too large.');
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new ResendHttpError(400, 'validation_error', 'The request body is not valid JSON.');
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
}
