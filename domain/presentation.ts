/**
 * How money, cards, languages and times are written for people, in a form workflow code may import
 * (pure, no I/O, Intl with explicit options only). The email templates re-export these
 * (activities/email/templates: format.ts, locale.ts), so the Web UI and the emails never disagree.
 */

/** The languages we have email copy for. */
export const EMAIL_LOCALES = ['en', 'vi'] as const;
export type EmailLocale = (typeof EMAIL_LOCALES)[number];

/**
 * The first of the Stripe customer's `preferred_locales` we have copy for. Only the language
 * subtag matters ('vi-VN', 'vi_VN', 'VI' → 'vi'): our copy has no regional variants.
 */
export function pickLocale(preferredLocales: readonly string[] | undefined): EmailLocale {
  for (const tag of preferredLocales ?? []) {
    const language = tag.trim().toLowerCase().split(/[-_]/)[0];
    const match = EMAIL_LOCALES.find((l) => l === language);
    if (match) return match;
  }
  return 'en';
}

/**
 * `amount` in minor units, as the locale writes money. The number of minor digits comes from Intl
 * (USD 2, VND and JPY 0), the same table Stripe's zero-decimal currencies follow.
 */
export function formatAmount(amount: number, currency: string, locale: string): string {
  const code = currency.trim().toUpperCase();
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
  } catch {
    // A malformed code must not stop anything that shows an amount: the figure with the raw code.
    return `${(amount / 100).toFixed(2)} ${code}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
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

// ---- times --------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat | undefined>();

/** The `Dec 1, 09:00` formatter of a zone, made once; undefined for a zone Intl does not know. */
function clockFormat(timeZone: string): Intl.DateTimeFormat | undefined {
  if (formatters.has(timeZone)) return formatters.get(timeZone);
  let f: Intl.DateTimeFormat | undefined;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    f = undefined;
  }
  formatters.set(timeZone, f);
  return f;
}

/** `Dec 1, 09:00` in `timeZone` (UTC for a zone Intl does not know), where the zone is named elsewhere. */
export function clockLabel(ms: number, timeZone: string): string {
  return (clockFormat(timeZone) ?? clockFormat('UTC')!).format(ms);
}

/** `Dec 1, 09:00 America/New_York`: the case's zone named, so nobody converts in their head. */
export function whenLabel(ms: number, timeZone: string): string {
  const zone = clockFormat(timeZone) ? timeZone : 'UTC';
  return `${clockLabel(ms, zone)} ${zone}`;
}
