/**
 * Text messages (issue #24, part 2), with time skipped, the real activities, the Stripe sandbox and
 * the Twilio sandbox: a policy's sms steps text a customer who consented, outside their quiet
 * hours, at most the policy's cap, each text's cost counted on the case; a STOP (Twilio's 21610)
 * is recorded as an opt-out and the next text is not sent; without consent nothing is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDunningSignal } from '../../../domain/messages';
import { POLICY_1_0, type DunningPolicy } from '../../../domain/policy';
import { SMS_CONSENT_KEY, SMS_OPT_OUT_KEY } from '../../../domain/sms';
import { DAY, startHarness, until, type Case, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const withSms = (sms: DunningPolicy['sms'] = {}): DunningPolicy => ({
  ...POLICY_1_0,
  steps: [
    ...POLICY_1_0.steps,
    { at: '0', action: 'sms', template: 'payment_failed' },
    { at: '3d', action: 'sms', template: 'reminder' },
    { at: '7d', action: 'sms', template: 'reminder' },
  ],
  sms,
});

const texts = (phone: string) => h.sms.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');

const cancel = async (c: Case) => {
  await c.handle.signal(cancelDunningSignal, { reason: 'test_done', by: 'test' });
  await c.result();
};

describe('text messages', () => {
  it('texts a consenting customer, counts the cost, and a STOP stops the next text (21610 recorded as an opt-out)', async () => {
    // Noon UTC: not in the customer's (UTC) quiet hours.
    await h.advanceToDayOfMonth(10, 12);
    const phone = '+15552220001';
    const c = await h.startCase({
      policy: withSms(),
      phone,
      customerMetadata: { [SMS_CONSENT_KEY]: 'true' },
      record: 'sms-sent-then-stop',
    });
    const first = await until(async () => {
      const s = await c.status();
      return s.sms?.length ? s : undefined;
    }, 'the first text');
    expect(first.sms).toEqual([
      expect.objectContaining({
        template: 'payment_failed',
        sid: texts(phone)[0]!.sid,
        to: '…0001',
        segments: expect.any(Number),
      }),
    ]);
    expect(first.smsCost).toEqual({
      messages: 1,
      segments: texts(phone)[0]!.numSegments,
      microUsd: texts(phone)[0]!.numSegments * 8300,
    });
    expect(texts(phone)[0]!.body).toMatch(/^Acme: Your payment of/);

    // The customer replies STOP: Twilio refuses the next text with 21610.
    await h.sms.inbound({ from: phone, body: 'STOP' });
    const t0 = Date.parse(first.startedAt);
    await h.advanceTo(t0 + 3 * DAY + 60_000);
    const after = await until(async () => {
      const s = await c.status();
      return (s.sms?.length ?? 0) >= 2 ? s : undefined;
    }, 'the second text step');
    expect(after.sms![1]).toMatchObject({ template: 'reminder', skipped: 'opted_out' });
    expect(texts(phone)).toHaveLength(1);
    const customer = await h.stripe.customers.retrieve(c.scenario.customerId);
    expect((customer as { metadata: Record<string, string> }).metadata[SMS_OPT_OUT_KEY]).toMatch(/^\d{4}-/);
    // The third step reads the opt-out from the customer and does not even ask Twilio.
    await h.advanceTo(t0 + 7 * DAY + 60_000);
    const third = await until(async () => {
      const s = await c.status();
      return (s.sms?.length ?? 0) >= 3 ? s : undefined;
    }, 'the third text step');
    expect(third.sms![2]).toMatchObject({ skipped: 'opted_out' });
    expect(third.smsCost?.messages).toBe(1);
    await cancel(c);
  });

  it('sends nothing without consent, and stops at the policy’s cap', async () => {
    await h.advanceToDayOfMonth(10, 12);
    const none = await h.startCase({ policy: withSms(), phone: '+15552220002', record: 'sms-no-consent' });
    const s = await until(async () => {
      const x = await none.status();
      return x.sms?.length ? x : undefined;
    }, 'the first text step');
    expect(s.sms).toEqual([expect.objectContaining({ template: 'payment_failed', skipped: 'no_consent' })]);
    expect(texts('+15552220002')).toHaveLength(0);
    await cancel(none);

    await h.advanceToDayOfMonth(10, 12);
    const capped = await h.startCase({
      policy: withSms({ maxPerCase: 1 }),
      phone: '+15552220003',
      customerMetadata: { [SMS_CONSENT_KEY]: 'true' },
    });
    const t0 = Date.parse(
      (await until(async () => ((await capped.status()).sms?.length ? capped.status() : undefined), 'first')).startedAt,
    );
    await h.advanceTo(t0 + 3 * DAY + 60_000);
    const x = await until(async () => {
      const st = await capped.status();
      return (st.sms?.length ?? 0) >= 2 ? st : undefined;
    }, 'the capped step');
    expect(x.sms![1]).toMatchObject({ skipped: 'cap_reached' });
    expect(texts('+15552220003')).toHaveLength(1);
    await cancel(capped);
  });

  it('waits out the customer’s quiet hours before texting', async () => {
    // 23:00 UTC is 06:00 in Ho Chi Minh City: the text goes at 08:00 local, 01:00 UTC.
    const at = await h.advanceToDayOfMonth(10, 23);
    const c = await h.startCase({
      policy: withSms(),
      phone: '+15552220004',
      timeZone: 'Asia/Ho_Chi_Minh',
      customerMetadata: { [SMS_CONSENT_KEY]: 'true' },
    });
    await until(async () => ((await c.status()).emails.length ? true : undefined), 'the first email');
    expect((await c.status()).sms).toBeUndefined();
    expect(texts('+15552220004')).toHaveLength(0);
    await h.advanceTo(at + 2 * 3_600_000 + 60_000);
    const s = await until(async () => {
      const x = await c.status();
      return x.sms?.length ? x : undefined;
    }, 'the text after quiet hours');
    expect(Date.parse(s.sms![0]!.at)).toBeGreaterThanOrEqual(at + 2 * 3_600_000);
    expect(texts('+15552220004')).toHaveLength(1);
    await cancel(c);
  });
});
