import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSms } from '../../activities/sms/smsCopy';
import { SMS_TEMPLATES } from '../../domain/sms';
import { segmentsOf } from '../../sandbox/twilio';

const GOLDEN_DIR = join(__dirname, '../golden/sms');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const data = {
  businessName: 'Acme',
  amountDue: 4200,
  currency: 'usd',
  invoiceNumber: 'INV-2025-0042',
  updateUrl: 'https://billing.example.com/billing/update/TOKEN',
  endsAt: '2025-03-14T12:00:00Z',
  timeZone: 'Asia/Ho_Chi_Minh',
  reference: 'K7Q2MX',
};

describe('golden texts', () => {
  for (const template of SMS_TEMPLATES) {
    for (const locale of ['en', 'vi'] as const) {
      it(`${template} (${locale})`, () => {
        const body = renderSms(template, locale, data);
        const path = join(GOLDEN_DIR, `${template}.${locale}.txt`);
        if (UPDATE) {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(path, `${body}\n`);
          return;
        }
        if (!existsSync(path)) throw new Error(`missing golden file ${path}: run with UPDATE_GOLDEN=1 and review it`);
        expect(`${body}\n`).toBe(readFileSync(path, 'utf8'));
        // The reference ends the text (the retried send looks for it there), the link and STOP are in it.
        expect(body.endsWith(' K7Q2MX')).toBe(true);
        expect(body).toContain(data.updateUrl);
        expect(body).toContain('STOP');
        // Short enough: at most 3 segments (7 in UCS-2) with the link's real length (about 200 characters).
        expect(segmentsOf(body.replace('TOKEN', 'x'.repeat(200)))).toBeLessThanOrEqual(locale === 'vi' ? 7 : 3);
      });
    }
  }
  it('a default business name (“Your subscription”) is no sender name', () => {
    expect(renderSms('reminder', 'en', { ...data, businessName: 'Your subscription' })).toMatch(/^Your payment of/);
  });
});
