// What a verified Resend event means for a case (src/http/resendEvents.ts): pure, so every shape
// Resend sends (resend-node's WebhookEventPayload) is pinned here.
import { describe, expect, it } from 'vitest';
import { interpretResendEvent } from '../../src/http/resendEvents';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const base = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  created_at: '2026-12-01T09:59:00.000Z',
  data: {
    created_at: '2026-12-01T09:58:00.000Z',
    email_id: 'em_1',
    message_id: '<em_1@resend.dev>',
    from: 'Billing <billing@example.com>',
    to: [' Ada@Example.org '],
    subject: 'Your payment failed',
    tags: { invoice_id: 'in_1', template: 'payment_failed' },
    ...extra,
  },
});

describe('interpretResendEvent', () => {
  it.each([
    [
      'email.bounced',
      'bounced',
      { bounce: { message: 'no such mailbox', subType: 'General', type: 'Permanent' } },
      'no such mailbox',
    ],
    ['email.complained', 'complained', {}, undefined],
    [
      'email.suppressed',
      'suppressed',
      { suppressed: { message: 'on the suppression list', type: 'bounce' } },
      'on the suppression list',
    ],
    ['email.failed', 'failed', { failed: { reason: 'reached_daily_quota' } }, 'reached_daily_quota'],
  ])('%s: the case of the invoice_id tag hears %s', (type, event, extra, reason) => {
    expect(interpretResendEvent(base(type, extra), NOW)).toEqual({
      kind: 'undeliverable',
      invoiceId: 'in_1',
      signal: {
        event,
        address: 'ada@example.org',
        emailId: 'em_1',
        ...(reason ? { reason } : {}),
        occurredAt: '2026-12-01T09:59:00.000Z',
      },
    });
  });

  it('reads tags sent as [{ name, value }] too', () => {
    const r = interpretResendEvent(base('email.bounced', { tags: [{ name: 'invoice_id', value: 'in_2' }] }), NOW);
    expect(r).toMatchObject({ kind: 'undeliverable', invoiceId: 'in_2' });
  });

  it('ignores other types, emails that are not ours, and invalid shapes, saying why', () => {
    expect(interpretResendEvent(base('email.delivered'), NOW)).toEqual({
      kind: 'ignore',
      reason: 'email.delivered is not a delivery failure',
    });
    expect(interpretResendEvent(base('email.bounced', { tags: { category: 'welcome' } }), NOW)).toEqual({
      kind: 'ignore',
      reason: 'not a dunning email (no invoice_id tag)',
    });
    expect(interpretResendEvent(base('email.bounced', { to: [] }), NOW)).toMatchObject({
      kind: 'ignore',
      reason: expect.stringMatching(/data\.to/),
    });
    expect(interpretResendEvent({ nope: true }, NOW)).toEqual({ kind: 'ignore', reason: 'no event type' });
    expect(interpretResendEvent(null, NOW)).toEqual({ kind: 'ignore', reason: 'no event type' });
  });

  it('an event without a readable time takes the time it arrived', () => {
    const r = interpretResendEvent({ ...base('email.complained'), created_at: 'yesterday' }, NOW);
    expect(r).toMatchObject({ signal: { occurredAt: NOW.toISOString() } });
  });
});
