import { EMAIL_LOCALES, type EmailLocale } from './email-data';

export { EMAIL_LOCALES, type EmailLocale };

/**
 * The first of the Stripe customer's `preferred_locales` we have copy for. Only the language
 * subtag matters ('vi-VN', 'vi_VN', 'VI' → 'vi'): our copy has no regional variants.
 */
export function pickLocale(preferredLocales: string[] | undefined): EmailLocale {
  for (const tag of preferredLocales ?? []) {
    const language = tag.trim().toLowerCase().split(/[-_]/)[0];
    const match = EMAIL_LOCALES.find((l) => l === language);
    if (match) return match;
  }
  return 'en';
}
