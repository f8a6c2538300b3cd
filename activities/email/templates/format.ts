import type { EmailLocale } from './email-data';

/**
 * `amount` in minor units, as the locale writes money. The number of minor digits comes from Intl
 * (USD 2, VND and JPY 0), the same table Stripe's zero-decimal currencies follow.
 */
export function formatAmount(amount: number, currency: string, locale: EmailLocale): string {
  const code = currency.trim().toUpperCase();
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
  } catch {
    // A malformed code must not stop a dunning email: show the figure with the raw code.
    return `${(amount / 100).toFixed(2)} ${code}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

/**
 * A day as the locale writes it ("March 14, 2025", "14 tháng 3, 2025") in the customer's zone.
 * An unparseable instant yields undefined so the sentence that needs it is left out, not garbled.
 */
export function formatDate(iso: string | undefined, locale: EmailLocale, timeZone: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: timeZone || 'UTC' }).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
  }
}

/**
 * A moment as the locale writes it ("March 15, 2025 at 3:00 AM", "lúc 03:00 15 tháng 3, 2025"),
 * for "you can try again from …". In the customer's zone; without one, in UTC and saying so.
 */
export function formatDateTime(iso: string | undefined, locale: EmailLocale, timeZone: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const utc = () =>
    new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZoneName: 'short',
      timeZone: 'UTC',
    }).format(date);
  if (!timeZone) return utc();
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone }).format(date);
  } catch {
    return utc();
  }
}

const BRAND_NAMES: Record<string, string> = {
  amex: 'American Express',
  american_express: 'American Express',
  cartes_bancaires: 'Cartes Bancaires',
  diners: 'Diners Club',
  discover: 'Discover',
  eftpos_au: 'eftpos',
  jcb: 'JCB',
  link: 'Link',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
};

/** Stripe's brand id ('mastercard') as people say it; brands we don't know are title-cased. */
export function cardBrandName(brand: string | undefined): string | undefined {
  const id = brand?.trim().toLowerCase();
  if (!id || id === 'unknown') return undefined;
  return BRAND_NAMES[id] ?? id.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}
