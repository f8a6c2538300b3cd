/**
 * The subject of every email, to the letter, in every language: under the default settings
 * (BUSINESS_NAME unset, "Your subscription") and with a real name. Any change to the copy shows
 * here in review. The rest of each email is pinned by the golden files of email-templates.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  brandName,
  EMAIL_LOCALES,
  renderEmail,
  TEMPLATE_NAMES,
  type EmailData,
  type EmailLocale,
  type TemplateName,
} from '../../activities/email/templates';
import { sampleEmailData } from '../../activities/email/templates/sample-data';
import { loadConfig } from '../../src/config';
import { LINK_PAGE_COPY } from '../../src/http/linkPageCopy';

// Intl separates amount and symbol with a no-break space; the tables read better with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

const dataDir = mkdtempSync(join(tmpdir(), 'email-subjects-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
/** BUSINESS_NAME as the service reads it from this environment (DATA_DIR only for the dev secrets). */
const businessName = (env: NodeJS.ProcessEnv = {}) => loadConfig({ DATA_DIR: dataDir, ...env }).email.businessName;

type Variant = [key: string, name: TemplateName, locale: EmailLocale, data: Partial<EmailData>];

/** The sample email of each template and language (sample-data.ts), and the other ends the subjects know. */
function variants(): Variant[] {
  const rows = TEMPLATE_NAMES.flatMap((name) => EMAIL_LOCALES.map((locale): Variant => [`${name} ${locale}`, name, locale, {}]));
  for (const locale of EMAIL_LOCALES) {
    rows.push(
      [`final_notice ${locale}, no end`, 'final_notice', locale, { endAction: undefined, endsAt: undefined }],
      [`subscription_ended ${locale}, paused`, 'subscription_ended', locale, { endAction: 'pause_collection' }],
      [`subscription_ended ${locale}, access suspended`, 'subscription_ended', locale, { endAction: undefined }],
    );
  }
  return rows;
}

function subjects(name: string): Record<string, string> {
  return Object.fromEntries(
    variants().map(([key, template, locale, data]) => [
      key,
      plain(renderEmail(template, locale, { ...sampleEmailData(template, locale), ...data, businessName: name }).subject),
    ]),
  );
}

describe('email subjects', () => {
  it('under the default settings', () => {
    expect(businessName()).toBe('Your subscription');
    expect(subjects(businessName())).toEqual({
      'payment_failed.insufficient_funds en': "Your subscription payment of $49.00 didn't go through",
      'payment_failed.insufficient_funds vi': 'Thanh toán 499.000 ₫ cho gói đăng ký của bạn không thành công',
      'payment_failed.card_invalid en': 'Please update your payment method',
      'payment_failed.card_invalid vi': 'Vui lòng cập nhật phương thức thanh toán cho gói đăng ký của bạn',
      'payment_failed.authentication en': 'Please confirm your subscription payment of $49.00',
      'payment_failed.authentication vi': 'Vui lòng xác nhận khoản thanh toán 499.000 ₫ cho gói đăng ký của bạn',
      'payment_failed.generic en': 'There was a problem with your subscription payment',
      'payment_failed.generic vi': 'Thanh toán cho gói đăng ký của bạn không thành công',
      'reminder en': 'Reminder: your subscription payment of $49.00 is still due',
      'reminder vi': 'Nhắc thanh toán: khoản 499.000 ₫ cho gói đăng ký của bạn vẫn chưa được thanh toán',
      'final_notice en': 'Final notice: your subscription will be cancelled on March 28, 2025',
      'final_notice vi': 'Thông báo cuối: gói đăng ký của bạn sẽ bị hủy vào ngày 28 tháng 3, 2025',
      'new_card_declined en': 'Your new payment method was declined',
      'new_card_declined vi': 'Phương thức thanh toán mới cho gói đăng ký của bạn đã bị từ chối',
      'payment_recovered en': 'Thank you! Your subscription payment went through',
      'payment_recovered vi': 'Cảm ơn bạn! Thanh toán cho gói đăng ký của bạn đã thành công',
      'subscription_ended en': 'Your subscription has been cancelled',
      'subscription_ended vi': 'Gói đăng ký của bạn đã bị hủy',
      'card_expiring en': 'Your card for your subscription expires soon',
      'card_expiring vi': 'Thẻ thanh toán cho gói đăng ký của bạn sắp hết hạn',
      'final_notice en, no end': 'Final notice: your subscription payment is overdue',
      'subscription_ended en, paused': 'Your subscription has been paused',
      'subscription_ended en, access suspended': 'Your access has been suspended',
      'final_notice vi, no end': 'Thông báo cuối: khoản thanh toán cho gói đăng ký của bạn đã quá hạn',
      'last_chance_offer en': 'Before your subscription ends: an offer for you',
      'last_chance_offer vi': 'Trước khi gói đăng ký của bạn kết thúc: một ưu đãi dành cho bạn',
      'subscription_ended vi, paused': 'Gói đăng ký của bạn đã bị tạm dừng',
      'subscription_ended vi, access suspended': 'Quyền truy cập của bạn đã bị tạm ngưng',
    });
  });

  it('with BUSINESS_NAME=Acme', () => {
    expect(subjects(businessName({ BUSINESS_NAME: 'Acme' }))).toEqual({
      'payment_failed.insufficient_funds en': "Your Acme payment of $49.00 didn't go through",
      'payment_failed.insufficient_funds vi': 'Thanh toán 499.000 ₫ cho Acme không thành công',
      'payment_failed.card_invalid en': 'Please update your payment method for Acme',
      'payment_failed.card_invalid vi': 'Vui lòng cập nhật phương thức thanh toán cho Acme',
      'payment_failed.authentication en': 'Please confirm your Acme payment of $49.00',
      'payment_failed.authentication vi': 'Vui lòng xác nhận khoản thanh toán 499.000 ₫ cho Acme',
      'payment_failed.generic en': 'There was a problem with your Acme payment',
      'payment_failed.generic vi': 'Thanh toán cho Acme không thành công',
      'reminder en': 'Reminder: your Acme payment of $49.00 is still due',
      'reminder vi': 'Nhắc thanh toán: khoản 499.000 ₫ cho Acme vẫn chưa được thanh toán',
      'final_notice en': 'Final notice: your subscription will be cancelled on March 28, 2025',
      'final_notice vi': 'Thông báo cuối: gói đăng ký của bạn sẽ bị hủy vào ngày 28 tháng 3, 2025',
      'new_card_declined en': 'Your new payment method for Acme was declined',
      'new_card_declined vi': 'Phương thức thanh toán mới cho Acme đã bị từ chối',
      'payment_recovered en': 'Thank you! Your Acme payment went through',
      'payment_recovered vi': 'Cảm ơn bạn! Thanh toán cho Acme đã thành công',
      'subscription_ended en': 'Your Acme subscription has been cancelled',
      'subscription_ended vi': 'Gói đăng ký Acme của bạn đã bị hủy',
      'card_expiring en': 'Your card for your Acme subscription expires soon',
      'card_expiring vi': 'Thẻ thanh toán cho Acme sắp hết hạn',
      'final_notice en, no end': 'Final notice: your Acme payment is overdue',
      'subscription_ended en, paused': 'Your Acme subscription has been paused',
      'subscription_ended en, access suspended': 'Your access to Acme has been suspended',
      'final_notice vi, no end': 'Thông báo cuối: khoản thanh toán cho Acme đã quá hạn',
      'last_chance_offer en': 'Before your Acme subscription ends: an offer for you',
      'last_chance_offer vi': 'Trước khi gói đăng ký Acme của bạn kết thúc: một ưu đãi dành cho bạn',
      'subscription_ended vi, paused': 'Gói đăng ký Acme của bạn đã bị tạm dừng',
      'subscription_ended vi, access suspended': 'Quyền truy cập Acme của bạn đã bị tạm ngưng',
    });
  });
});

describe('the default BUSINESS_NAME in the bodies', () => {
  // Without an invoice number the copy names what the payment is for: the business, or the subscription.
  const cases = variants().flatMap(([key, name, locale, data]) =>
    [data, { ...data, invoiceNumber: undefined }].map(
      (d, i) => [`${key}${i ? ', no invoice number' : ''}`, name, locale, d] as const,
    ),
  );

  it.each(cases)('%s reads without the name doubled', (_key, name, locale, data) => {
    const { html, text } = renderEmail(name, locale, { ...sampleEmailData(name, locale), ...data, businessName: businessName() });
    for (const part of [html, text]) {
      // "Your Your subscription", "for your Your subscription subscription", "The Your subscription team"
      expect(part).not.toMatch(/[a-z] +Your\b/);
      expect(part).not.toMatch(/subscription\s+(?:subscription|service|team)\b/i);
      // A Vietnamese email does not quote the English default.
      if (locale === 'vi') expect(part).not.toContain(businessName());
    }
  });

  it('signs off as the team of a real name, or as billing', () => {
    const signoff = (locale: EmailLocale, name: string) =>
      renderEmail('reminder', locale, { ...sampleEmailData('reminder', locale), businessName: name }).text;
    expect(signoff('en', 'Acme')).toContain('Thanks,\nThe Acme team');
    expect(signoff('en', businessName())).toContain('Thanks,\nThe billing team');
    expect(signoff('vi', 'Acme')).toContain('Trân trọng,\nĐội ngũ Acme');
    expect(signoff('vi', businessName())).toContain('Trân trọng,\nBộ phận thanh toán');
  });
});

describe('brandName', () => {
  it('reads a BUSINESS_NAME that starts with "Your" as a description, anything else as a name', () => {
    expect(brandName('Your subscription')).toBeUndefined();
    expect(brandName('  your account ')).toBeUndefined();
    expect(brandName('Acme')).toBe('Acme');
    expect(brandName('Yours Truly')).toBe('Yours Truly');
    expect(brandName('YourCo')).toBe('YourCo');
  });
});

describe('the retry page', () => {
  const intro = (locale: EmailLocale, business: string) =>
    LINK_PAGE_COPY[locale].retry.confirm.intro({ business, amount: '$29.00', card: 'Visa •••• 4242' });

  it('says what the charge is for with the default name and a real one', () => {
    expect(intro('en', businessName())).toBe("We'll charge $29.00 to your Visa •••• 4242 for your subscription.");
    expect(intro('en', 'Acme')).toBe("We'll charge $29.00 to your Visa •••• 4242 for your Acme subscription.");
    expect(intro('vi', businessName())).toBe('Chúng tôi sẽ thu $29.00 từ thẻ Visa •••• 4242 của bạn cho gói đăng ký của bạn.');
    expect(intro('vi', 'Acme')).toBe('Chúng tôi sẽ thu $29.00 từ thẻ Visa •••• 4242 của bạn cho gói đăng ký Acme.');
  });
});
