/**
 * A local, Twilio-compatible SMS outbox: the real `twilio` SDK, given an `httpClient` that sends to
 * this server instead of api.twilio.com (src/providers/twilio.ts), sends messages that land here
 * instead of on someone's phone. Used by `npm start` when TWILIO_ACCOUNT_SID is unset, and by tests.
 *
 * API surface (Programmable Messaging, 2010-04-01, as twilio-node 6 calls it):
 *   POST /2010-04-01/Accounts/:AccountSid/Messages.json        send (form-encoded To, From or
 *        MessagingServiceSid, Body, StatusCallback); HTTP basic auth (account SID or API key)
 *   GET  /2010-04-01/Accounts/:AccountSid/Messages.json        list, newest first; filters To,
 *        From, DateSent, DateSent<, DateSent> (by day, as Twilio does), PageSize
 *   GET  /2010-04-01/Accounts/:AccountSid/Messages/:Sid.json   fetch
 * For people: GET / (the outbox, newest first), GET /messages/:sid.
 * For tests and the demo: GET /_sandbox/messages[?to=], POST /_sandbox/inbound `{ from, to?, body }`
 * (the customer replies: STOP/START keywords change the opt-out list as Twilio's Advanced Opt-Out
 * does, and a webhook signed with X-Twilio-Signature goes to `webhook.url`), POST /_sandbox/faults
 * `{ status: 429 | 500, count, afterSend? }`.
 *
 * Faithful: the JSON shape of a message (snake_case, RFC 2822 dates, `num_segments` as a string,
 * GSM-7 or UCS-2 segments), the list envelope, Twilio's error body (`code`, `message`, `more_info`,
 * `status`) with its codes (21211 bad number, 21610 unsubscribed recipient, 20003 auth), and the
 * request signature (made by twilio-node itself, so `validateRequest` verifies it). Not faithful:
 * every message is `queued` when created and `delivered` afterwards, with no status callbacks; no
 * paging beyond the first page; `price` stays null (the service counts cost from its own setting).
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import twilio from 'twilio';
import { TWILIO_ERRORS, TwilioHttpError } from './errors';
import { renderIndex, renderMessage, renderNotFound } from './pages';
import { SmsStore, type SmsMessage } from './store';

export type { SmsMessage } from './store';

export interface SmsFault {
  status: 429 | 500 | 'hang';
  count: number;
  afterSend?: boolean;
}

export interface TwilioSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the sandbox has no real auth and must not be reachable from elsewhere. */
  host?: string;
  /** Persist messages and opt-outs at `<dataDir>/sms-outbox.jsonl`. */
  dataDir?: string;
  /** The account the credentials must name (`AC` + 32 hex); unset: any `AC…` account. */
  accountSid?: string;
  /** The auth token basic auth must carry, and the key inbound webhooks are signed with. */
  authToken: string;
  /**
   * Inbound messages (replies, STOP, START): `url` is the public URL Twilio was given, which the
   * signature covers; `deliverTo` where the request really goes (default `url`), as a proxy forwards it.
   */
  webhook?: { url: string; deliverTo?: string };
}

export interface TwilioSandbox {
  url: string;
  port: number;
  /** Oldest first, outbound and inbound. */
  messages(): SmsMessage[];
  /** The customer at `from` texts `body` to `to` (default: the last sender that wrote to them). */
  inbound(m: { from: string; to?: string; body: string }): Promise<{ status: number | 'not_sent' }>;
  /**
   * The next `count` sends fail with `status`; `afterSend`: the message is sent, then the answer is
   * lost. `hang` (always after the send): the message is sent and no answer ever comes, so the
   * caller is stuck inside its request (a worker to kill mid-activity).
   */
  injectFault(f: SmsFault): void;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{1,14}$/;
/** Twilio's default opt-out and opt-in keywords (Advanced Opt-Out's defaults), matched on the whole trimmed body. */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES']);

/** GSM 03.38 basic set (and its extension table, two septets each): anything else is sent as UCS-2. */
const GSM7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXT = new Set('^{}\\[~]|€');

/** Segments as carriers count them: 160/153 septets in GSM-7, 70/67 UTF-16 units in UCS-2. */
export function segmentsOf(body: string): number {
  const chars = [...body];
  if (chars.every((c) => GSM7.has(c) || GSM7_EXT.has(c))) {
    const septets = chars.reduce((n, c) => n + (GSM7_EXT.has(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = body.length;
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

/** RFC 2822, as Twilio writes dates: `Thu, 24 Aug 2023 05:01:45 +0000`. */
const rfc2822 = (iso: string): string => new Date(iso).toUTCString().replace('GMT', '+0000');

export async function startTwilioSandbox(opts: TwilioSandboxOptions): Promise<TwilioSandbox> {
  const store = new SmsStore(opts.dataDir);
  const faults: SmsFault[] = [];
  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use('/_sandbox', express.json());

  const base = '/2010-04-01/Accounts/:accountSid';

  function authenticate(req: Request): string {
    const m = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const [user, pass] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':', 2) : [];
    const account = String(req.params.accountSid ?? '');
    const userOk = user === account || /^SK[0-9a-f]{32}$/.test(user ?? '');
    const accountOk = opts.accountSid === undefined ? /^AC[0-9a-f]{32}$/.test(account) : account === opts.accountSid;
    if (!userOk || !accountOk || pass !== opts.authToken)
      throw new TwilioHttpError(401, TWILIO_ERRORS.authenticate, 'Authenticate');
    return account;
  }

  function takeFault(afterSend: boolean): TwilioHttpError | 'hang' | undefined {
    const f = faults[0];
    if (!f || (f.afterSend ?? f.status === 'hang') !== afterSend) return undefined;
    if (--f.count === 0) faults.shift();
    if (f.status === 'hang') return 'hang';
    return f.status === 429
      ? new TwilioHttpError(429, TWILIO_ERRORS.tooManyRequests, 'Too Many Requests')
      : new TwilioHttpError(500, TWILIO_ERRORS.internal, 'Internal Server Error (injected)');
  }

  function toApi(m: SmsMessage, justCreated = false) {
    const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
    return {
      account_sid: m.accountSid,
      api_version: '2010-04-01',
      body: m.body,
      date_created: rfc2822(m.createdAt),
      date_sent: justCreated ? null : rfc2822(m.createdAt),
      date_updated: rfc2822(m.createdAt),
      direction: m.direction,
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messagingServiceSid,
      num_media: '0',
      num_segments: String(m.numSegments),
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: m.direction === 'inbound' ? 'received' : justCreated ? 'queued' : 'delivered',
      subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
      to: m.to,
      uri,
    };
  }

  const field = (req: Request, name: string): string | undefined => {
    const v = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };

  const wrap = (fn: (req: Request, res: Response) => void | Promise<void>) => (req: Request, res: Response) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch((err: unknown) => {
        const e = err instanceof TwilioHttpError ? err : new TwilioHttpError(500, TWILIO_ERRORS.internal, String(err));
        if (!(err instanceof TwilioHttpError)) console.error(`[twilio-sandbox] ${String((err as Error)?.stack ?? err)}`);
        res.status(e.status).json(e.body());
      });
  };

  app.post(
    `${base}/Messages.json`,
    wrap((req, res) => {
      const accountSid = authenticate(req);
      const before = takeFault(false);
      if (before instanceof TwilioHttpError) throw before;
      const to = field(req, 'To');
      const from = field(req, 'From');
      const service = field(req, 'MessagingServiceSid');
      const body = field(req, 'Body');
      if (!to) throw new TwilioHttpError(400, TWILIO_ERRORS.toRequired, "A 'To' phone number is required.");
      if (!E164.test(to))
        throw new TwilioHttpError(400, TWILIO_ERRORS.invalidTo, `The 'To' number ${to} is not a valid phone number.`);
      if (!from && !service) throw new TwilioHttpError(400, TWILIO_ERRORS.fromRequired, "A 'From' phone number is required.");
      if (!body) throw new TwilioHttpError(400, TWILIO_ERRORS.bodyRequired, 'Message body is required.');
      if (body.length > 1600)
        throw new TwilioHttpError(
          400,
          TWILIO_ERRORS.bodyTooLong,
          'The concatenated message body exceeds the 1600 character limit.',
        );
      const sender = service ?? from!;
      if (store.isOptedOut(sender, to))
        throw new TwilioHttpError(400, TWILIO_ERRORS.unsubscribed, 'Attempt to send to unsubscribed recipient');
      const message = store.add({
        sid: `SM${randomBytes(16).toString('hex')}`,
        accountSid,
        direction: 'outbound-api',
        // A Messaging Service picks the sender from its pool; the sandbox's pool is one number.
        from: from ?? '+15005550006',
        messagingServiceSid: service ?? null,
        to,
        body,
        numSegments: segmentsOf(body),
        statusCallback: field(req, 'StatusCallback') ?? null,
        createdAt: new Date().toISOString(),
      });
      const lost = takeFault(true);
      // Sent, and the answer never comes: the connection stays open until the sandbox closes.
      if (lost === 'hang') return;
      if (lost) throw lost;
      res.status(201).json(toApi(message, true));
    }),
  );

  app.get(
    `${base}/Messages.json`,
    wrap((req, res) => {
      const accountSid = authenticate(req);
      const q = req.query as Record<string, string | undefined>;
      const day = (v: string | undefined) => (v ? new Date(v).toISOString().slice(0, 10) : undefined);
      const on = day(q.DateSent);
      const before = day(q['DateSent<']);
      const after = day(q['DateSent>']);
      const pageSize = Math.min(Math.max(Number(q.PageSize ?? 50) || 50, 1), 1000);
      const found = store
        .all()
        .filter((m) => m.accountSid === accountSid)
        .filter((m) => !q.To || m.to === q.To)
        .filter((m) => !q.From || m.from === q.From)
        .filter((m) => {
          const d = m.createdAt.slice(0, 10);
          return (!on || d === on) && (!before || d <= before) && (!after || d >= after);
        })
        .reverse();
      const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json?PageSize=${pageSize}&Page=0`;
      res.json({
        end: Math.min(found.length, pageSize) - 1,
        first_page_uri: uri,
        messages: found.slice(0, pageSize).map((m) => toApi(m)),
        next_page_uri: null,
        page: 0,
        page_size: pageSize,
        previous_page_uri: null,
        start: 0,
        uri,
      });
    }),
  );

  app.get(
    `${base}/Messages/:sid.json`,
    wrap((req, res) => {
      const accountSid = authenticate(req);
      const m = store.get(String(req.params.sid));
      if (!m || m.accountSid !== accountSid)
        throw new TwilioHttpError(404, TWILIO_ERRORS.notFound, `The requested resource ${req.path} was not found`);
      res.json(toApi(m));
    }),
  );

  async function inbound(m: { from: string; to?: string; body: string }): Promise<{ status: number | 'not_sent' }> {
    if (!E164.test(m.from)) throw new RangeError('from must be an E.164 number like +15551234567');
    const last = store
      .all()
      .reverse()
      .find((s) => s.direction === 'outbound-api' && s.to === m.from);
    const to = m.to ?? last?.from;
    if (!to) throw new RangeError('to: no message was sent to this number, so name the number replied to');
    const sender = m.to ? m.to : (last?.messagingServiceSid ?? to);
    const word = m.body.trim().toUpperCase();
    const optOutType = STOP_WORDS.has(word) ? 'STOP' : START_WORDS.has(word) ? 'START' : undefined;
    if (optOutType) store.setOptOut(sender, m.from, optOutType === 'STOP');
    const accountSid = opts.accountSid ?? last?.accountSid ?? `AC${'0'.repeat(32)}`;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    store.add({
      sid,
      accountSid,
      direction: 'inbound',
      from: m.from,
      messagingServiceSid: last?.messagingServiceSid ?? null,
      to,
      body: m.body,
      numSegments: segmentsOf(m.body),
      statusCallback: null,
      createdAt: new Date().toISOString(),
    });
    if (!opts.webhook) return { status: 'not_sent' };
    // The fields Twilio posts for an incoming message (https://www.twilio.com/docs/messaging/guides/webhook-request).
    const params: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sid,
      NumMedia: '0',
      SmsSid: sid,
      SmsStatus: 'received',
      Body: m.body,
      To: to,
      NumSegments: String(segmentsOf(m.body)),
      MessageSid: sid,
      AccountSid: accountSid,
      From: m.from,
      ApiVersion: '2010-04-01',
      ...(last?.messagingServiceSid ? { MessagingServiceSid: last.messagingServiceSid } : {}),
      ...(optOutType ? { OptOutType: optOutType } : {}),
    };
    const signature = twilio.getExpectedTwilioSignature(opts.authToken, opts.webhook.url, params);
    const res = await fetch(opts.webhook.deliverTo ?? opts.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return { status: res.status };
  }

  app.get('/_sandbox/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    res.json(store.all().filter((m) => !to || m.to === to));
  });
  app.post(
    '/_sandbox/inbound',
    wrap(async (req, res) => {
      const b = (req.body ?? {}) as { from?: unknown; to?: unknown; body?: unknown };
      try {
        const r = await inbound({
          from: String(b.from ?? ''),
          ...(typeof b.to === 'string' ? { to: b.to } : {}),
          body: String(b.body ?? ''),
        });
        res.status(200).json({ webhook: r.status });
      } catch (err) {
        if (err instanceof RangeError) throw new TwilioHttpError(422, 21211, err.message);
        throw err;
      }
    }),
  );
  app.post(
    '/_sandbox/faults',
    wrap((req, res) => {
      const f = req.body as { status?: unknown; count?: unknown; afterSend?: unknown };
      if ((f.status !== 429 && f.status !== 500 && f.status !== 'hang') || !Number.isInteger(f.count) || (f.count as number) < 1)
        throw new TwilioHttpError(422, 20001, "status must be 429, 500 or 'hang' and count a positive integer");
      faults.push({ status: f.status, count: f.count as number, afterSend: f.status === 'hang' || f.afterSend === true });
      res.status(204).end();
    }),
  );
  app.get('/', (_req, res) => void res.type('html').send(renderIndex(store.all())));
  app.get('/messages/:sid', (req, res) => {
    const m = store.get(req.params.sid);
    res
      .status(m ? 200 : 404)
      .type('html')
      .send(m ? renderMessage(m) : renderNotFound());
  });
  app.use((req, res) => {
    const e = new TwilioHttpError(404, TWILIO_ERRORS.notFound, `The requested resource ${req.path} was not found`);
    res.status(404).json(e.body());
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const publicHost = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
  return {
    url: `http://${publicHost}:${address.port}`,
    port: address.port,
    messages: () => store.all(),
    inbound,
    injectFault: (f) => {
      if ((f.status !== 429 && f.status !== 500 && f.status !== 'hang') || !Number.isInteger(f.count) || f.count < 1)
        throw new RangeError("fault status must be 429, 500 or 'hang' and count a positive integer");
      faults.push({ ...f, afterSend: f.status === 'hang' || f.afterSend === true });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
