// sendEmail against a real local outbox (and, for proxy and network failures, a bare HTTP server
// or a closed port): each Resend failure must leave as the ApplicationFailure Temporal acts on.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FALLBACK_RATE_LIMIT_DELAY_MS, parseRetryAfterMs } from '../../activities/email/resend-failure';
import { resendIdempotencyKey, sendEmail, type OutgoingEmail } from '../../activities/email/send';
import { sanitizeTags } from '../../activities/email/tags';
import { createResendClient } from '../../src/providers/resend';
import { startResendOutbox, type ResendOutbox } from '../../sandbox/resend';

let outbox: ResendOutbox;
beforeEach(async () => {
  outbox = await startResendOutbox({ port: 0, apiKey: 're_good' });
});
afterEach(async () => {
  await outbox.close();
});

const resend = () => createResendClient({ apiKey: 're_good', baseUrl: outbox.url });

function email(over: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    to: 'ada@example.org',
    from: 'Billing <billing@example.com>',
    replyTo: 'support@example.com',
    subject: 'Your payment failed',
    html: '<p>Update your card</p>',
    text: 'Update your card',
    tags: [{ name: 'template', value: 'reminder-1' }],
    idempotencyKey: `dunning-in_1/reminder-1/${Math.random()}`,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('sendEmail', () => {
  it('sends once per idempotency key, with sanitized tags and reply-to', async () => {
    const e = email({
      tags: [
        { name: 'invoice', value: 'in_1Abc.2 x/y' },
        { name: 'décline code', value: 'insufficient_funds' },
        { name: 'empty', value: '' },
      ],
    });
    const first = await sendEmail(resend(), e);
    const retried = await sendEmail(resend(), e); // a Temporal retry after a lost response
    expect(retried.messageId).toBe(first.messageId);

    const [m, ...rest] = outbox.messages();
    expect(rest).toHaveLength(0);
    expect(m).toMatchObject({
      id: first.messageId,
      to: ['ada@example.org'],
      replyTo: ['support@example.com'],
      subject: 'Your payment failed',
      html: '<p>Update your card</p>',
      text: 'Update your card',
      tags: [
        { name: 'invoice', value: 'in_1Abc_2_x_y' },
        { name: 'decline_code', value: 'insufficient_funds' },
      ],
      idempotency: { key: e.idempotencyKey },
    });
  });

  it('hashes an idempotency key Resend would refuse as too long, stably', async () => {
    const long = `dunning-${'x'.repeat(300)}`;
    expect(resendIdempotencyKey(long)).toHaveLength(7 + 64);
    expect(resendIdempotencyKey(long)).toBe(resendIdempotencyKey(long));
    expect(resendIdempotencyKey(`${long}a`)).not.toBe(resendIdempotencyKey(long));
    const a = await sendEmail(resend(), email({ idempotencyKey: long }));
    const b = await sendEmail(resend(), email({ idempotencyKey: long }));
    expect(b.messageId).toBe(a.messageId);
    expect(outbox.messages()).toHaveLength(1);
  });

  it('rate limit: retryable, nextRetryDelay from Retry-After', async () => {
    outbox.injectFault({ status: 429, count: 1, retryAfterSeconds: 7 });
    const f = await failure(sendEmail(resend(), email()));
    expect(f.type).toBe('EmailRateLimited');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(7_000);
    expect(f.details?.[0]).toMatchObject({ name: 'rate_limit_exceeded', statusCode: 429, retryAfterMs: 7_000 });
    expect(outbox.messages()).toHaveLength(0);
  });

  it('rate limit from the outbox limiter itself carries its Retry-After', async () => {
    const limited = await startResendOutbox({ port: 0, rateLimitPerSecond: 1 });
    try {
      const client = createResendClient({ apiKey: 're_x', baseUrl: limited.url });
      await sendEmail(client, email());
      const f = await failure(sendEmail(client, email()));
      expect(f.type).toBe('EmailRateLimited');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBe(1_000);
      expect(limited.messages()).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });

  it('rate limit without Retry-After falls back to one window', async () => {
    outbox.injectFault({ status: 429, count: 1 });
    const f = await failure(sendEmail(resend(), email()));
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(FALLBACK_RATE_LIMIT_DELAY_MS);
  });

  it('server error: retryable, and the retry succeeds', async () => {
    outbox.injectFault({ status: 500, count: 1 });
    const e = email();
    const f = await failure(sendEmail(resend(), e));
    expect(f.type).toBe('EmailProviderUnavailable');
    expect(f.nonRetryable).toBe(false);
    expect((await sendEmail(resend(), e)).messageId).toBe(outbox.messages()[0]!.id);
  });

  it('daily quota: EmailDailyQuotaExceeded (the case waits), monthly: EmailQuotaExceeded; both non-retryable', async () => {
    for (const [name, type] of [
      ['daily_quota_exceeded', 'EmailDailyQuotaExceeded'],
      ['monthly_quota_exceeded', 'EmailQuotaExceeded'],
    ] as const) {
      outbox.injectFault({ status: 429, count: 1, name, retryAfterSeconds: 3600 });
      const f = await failure(sendEmail(resend(), email()));
      expect(f.type).toBe(type);
      expect(f.nonRetryable).toBe(true);
      expect(f.details?.[0]).toMatchObject({ name, retryAfterMs: 3_600_000 });
    }
  });

  it('bad recipient, bad sender, other validation: non-retryable with the cause as type', async () => {
    const cases: [Partial<OutgoingEmail>, string][] = [
      [{ to: 'not-an-address' }, 'EmailInvalidRecipient'],
      [{ from: 'billing at example' }, 'EmailInvalidSender'],
      [{ subject: '' }, 'EmailInvalidRequest'],
    ];
    for (const [over, type] of cases) {
      const f = await failure(sendEmail(resend(), email(over)));
      expect(f.type, JSON.stringify(over)).toBe(type);
      expect(f.nonRetryable).toBe(true);
    }
    expect(outbox.messages()).toHaveLength(0);
  });

  it('wrong API key: non-retryable EmailAuthentication', async () => {
    const f = await failure(sendEmail(createResendClient({ apiKey: 're_bad', baseUrl: outbox.url }), email()));
    expect(f.type).toBe('EmailAuthentication');
    expect(f.nonRetryable).toBe(true);
  });

  it('same key, different email: non-retryable EmailIdempotencyConflict', async () => {
    const e = email();
    await sendEmail(resend(), e);
    const f = await failure(sendEmail(resend(), { ...e, subject: 'Something else' }));
    expect(f.type).toBe('EmailIdempotencyConflict');
    expect(f.nonRetryable).toBe(true);
  });

  it('no idempotency key: refused before anything is sent', async () => {
    const f = await failure(sendEmail(resend(), email({ idempotencyKey: '' })));
    expect(f.nonRetryable).toBe(true);
    expect(outbox.stats().requests).toBe(0);
  });

  it('network failure (nothing listening): retryable', async () => {
    const gone = await startResendOutbox({ port: 0 });
    const url = gone.url;
    await gone.close();
    const f = await failure(sendEmail(createResendClient({ apiKey: 're_x', baseUrl: url }), email()));
    expect(f.type).toBe('EmailProviderUnavailable');
    expect(f.nonRetryable).toBe(false);
    expect(f.details?.[0]).toMatchObject({ statusCode: null });
  });

  it("a proxy's non-JSON 502: retryable", async () => {
    const proxy = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const { port } = proxy.address() as AddressInfo;
      const f = await failure(sendEmail(createResendClient({ apiKey: 're_x', baseUrl: `http://127.0.0.1:${port}` }), email()));
      expect(f.type).toBe('EmailProviderUnavailable');
      expect(f.nonRetryable).toBe(false);
      expect(f.details?.[0]).toMatchObject({ name: 'application_error', statusCode: 502 });
    } finally {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('helpers', () => {
  it('parseRetryAfterMs reads seconds and HTTP dates', () => {
    expect(parseRetryAfterMs({ 'retry-after': '2' })).toBe(2_000);
    expect(parseRetryAfterMs({ 'retry-after': '0.5' })).toBe(500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfterMs({ 'ratelimit-reset': '3' })).toBe(3_000);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(parseRetryAfterMs(null)).toBeUndefined();
  });

  it('sanitizeTags keeps valid tags, repairs the rest, caps length', () => {
    expect(sanitizeTags([{ name: 'ok-name_1', value: 'Value-2_x' }])).toEqual([{ name: 'ok-name_1', value: 'Value-2_x' }]);
    expect(sanitizeTags([{ name: 'a', value: 'x'.repeat(300) }])[0]!.value).toHaveLength(256);
    expect(
      sanitizeTags([
        { name: 'a', value: '1' },
        { name: 'a', value: '2' },
      ]),
    ).toEqual([{ name: 'a', value: '2' }]);
    expect(sanitizeTags([{ name: '', value: 'x' }])).toEqual([]);
  });
});
