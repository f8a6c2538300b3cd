// The local outbox, driven by the real resend SDK: if the outbox drifted from what the SDK sends
// or expects, these fail.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resend } from 'resend';
import { afterEach, describe, expect, it } from 'vitest';
import { createResendClient } from '../../src/providers/resend';
import { startResendOutbox, type ResendOutbox, type ResendOutboxOptions } from '../../sandbox/resend';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const open: ResendOutbox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function outbox(opts: ResendOutboxOptions = {}): Promise<{ outbox: ResendOutbox; resend: Resend }> {
  const o = await startResendOutbox({ port: 0, ...opts });
  open.push(o);
  return { outbox: o, resend: createResendClient({ apiKey: opts.apiKey ?? 're_test_key', baseUrl: `${o.url}/` }) };
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(d);
  return d;
}

const email = {
  from: 'Billing <billing@example.com>',
  to: 'ada@example.org',
  subject: 'Your payment failed',
  html: '<p>Please <a href="https://x.test/u">update your card</a>.</p>',
  text: 'Please update your card: https://x.test/u',
};

describe('resend outbox with the real SDK', () => {
  it('listens on loopback and stores a sent email with tags, reply_to and headers', async () => {
    const { outbox: o, resend } = await outbox();
    expect(o.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(o.port).toBeGreaterThan(0);

    const sent = await resend.emails.send({
      ...email,
      replyTo: 'support@example.com',
      tags: [{ name: 'template', value: 'reminder-1' }],
      headers: { 'X-Entity-Ref-ID': 'in_123' },
    });
    expect(sent.error).toBeNull();
    expect(sent.data?.id).toMatch(/^[0-9a-f-]{36}$/);

    const [m, ...rest] = o.messages();
    expect(rest).toHaveLength(0);
    expect(m).toMatchObject({
      id: sent.data!.id,
      from: email.from,
      to: ['ada@example.org'],
      replyTo: ['support@example.com'],
      subject: email.subject,
      html: email.html,
      text: email.text,
      tags: [{ name: 'template', value: 'reminder-1' }],
      headers: { 'X-Entity-Ref-ID': 'in_123' },
    });
    expect(Date.parse(m!.createdAt)).not.toBeNaN();

    const got = await resend.emails.get(sent.data!.id);
    expect(got.error).toBeNull();
    expect(got.data).toMatchObject({
      object: 'email',
      id: sent.data!.id,
      to: ['ada@example.org'],
      reply_to: ['support@example.com'],
      subject: email.subject,
      html: email.html,
      text: email.text,
      cc: null,
      bcc: null,
    });

    const missing = await resend.emails.get('00000000-0000-0000-0000-000000000000');
    expect(missing.error).toMatchObject({ name: 'not_found', statusCode: 404 });

    const listed = (await (await fetch(`${o.url}/_outbox/messages`)).json()) as { id: string }[];
    expect(listed.map((x) => x.id)).toEqual([sent.data!.id]);
  });

  it('replays an idempotent request without a second email, and refuses the key for another body', async () => {
    const { outbox: o, resend } = await outbox();
    const first = await resend.emails.send(email, { idempotencyKey: 'dunning-in_1/reminder-1' });
    const again = await resend.emails.send(email, { idempotencyKey: 'dunning-in_1/reminder-1' });
    expect(first.error).toBeNull();
    expect(again.data?.id).toBe(first.data?.id);
    expect(o.messages()).toHaveLength(1);

    const other = await resend.emails.send({ ...email, subject: 'Different' }, { idempotencyKey: 'dunning-in_1/reminder-1' });
    expect(other.data).toBeNull();
    expect(other.error).toMatchObject({ name: 'invalid_idempotent_request', statusCode: 409 });

    const tooLong = await resend.emails.send(email, { idempotencyKey: 'k'.repeat(257) });
    expect(tooLong.error).toMatchObject({ name: 'invalid_idempotency_key', statusCode: 400 });

    const otherKey = await resend.emails.send(email, { idempotencyKey: 'dunning-in_1/reminder-2' });
    expect(otherKey.data?.id).not.toBe(first.data?.id);
    expect(o.messages()).toHaveLength(2);
  });

  it('answers 422 for missing or malformed fields, as Resend does, and stores nothing', async () => {
    const { outbox: o, resend } = await outbox();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...email, to: undefined }, 'missing_required_field', /Missing `to` field/],
      [{ ...email, from: undefined }, 'missing_required_field', /Missing `from` field/],
      [{ ...email, subject: '' }, 'missing_required_field', /Missing `subject` field/],
      [{ ...email, html: undefined, text: undefined }, 'missing_required_field', /`html` or `text`/],
      [{ ...email, to: 'not-an-address' }, 'validation_error', /Invalid `to` field/],
      [{ ...email, from: 'billing at example.com' }, 'validation_error', /Invalid `from` field/],
      [{ ...email, tags: [{ name: 'invoice', value: 'in_1.2' }] }, 'validation_error', /ASCII letters/],
    ];
    for (const [body, name, message] of cases) {
      const res = await resend.emails.send(body as never);
      expect(res.data, name).toBeNull();
      expect(res.error).toMatchObject({ name, statusCode: 422 });
      expect(res.error?.message).toMatch(message);
    }
    expect(o.messages()).toHaveLength(0);
  });

  it('requires a Bearer key, and only the configured one when apiKey is set', async () => {
    const { outbox: o, resend } = await outbox({ apiKey: 're_right' });
    const noAuth = await fetch(`${o.url}/emails`, { method: 'POST', body: JSON.stringify(email) });
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toEqual({
      statusCode: 401,
      name: 'missing_api_key',
      message: 'Missing API key in the authorization header.',
    });

    const wrong = await createResendClient({ apiKey: 're_wrong', baseUrl: o.url }).emails.send(email);
    expect(wrong.error).toMatchObject({ name: 'invalid_api_key', statusCode: 403 });
    expect((await resend.emails.send(email)).error).toBeNull();
    expect(o.messages()).toHaveLength(1);

    const badJson = await fetch(`${o.url}/emails`, {
      method: 'POST',
      headers: { authorization: 'Bearer re_right', 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(badJson.status).toBe(400);
  });

  it('rate-limits above rateLimitPerSecond with 429 rate_limit_exceeded and retry-after', async () => {
    const { outbox: o, resend } = await outbox({ rateLimitPerSecond: 2 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await resend.emails.send({ ...email, subject: `n${i}` }));
    expect(results[0]!.error).toBeNull();
    expect(results[1]!.error).toBeNull();
    expect(results[1]!.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0' });
    const limited = results[2]!;
    expect(limited.error).toMatchObject({ name: 'rate_limit_exceeded', statusCode: 429 });
    const retryAfter = Number(limited.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(o.messages()).toHaveLength(2);
    expect(o.stats()).toEqual({ requests: 3, rateLimited: 1, faulted: 0 });

    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await resend.emails.send({ ...email, subject: 'after' })).error).toBeNull();
    expect(o.messages()).toHaveLength(3);
  });

  it('fails the next requests as injected, then recovers', async () => {
    const { outbox: o, resend } = await outbox();
    o.injectFault({ status: 500, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await resend.emails.send(email);
      expect(r.error).toMatchObject({ name: 'internal_server_error', statusCode: 500 });
    }
    expect((await resend.emails.send(email)).error).toBeNull();

    o.injectFault({ status: 429, count: 1, name: 'daily_quota_exceeded', retryAfterSeconds: 3600 });
    const quota = await resend.emails.send(email);
    expect(quota.error).toMatchObject({ name: 'daily_quota_exceeded', statusCode: 429 });
    expect(quota.headers?.['retry-after']).toBe('3600');

    // The same, from another process (the demo), over HTTP.
    const posted = await fetch(`${o.url}/_outbox/faults`, { method: 'POST', body: JSON.stringify({ status: 429, count: 1 }) });
    expect(posted.status).toBe(204);
    expect((await resend.emails.send(email)).error).toMatchObject({ name: 'rate_limit_exceeded' });

    expect(o.messages()).toHaveLength(1);
    // 2 injected 500s, 1 sent, 1 quota (not a rate limit), 1 injected rate limit.
    expect(o.stats()).toEqual({ requests: 5, rateLimited: 1, faulted: 4 });
  });

  it('afterSend: the email is kept, the answer lost; the same request again gets its id', async () => {
    const { outbox: o, resend } = await outbox();
    o.injectFault({ status: 500, count: 1, afterSend: true });
    const key = { idempotencyKey: 'dunning-in_1/email:lost' };
    expect((await resend.emails.send(email, key)).error).toMatchObject({ name: 'internal_server_error' });
    const [kept, ...rest] = o.messages();
    expect(rest).toHaveLength(0);
    expect((await resend.emails.send(email, key)).data?.id).toBe(kept!.id);
    // The same key with another body is refused, as Resend does.
    const changed = await resend.emails.send({ ...email, text: 'another link' }, key);
    expect(changed.error).toMatchObject({ name: 'invalid_idempotent_request', statusCode: 409 });
    expect(o.messages()).toHaveLength(1);
  });

  it('lists messages without their bodies for counting (summary=1), with tags and idempotency key', async () => {
    const { outbox: o, resend } = await outbox();
    await resend.emails.send(
      { ...email, tags: [{ name: 'invoice_id', value: 'in_1' }] },
      { idempotencyKey: 'dunning-in_1/email:x' },
    );
    const listed = (await (await fetch(`${o.url}/_outbox/messages?summary=1`)).json()) as Array<Record<string, unknown>>;
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('html');
    expect(listed[0]).not.toHaveProperty('text');
    expect(listed[0]).toMatchObject({
      to: ['ada@example.org'],
      tags: [{ name: 'invoice_id', value: 'in_1' }],
      idempotency: { key: 'dunning-in_1/email:x' },
    });
  });

  it('keeps messages and idempotency keys across a restart with dataDir', async () => {
    const dataDir = tmp();
    const first = await outbox({ dataDir });
    const sent = await first.resend.emails.send(email, { idempotencyKey: 'persist-1' });
    await first.outbox.close();
    open.splice(open.indexOf(first.outbox), 1);

    const lines = readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).id).toBe(sent.data!.id);
    appendFileSync(join(dataDir, 'outbox.jsonl'), '{"id":"cut-short-by-a-cra'); // a crash mid-append

    const second = await outbox({ dataDir });
    expect(second.outbox.messages().map((m) => m.id)).toEqual([sent.data!.id]);
    const replay = await second.resend.emails.send(email, { idempotencyKey: 'persist-1' });
    expect(replay.data?.id).toBe(sent.data!.id);
    expect(second.outbox.messages()).toHaveLength(1);
    expect((await second.resend.emails.get(sent.data!.id)).data?.subject).toBe(email.subject);
  });

  it('shows people an escaped list, newest first, and each message', async () => {
    const { outbox: o, resend } = await outbox();
    const older = await resend.emails.send({ ...email, subject: 'Older one' });
    const newer = await resend.emails.send({
      ...email,
      subject: '<script>alert(1)</script> Newer',
      html: '<p onclick="x()">"Quoted" & body</p>',
      text: 'Text <b>part</b>',
      tags: [{ name: 'template', value: 'final_notice' }],
    });

    const index = await fetch(`${o.url}/`);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    const page = await index.text();
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Newer');
    expect(page).toContain('template=final_notice');
    expect(page).toContain('ada@example.org');
    expect(page.indexOf(`/messages/${newer.data!.id}`)).toBeLessThan(page.indexOf(`/messages/${older.data!.id}`));

    const one = await (await fetch(`${o.url}/messages/${newer.data!.id}`)).text();
    expect(one).toContain('srcdoc="&lt;p onclick=&quot;x()&quot;&gt;&quot;Quoted&quot; &amp; body&lt;/p&gt;"');
    expect(one).toContain('<pre>Text &lt;b&gt;part&lt;/b&gt;</pre>');
    expect(one).not.toContain('<script>');

    expect((await fetch(`${o.url}/messages/nope`)).status).toBe(404);
  });
});

describe('resend outbox delivery webhooks', () => {
  const secret = `whsec_${Buffer.from('outbox test secret, 32 bytes long').toString('base64')}`;

  /** A receiver that verifies with the resend SDK, as the service does; `answers`: statuses to give in turn. */
  async function receiver(answers: number[] = []) {
    const got: { status: number; event?: unknown; error?: string }[] = [];
    const verifier = new Resend('re_unused').webhooks;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = answers.shift() ?? 200;
        try {
          const event = verifier.verify({
            payload: Buffer.concat(chunks).toString('utf8'),
            headers: {
              id: String(req.headers['svix-id']),
              timestamp: String(req.headers['svix-timestamp']),
              signature: String(req.headers['svix-signature']),
            },
            webhookSecret: secret,
          });
          got.push({ status, event });
        } catch (err) {
          got.push({ status, error: (err as Error).message });
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/resend`;
    return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it("Resend's test addresses and marked ones: a signed email.bounced / email.complained follows the send", async () => {
    const r = await receiver();
    const { outbox: o, resend } = await outbox({ webhook: { url: r.url, secret } });
    const tags = [{ name: 'invoice_id', value: 'in_9' }];
    const bounced = await resend.emails.send({ ...email, to: 'bounced+ada@resend.dev', tags });
    await resend.emails.send({ ...email, to: 'complained@resend.dev', tags });
    await resend.emails.send({ ...email, to: 'fine@example.org', tags });
    o.markUndeliverable('Gone@Example.org', 'bounced');
    const posted = await fetch(`${o.url}/_outbox/undeliverable`, {
      method: 'POST',
      body: JSON.stringify({ address: 'spam@example.org', event: 'complained' }),
    });
    expect(posted.status).toBe(204);
    await resend.emails.send({ ...email, to: 'gone@example.org', tags });
    await resend.emails.send({ ...email, to: 'spam@example.org', tags });
    await o.webhooksSettled();
    await r.close();

    // Every email was accepted (Resend answers the send; the bounce comes later).
    expect(o.messages()).toHaveLength(5);
    expect(r.got.every((g) => g.error === undefined)).toBe(true);
    const events = r.got.map(
      (g) => g.event as { type: string; data: { to: string[]; email_id: string; tags: Record<string, string> } },
    );
    expect(events.map((e) => [e.type, e.data.to[0]]).sort()).toEqual([
      ['email.bounced', 'bounced+ada@resend.dev'],
      ['email.bounced', 'gone@example.org'],
      ['email.complained', 'complained@resend.dev'],
      ['email.complained', 'spam@example.org'],
    ]);
    const first = events.find((e) => e.data.to[0] === 'bounced+ada@resend.dev')!;
    expect(first).toMatchObject({
      data: { email_id: bounced.data!.id, tags: { invoice_id: 'in_9' }, bounce: { type: 'Permanent' } },
    });
  });

  it('delivers again after a non-2xx answer', async () => {
    const r = await receiver([503, 500]);
    const { outbox: o, resend } = await outbox({ webhook: { url: r.url, secret, retryDelaysMs: [20, 20, 20] } });
    await resend.emails.send({ ...email, to: 'bounced@resend.dev' });
    await o.webhooksSettled();
    await r.close();
    expect(r.got.map((g) => g.status)).toEqual([503, 500, 200]);
  });

  it('refuses a mark it cannot act on', async () => {
    const { outbox: o } = await outbox();
    const res = await fetch(`${o.url}/_outbox/undeliverable`, {
      method: 'POST',
      body: JSON.stringify({ address: 'x', event: 'bounced' }),
    });
    expect(res.status).toBe(422);
  });
});
