// The local SMS outbox, driven by the real twilio SDK through the base-URL httpClient: if the
// sandbox drifted from what the SDK sends or parses, or the client still went to api.twilio.com,
// these fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentsOf, startTwilioSandbox, type TwilioSandbox } from '../../sandbox/twilio';
import { createTwilioClient } from '../../src/providers/twilio';

const SID = `AC${'1'.repeat(32)}`;
const TOKEN = 'sandbox-auth-token';
const open: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sandbox(webhook?: { url: string }, dataDir?: string): Promise<TwilioSandbox> {
  const s = await startTwilioSandbox({
    accountSid: SID,
    authToken: TOKEN,
    ...(webhook ? { webhook } : {}),
    ...(dataDir ? { dataDir } : {}),
  });
  open.push(s);
  return s;
}

describe('the Twilio sandbox through twilio-node', () => {
  it('sends, fetches and lists a message in Twilio’s shape', async () => {
    const s = await sandbox();
    const client = createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: s.url });
    const sent = await client.messages.create({
      to: '+15551230001',
      from: '+15005550006',
      body: 'Hello',
      statusCallback: 'https://x.test/cb',
    });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    expect(sent.numSegments).toBe('1');
    expect(sent.dateCreated).toBeInstanceOf(Date);
    expect(sent.dateCreated.getTime()).toBeGreaterThan(Date.now() - 60_000);
    const fetched = await client.messages(sent.sid).fetch();
    expect(fetched.body).toBe('Hello');
    expect(fetched.status).toBe('delivered');
    await client.messages.create({ to: '+15551230002', from: '+15005550006', body: 'Other' });
    const listed = await client.messages.list({
      to: '+15551230001',
      dateSentAfter: new Date(Date.now() - 86_400_000),
      limit: 20,
    });
    expect(listed.map((m) => m.sid)).toEqual([sent.sid]);
    expect(s.messages()).toHaveLength(2);
  });

  it('answers Twilio’s errors: a bad number (21211) and wrong credentials (20003)', async () => {
    const s = await sandbox();
    const client = createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: s.url });
    await expect(client.messages.create({ to: '555', from: '+15005550006', body: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 21211,
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
    });
    const wrong = createTwilioClient({ accountSid: SID, authToken: 'nope', apiBase: s.url });
    await expect(wrong.messages.create({ to: '+15551230001', from: '+15005550006', body: 'x' })).rejects.toMatchObject({
      status: 401,
      code: 20003,
    });
  });

  it('a STOP reply opts the number out (21610 on the next send), signed so validateRequest accepts it; START undoes it', async () => {
    const received: Array<{ signature: string; params: Record<string, string> }> = [];
    const hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        received.push({
          signature: String(req.headers['x-twilio-signature']),
          params: Object.fromEntries(new URLSearchParams(raw)),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => hook.close(() => r())) });
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhooks/twilio`;
    const dir = mkdtempSync(join(tmpdir(), 'sms-'));
    dirs.push(dir);
    const s = await sandbox({ url }, dir);
    const client = createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: s.url });
    await client.messages.create({ to: '+15551230001', from: '+15005550006', body: 'Pay please' });
    expect(await s.inbound({ from: '+15551230001', body: ' stop ' })).toEqual({ status: 200 });
    expect(received[0]!.params).toMatchObject({ From: '+15551230001', To: '+15005550006', Body: ' stop ', OptOutType: 'STOP' });
    expect(twilio.validateRequest(TOKEN, received[0]!.signature, url, received[0]!.params)).toBe(true);
    expect(twilio.validateRequest('other', received[0]!.signature, url, received[0]!.params)).toBe(false);
    await expect(client.messages.create({ to: '+15551230001', from: '+15005550006', body: 'again' })).rejects.toMatchObject({
      code: 21610,
    });
    // The opt-out survives a restart, as Twilio's list does.
    await s.close();
    open.splice(open.indexOf(s), 1);
    const again = await sandbox({ url }, dir);
    const client2 = createTwilioClient({ accountSid: SID, authToken: TOKEN, apiBase: again.url });
    await expect(client2.messages.create({ to: '+15551230001', from: '+15005550006', body: 'again' })).rejects.toMatchObject({
      code: 21610,
    });
    await again.inbound({ from: '+15551230001', to: '+15005550006', body: 'START' });
    expect(received[1]!.params.OptOutType).toBe('START');
    await expect(client2.messages.create({ to: '+15551230001', from: '+15005550006', body: 'again' })).resolves.toBeDefined();
  });

  it('counts segments as carriers do: GSM-7 160/153, UCS-2 (Vietnamese) 70/67', () => {
    expect(segmentsOf('a'.repeat(160))).toBe(1);
    expect(segmentsOf('a'.repeat(161))).toBe(2);
    expect(segmentsOf('ệ'.repeat(70))).toBe(1);
    expect(segmentsOf('ệ'.repeat(71))).toBe(2);
  });
});
