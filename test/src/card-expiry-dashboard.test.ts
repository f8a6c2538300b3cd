import { describe, expect, it } from 'vitest';
import { cardExpirySection, tallyReminders } from '../../src/dashboard/cardExpirySection';

describe('the dashboard’s card expiry reminders', () => {
  it('counts sent reminders, cards updated after them, and reminders the account updater made unneeded', () => {
    const t = tallyReminders([
      'reminded',
      'reminded_card_updated',
      'reminded_card_updated',
      'reminded_expired',
      'reminded_not_renewing',
      'skipped_refreshed',
      'skipped_replaced',
      'skipped_no_email',
      'email_refused',
      undefined,
    ]);
    expect(t).toEqual({ sent: 5, cardUpdated: 2, waiting: 1, skippedUpdated: 2, skippedOther: 2, truncated: false });
  });

  it('shows nothing when no reminder ran, the figures otherwise', () => {
    expect(cardExpirySection(tallyReminders([]), 'December 2026')).toBe('');
    expect(cardExpirySection(undefined, 'December 2026')).toBe('');
    const html = cardExpirySection(tallyReminders(['reminded_card_updated', 'skipped_refreshed']), 'December 2026');
    expect(html).toContain('<span data-figure="expiry-reminders-sent">1</span>');
    expect(html).toContain('<span data-figure="expiry-cards-updated">1</span>');
    expect(html).toContain('<span data-figure="expiry-skipped-updated">1</span>');
  });
});
