import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  pickLocale,
  renderEmail,
  templateForCategory,
  TEMPLATE_NAMES,
  type EmailData,
  type EmailLocale,
  type TemplateName,
} from '../../activities/email/templates';
import { formatAmount } from '../../activities/email/templates/format';
import { sampleEmailData } from '../../activities/email/templates/sample-data';
import { DECLINE_CATEGORIES, type DeclineCategory } from '../../domain/types';

const LOCALES: EmailLocale[] = ['en', 'vi'];
const GOLDEN_DIR = join(__dirname, '../golden/emails');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

// Intl separates amount and symbol with a no-break space; tests read better with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
const escapedUrl = (url: string) => url.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

function expectGolden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`missing golden file ${path}: run with UPDATE_GOLDEN=1 and review the diff`);
  expect(actual, `${file} differs from its golden file (UPDATE_GOLDEN=1 to accept)`).toBe(readFileSync(path, 'utf8'));
}

describe('golden emails', () => {
  for (const name of TEMPLATE_NAMES) {
    for (const locale of LOCALES) {
      it(`${name} (${locale})`, () => {
        const email = renderEmail(name, locale, sampleEmailData(name, locale));
        expectGolden(`${name}.${locale}.html`, email.html);
        expectGolden(`${name}.${locale}.txt`, `Subject: ${email.subject}\n\n${email.text}`);
      });
    }
  }
});

describe('every template', () => {
  const cases = TEMPLATE_NAMES.flatMap((name) => LOCALES.map((locale) => [name, locale] as const));

  it.each(cases)('%s (%s) carries the update link, except once the case is closed', (name, locale) => {
    const data = sampleEmailData(name, locale);
    const { html, text } = renderEmail(name, locale, data);
    if (name === 'payment_recovered') {
      // Nothing left to fix: a payment button would only confuse.
      expect(html).not.toContain('/billing/update/');
      expect(text).not.toContain('/billing/update/');
    } else {
      expect(html).toContain(`href="${escapedUrl(data.updateUrl)}"`);
      expect(text).toContain(data.updateUrl);
    }
  });

  it.each(cases)('%s (%s) has a text part without HTML tags', (name, locale) => {
    const { text, subject } = renderEmail(name, locale, sampleEmailData(name, locale));
    expect(text).not.toMatch(/<\/?[a-z!][^>]*>/i);
    expect(text).not.toContain('&amp;');
    expect(subject).not.toMatch(/[<>\n]/);
  });

  it.each(cases)(
    '%s (%s) shows amount and invoice number (the renewal and the card’s expiry before any invoice)',
    (name, locale) => {
      const data = sampleEmailData(name, locale);
      const { html, text } = renderEmail(name, locale, data);
      const amount = formatAmount(data.amountDue, data.currency, locale);
      for (const part of [html, text]) {
        expect(part).toContain(amount);
        if (name === 'card_expiring') expect(part).toContain(locale === 'en' ? 'March 2025' : 'tháng 3 năm 2025');
        else expect(part).toContain('INV-2025-0042');
      }
    },
  );

  it.each(cases)('%s (%s) renders deterministically', (name, locale) => {
    const data = sampleEmailData(name, locale);
    expect(renderEmail(name, locale, data)).toEqual(renderEmail(name, locale, structuredClone(data)));
  });
});

describe("the customer's own retry button", () => {
  // Where the sample data has a retry link (declines a retry with the same card can get past).
  const WITH_RETRY: readonly TemplateName[] = [
    'payment_failed.insufficient_funds',
    'payment_failed.generic',
    'reminder',
    'final_notice',
  ];
  // Never, whatever the data: the card cannot succeed again, the bank wants a confirmation, or the case is over.
  const NEVER: readonly TemplateName[] = [
    'payment_failed.card_invalid',
    'payment_failed.authentication',
    'payment_recovered',
    'subscription_ended',
  ];
  const LABELS: Record<EmailLocale, { retry: string; other: string; update: string }> = {
    en: { retry: 'Retry my payment now', other: 'Use a different card', update: 'Update payment method' },
    vi: { retry: 'Thử thanh toán lại ngay', other: 'Dùng thẻ khác', update: 'Cập nhật phương thức thanh toán' },
  };

  it.each(WITH_RETRY.flatMap((name) => LOCALES.map((locale) => [name, locale] as const)))(
    '%s (%s): "retry now" first, "use a different card" beside it, both in the text part',
    (name, locale) => {
      const data = sampleEmailData(name, locale);
      const { html, text } = renderEmail(name, locale, data);
      const retryAt = html.indexOf(`href="${escapedUrl(data.retryUrl!)}"`);
      const updateAt = html.indexOf(`href="${escapedUrl(data.updateUrl)}"`);
      expect(retryAt).toBeGreaterThan(0);
      expect(updateAt).toBeGreaterThan(retryAt);
      expect(html).toContain(`>${LABELS[locale].retry}</a>`);
      expect(html).toContain(`>${LABELS[locale].other}</a>`);
      expect(html).not.toContain(`>${LABELS[locale].update}</a>`);
      expect(text).toContain(`${LABELS[locale].retry}:\n${data.retryUrl}\n\n${LABELS[locale].other}:\n${data.updateUrl}`);
    },
  );

  it.each(WITH_RETRY.flatMap((name) => LOCALES.map((locale) => [name, locale] as const)))(
    '%s (%s) without a retry link: the update button alone, as before',
    (name, locale) => {
      const { html, text } = renderEmail(name, locale, { ...sampleEmailData(name, locale), retryUrl: undefined });
      expect(html).not.toContain('/billing/retry/');
      expect(text).not.toContain('/billing/retry/');
      expect(html).toContain(`>${LABELS[locale].update}</a>`);
      expect(html).not.toContain(LABELS[locale].retry);
    },
  );

  it.each(NEVER.flatMap((name) => LOCALES.map((locale) => [name, locale] as const)))(
    '%s (%s) never offers it, even when given a retry link',
    (name, locale) => {
      const data = { ...sampleEmailData(name, locale), retryUrl: 'https://billing.acme.example/billing/retry/tok_x' };
      const { html, text } = renderEmail(name, locale, data);
      expect(html).not.toContain('/billing/retry/');
      expect(text).not.toContain('/billing/retry/');
      expect(html).not.toContain(LABELS[locale].retry);
    },
  );

  it('refuses a retry link that is not absolute http(s)', () => {
    const data = sampleEmailData('reminder', 'en');
    expect(() => renderEmail('reminder', 'en', { ...data, retryUrl: 'javascript:alert(1)' })).toThrow(/http/);
  });
});

describe('untrusted data', () => {
  const hostile: EmailData = {
    ...sampleEmailData('payment_failed.generic', 'en'),
    customerName: '<script>alert(1)</script>',
    invoiceNumber: '"><img src=x onerror=alert(2)>',
    cardBrand: '<b>visa</b>',
    updateUrl: 'https://billing.example/u?a="><script>alert(3)</script>&b=1',
  };

  it.each(TEMPLATE_NAMES)('%s escapes names, invoice numbers and URL attributes', (name) => {
    for (const locale of LOCALES) {
      const { html } = renderEmail(name, locale, hostile);
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).not.toMatch(/<script|<img|<b>/i);
      if (name !== 'payment_recovered') {
        expect(html).toContain('href="https://billing.example/u?a=&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;&amp;b=1"');
      }
    }
  });

  it('keeps a name to one line in the text part', () => {
    const { text } = renderEmail('reminder', 'en', {
      ...hostile,
      customerName: 'Jane\n\nYour card was charged. Pay here instead: https://evil.example\n',
    });
    expect(text.split('\n')[0]).toBe('Hi Jane Your card was charged. Pay here instead: https://evil.example,');
  });

  it('refuses a link that is not absolute http(s)', () => {
    const data = sampleEmailData('reminder', 'en');
    expect(() => renderEmail('reminder', 'en', { ...data, updateUrl: 'javascript:alert(1)' })).toThrow(/http/);
    expect(() => renderEmail('reminder', 'en', { ...data, updateUrl: '/billing/update/x' })).toThrow(/absolute/);
  });
});

describe('amounts', () => {
  const cases: Array<[number, string, EmailLocale, string]> = [
    [1999, 'usd', 'en', '$19.99'],
    [1999, 'USD', 'vi', '19,99 US$'],
    [1999, 'eur', 'en', '€19.99'],
    [1999, 'eur', 'vi', '19,99 €'],
    [199000, 'vnd', 'en', '₫199,000'],
    [199000, 'vnd', 'vi', '199.000 ₫'],
    [1999, 'jpy', 'en', '¥1,999'],
    [1999, 'jpy', 'vi', '1.999 ¥'],
  ];

  it.each(cases)('%i %s in %s is %s', (amount, currency, locale, expected) => {
    expect(plain(formatAmount(amount, currency, locale))).toBe(expected);
    const data = { ...sampleEmailData('reminder', locale), amountDue: amount, currency };
    expect(plain(renderEmail('reminder', locale, data).text)).toContain(expected);
  });

  it('falls back to the raw code when the currency is malformed', () => {
    expect(formatAmount(1999, 'us', 'en')).toBe('19.99 US');
  });
});

describe('dates and consequences', () => {
  it('formats dates in the customer time zone', () => {
    const data = { ...sampleEmailData('payment_failed.generic', 'vi'), nextRetryAt: '2025-03-14T20:00:00Z' };
    expect(renderEmail('payment_failed.generic', 'vi', data).text).toContain('thử lại vào ngày 15 tháng 3, 2025');
    expect(renderEmail('payment_failed.generic', 'vi', { ...data, timeZone: undefined }).text).toContain('14 tháng 3, 2025');
    expect(renderEmail('payment_failed.generic', 'vi', { ...data, timeZone: 'Not/AZone' }).text).toContain('14 tháng 3, 2025');
  });

  it('leaves out a date it cannot read instead of printing "Invalid Date"', () => {
    const data = { ...sampleEmailData('payment_failed.generic', 'en'), nextRetryAt: 'soon' };
    const { text } = renderEmail('payment_failed.generic', 'en', data);
    expect(text).toContain("We'll try again automatically in a few days.");
    expect(text).not.toMatch(/invalid/i);
  });

  it.each([
    [
      'cancel_subscription',
      'your subscription will be cancelled on March 28, 2025',
      'Your Acme Analytics subscription has been cancelled',
    ],
    [
      'pause_collection',
      'your subscription will be paused on March 28, 2025',
      'Your Acme Analytics subscription has been paused',
    ],
    [
      'mark_uncollectible',
      'your access to Acme Analytics will be suspended on March 28, 2025',
      'Your access to Acme Analytics has been suspended',
    ],
    [
      'leave_past_due',
      'your access to Acme Analytics will be suspended on March 28, 2025',
      'Your access to Acme Analytics has been suspended',
    ],
  ] as const)('explains %s ahead of time and once done', (endAction, ahead, endedSubject) => {
    const data = { ...sampleEmailData('final_notice', 'en'), endAction };
    expect(renderEmail('final_notice', 'en', data).subject).toBe(`Final notice: ${ahead}`);
    expect(renderEmail('reminder', 'en', data).text).toContain(`If we still can't collect the payment, ${ahead}.`);
    expect(renderEmail('subscription_ended', 'en', data).subject).toBe(endedSubject);
  });

  it('says nothing about an end when the policy has none', () => {
    const data = { ...sampleEmailData('reminder', 'en'), endAction: undefined, endsAt: undefined };
    const { text } = renderEmail('reminder', 'en', data);
    expect(text).toContain('keeps running as normal');
    expect(text).not.toMatch(/cancelled|suspended|paused/);
  });
});

describe('decline reasons', () => {
  const render = (declineReason: string | undefined, locale: EmailLocale = 'en') =>
    renderEmail('new_card_declined', locale, { ...sampleEmailData('new_card_declined', locale), declineReason }).text;

  it('explains known reasons in a human sentence', () => {
    expect(render('expired_card')).toContain('The card has expired.');
    expect(render('incorrect_cvc')).toContain('security code (CVC) was incorrect');
    expect(render('insufficient_funds', 'vi')).toContain('không đủ số dư');
  });

  it('reads unknown reasons, and ones Stripe asks us not to reveal, as a generic decline', () => {
    for (const reason of ['do_not_honor', 'stolen_card', 'fraudulent', 'something_new', undefined]) {
      expect(render(reason)).toContain('Your bank declined the payment without giving a specific reason.');
    }
    expect(render('stolen_card')).not.toMatch(/stolen/i);
  });
});

describe('pickLocale', () => {
  it.each([
    [undefined, 'en'],
    [[], 'en'],
    [['vi'], 'vi'],
    [['vi-VN'], 'vi'],
    [['VI_vn'], 'vi'],
    [['fr-FR', 'vi'], 'vi'],
    [['en-GB', 'vi'], 'en'],
    [['de', 'ja'], 'en'],
  ] as Array<[string[] | undefined, EmailLocale]>)('%j → %s', (preferred, expected) => {
    expect(pickLocale(preferred)).toBe(expected);
  });
});

describe('templateForCategory', () => {
  const expected: Record<DeclineCategory, TemplateName> = {
    insufficient_funds: 'payment_failed.insufficient_funds',
    temporary: 'payment_failed.generic',
    payment_method: 'payment_failed.card_invalid',
    authentication: 'payment_failed.authentication',
    never_retry: 'payment_failed.card_invalid',
    unknown: 'payment_failed.generic',
  };
  it.each(DECLINE_CATEGORIES.map((c) => [c, expected[c]]))('%s → %s', (category, template) => {
    expect(templateForCategory(category)).toBe(template);
  });
});
