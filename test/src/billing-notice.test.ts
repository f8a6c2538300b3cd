import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { verifyLinkToken } from '../../activities/links/updateLinkToken';
import type { DunningStatus } from '../../domain/types';
import { billingNotice, type NoticeSettings } from '../../src/notice/billingNotice';
import { NOTICE_SCRIPT } from '../../src/notice/noticeScript';

const D = 86_400_000;
const now = Date.parse('2026-12-10T12:00:00Z');
const settings: NoticeSettings = {
  publicBaseUrl: 'https://billing.example.com',
  linkSecret: 's'.repeat(40),
  linkTtlDays: 30,
  businessName: 'Acme',
  thresholds: { warningMs: 7 * D, wallMs: 12 * D },
};

const status = (o: Partial<DunningStatus> = {}): DunningStatus => ({
  invoiceId: 'in_1',
  customerId: 'cus_A',
  state: 'active',
  amountDue: 4900,
  currency: 'usd',
  declineCategory: 'insufficient_funds',
  attempts: [],
  emails: [],
  startedAt: new Date(now - 2 * D).toISOString(),
  customerRetry: { allowed: true },
  locale: 'en',
  timeZone: 'UTC',
  graceEndsAt: new Date(now + 12 * D).toISOString(),
  ...o,
});

const tokenOf = (url: string) => url.split('/').pop()!;

describe('the billing notice of one customer', () => {
  it('no open case: open false, no notice', () => {
    expect(billingNotice('cus_A', [], settings, now)).toEqual({ customerId: 'cus_A', open: false, openCases: 0 });
    // A bank debit settling is paid for as far as the customer can tell; an ended case is over.
    expect(billingNotice('cus_A', [status({ state: 'processing' }), status({ state: 'recovered' })], settings, now).open).toBe(
      false,
    );
  });

  it('an open case: severity, words, the email’s update and retry links, the grace end', () => {
    const a = billingNotice('cus_A', [status()], settings, now);
    expect(a).toMatchObject({
      customerId: 'cus_A',
      open: true,
      openCases: 1,
      notice: {
        invoiceId: 'in_1',
        severity: 'notice',
        locale: 'en',
        title: "Your last payment didn't go through",
        amount: '$49.00',
        daysSinceFailure: 2,
        graceEndsAt: '2026-12-22T12:00:00.000Z',
        update: { label: 'Update payment method' },
        retry: { possible: true, label: 'Retry my payment now' },
      },
    });
    const n = a.notice!;
    expect(n.message).toContain('$49.00 for Acme');
    expect(n.update.url).toMatch(/^https:\/\/billing\.example\.com\/billing\/update\//);
    const update = verifyLinkToken(settings.linkSecret, tokenOf(n.update.url), now / 1000, ['update']);
    expect(update).toMatchObject({
      ok: true,
      claims: { customerId: 'cus_A', invoiceId: 'in_1', locale: 'en', exp: now / 1000 + 30 * 86_400 },
    });
    expect(n.retry.possible && n.retry.url).toMatch(/\/billing\/retry\//);
    expect(n.retry.possible && verifyLinkToken(settings.linkSecret, tokenOf(n.retry.url), now / 1000, ['retry']).ok).toBe(true);
  });

  it('a warning, then a wall by day; in Vietnamese for a Vietnamese customer, the grace end in their words', () => {
    expect(
      billingNotice('cus_A', [status({ startedAt: new Date(now - 8 * D).toISOString() })], settings, now).notice?.severity,
    ).toBe('warning');
    const vi = billingNotice(
      'cus_A',
      [status({ startedAt: new Date(now - 12 * D).toISOString(), locale: 'vi' })],
      settings,
      now,
    ).notice!;
    expect(vi.severity).toBe('wall');
    expect(vi.title).toBe('Cần xử lý ngay: thanh toán của bạn không thành công');
    expect(vi.message).toContain('22 tháng 12, 2026');
    expect(vi.update.label).toBe('Cập nhật phương thức thanh toán');
    expect(vi.retry.possible && vi.retry.label).toBe('Thử thanh toán lại ngay');
  });

  it('no retry where the retry page would refuse one, with its reason; a confirm link for authentication', () => {
    const cool = billingNotice(
      'cus_A',
      [status({ customerRetry: { allowed: false, reason: 'cooldown', retryAt: '2026-12-10T18:00:00.000Z' } })],
      settings,
      now,
    );
    expect(cool.notice?.retry).toEqual({ possible: false, reason: 'cooldown', retryAt: '2026-12-10T18:00:00.000Z' });
    const auth = billingNotice(
      'cus_A',
      [status({ declineCategory: 'authentication', customerRetry: { allowed: false, reason: 'not_retryable' } })],
      settings,
      now,
    ).notice!;
    expect(auth.update.label).toBe('Confirm payment');
    expect(verifyLinkToken(settings.linkSecret, tokenOf(auth.update.url), now / 1000, ['pay']).ok).toBe(true);
    // A worker of an older build answers without the newer fields: a plain notice in English, no retry.
    const old = billingNotice(
      'cus_A',
      [status({ locale: undefined, graceEndsAt: undefined, customerRetry: undefined })],
      settings,
      now,
    );
    expect(old.notice).toMatchObject({ locale: 'en', retry: { possible: false, reason: 'unknown' } });
    expect(old.notice).not.toHaveProperty('graceEndsAt');
  });

  it('several open cases: shows the most severe, then the oldest, and counts them', () => {
    const a = billingNotice(
      'cus_A',
      [
        status({ invoiceId: 'in_new', startedAt: new Date(now - 1 * D).toISOString() }),
        status({ invoiceId: 'in_old', startedAt: new Date(now - 3 * D).toISOString() }),
        status({
          invoiceId: 'in_restricted',
          startedAt: new Date(now - 2 * D).toISOString(),
          graceEndsAt: new Date(now - 1).toISOString(),
        }),
      ],
      settings,
      now,
    );
    expect(a.openCases).toBe(3);
    expect(a.notice).toMatchObject({ invoiceId: 'in_restricted', severity: 'wall' });
    const equal = billingNotice(
      'cus_A',
      [
        status({ invoiceId: 'in_new', startedAt: new Date(now - D).toISOString() }),
        status({ invoiceId: 'in_old', startedAt: new Date(now - 3 * D).toISOString() }),
      ],
      settings,
      now,
    );
    expect(equal.notice?.invoiceId).toBe('in_old');
  });

  it('never shows another customer’s case', () => {
    expect(billingNotice('cus_A', [status({ customerId: 'cus_B' })], settings, now).open).toBe(false);
  });
});

describe('the <dunning-notice> script', () => {
  it('is one script that parses, defines the element once, and writes answers as text only', () => {
    expect(() => new Script(NOTICE_SCRIPT)).not.toThrow();
    expect(NOTICE_SCRIPT).toContain("customElements.define('dunning-notice'");
    expect(NOTICE_SCRIPT).not.toContain('innerHTML');
    expect(Buffer.byteLength(NOTICE_SCRIPT)).toBeLessThan(8_000);
  });
});
