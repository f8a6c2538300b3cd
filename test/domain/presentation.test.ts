/**
 * domain/presentation.ts holds the rules the email templates hold too (until they re-export it):
 * both must answer alike, or the Web UI and the customer's email would disagree.
 */
import { describe, expect, it } from 'vitest';
import * as emailFormat from '../../activities/email/templates/format';
import * as emailLocale from '../../activities/email/templates/locale';
import { cardBrandName, EMAIL_LOCALES, formatAmount, pickLocale } from '../../domain/presentation';

describe('presentation rules agree with the email templates', () => {
  it('the same languages, picked the same way', () => {
    expect([...EMAIL_LOCALES]).toEqual([...emailLocale.EMAIL_LOCALES]);
    for (const tags of [[], ['vi-VN'], ['VI'], ['fr', 'vi_VN'], ['fr'], [' en-GB ']]) {
      expect(pickLocale(tags), tags.join()).toBe(emailLocale.pickLocale(tags));
    }
  });

  it('the same amounts and card brands', () => {
    for (const [amount, currency] of [
      [2900, 'usd'],
      [50_000, 'VND'],
      [1999, 'eur'],
      [100, 'bad!'],
    ] as const) {
      for (const locale of EMAIL_LOCALES)
        expect(formatAmount(amount, currency, locale)).toBe(emailFormat.formatAmount(amount, currency, locale));
    }
    for (const brand of ['visa', 'amex', 'cartes_bancaires', 'some_new_brand', 'unknown', undefined]) {
      expect(cardBrandName(brand)).toBe(emailFormat.cardBrandName(brand));
    }
  });
});
