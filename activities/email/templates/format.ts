import type { EmailLocale } from './email-data';

// Money and card brands are written the same in emails and in the Web UI: one rule, in domain/.
export { cardBrandName, formatAmount } from '../../../domain/presentation';

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

/** A card's expiry month as the locale writes it ("December 2026", "tháng 12 năm 2026"); undefined when unknown. */
export function formatMonth(month: number | undefined, year: number | undefined, locale: EmailLocale): string | undefined {
  if (!month || !year || month < 1 || month > 12) return undefined;
  return new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year, month - 1, 15)),
  );
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
