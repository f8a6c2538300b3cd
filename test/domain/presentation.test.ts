/**
 * How money, cards and languages are written, for the emails and the case's summaries alike
 * (the email templates re-export domain/presentation.ts).
 */
import { describe, expect, it } from 'vitest';
import { cardBrandName, formatAmount, pickLocale } from '../../domain/presentation';

describe('presentation', () => {
  it.each([
    [[], 'en'],
    [['vi-VN'], 'vi'],
    [['VI'], 'vi'],
    [['fr', 'vi_VN'], 'vi'],
    [['fr'], 'en'],
    [[' en-GB '], 'en'],
  ])('the first preferred language we have copy for: %j → %s', (tags, expected) => {
    expect(pickLocale(tags)).toBe(expected);
  });

  it.each([
    [2900, 'usd', 'en', '$29.00'],
    [1999, 'eur', 'en', '€19.99'],
    [50_000, 'VND', 'en', '₫50,000'],
    [100, 'bad!', 'en', '1.00 BAD!'],
  ])('%d %s in %s → %s', (amount, currency, locale, expected) => {
    expect(formatAmount(amount, currency, locale)).toBe(expected);
  });

  it('zero-decimal currencies in Vietnamese', () => {
    expect(formatAmount(50_000, 'vnd', 'vi').replace(/\s/g, ' ')).toBe('50.000 ₫');
  });

  it.each([
    ['visa', 'Visa'],
    ['amex', 'American Express'],
    ['cartes_bancaires', 'Cartes Bancaires'],
    ['some_new_brand', 'Some New Brand'],
    ['unknown', undefined],
    [undefined, undefined],
  ])('card brand %s → %s', (brand, expected) => {
    expect(cardBrandName(brand)).toBe(expected);
  });
});
