/**
 * The text messages' words, in English and Vietnamese (golden files in test/golden/sms/). Short:
 * every 160 GSM-7 characters (70 in UCS-2, which Vietnamese needs) is one more segment billed.
 * Each names the sender, the amount and invoice, carries the update link, says how to stop texts
 * (carriers require it), and ends with the step's reference: a retried send finds its message by it
 * (domain/sms.ts smsReference), so it must stay the body's last word.
 */
import { brandName } from '../email/templates/business-name';
import { formatAmount, formatDate } from '../email/templates/format';
import type { EmailLocale } from '../email/templates/locale';
import type { SmsTemplate } from '../../domain/sms';

export interface SmsData {
  businessName: string;
  amountDue: number;
  currency: string;
  invoiceNumber?: string | null;
  updateUrl: string;
  /** When the case ends (the final notice's "by"). */
  endsAt?: string;
  timeZone?: string;
  reference: string;
}

interface Words {
  amount: string;
  invoice: string;
  by?: string;
  url: string;
}

const COPY: Record<
  EmailLocale,
  { sender: (brand: string | undefined) => string; tail: string; ref: string } & Record<SmsTemplate, (w: Words) => string>
> = {
  en: {
    sender: (brand) => (brand ? `${brand}: ` : ''),
    payment_failed: (w) => `Your payment of ${w.amount}${w.invoice} didn't go through. Update your card: ${w.url}`,
    reminder: (w) => `Your payment of ${w.amount}${w.invoice} is still due. Update your card: ${w.url}`,
    final_notice: (w) =>
      `Last notice: pay ${w.amount}${w.invoice}${w.by ? ` by ${w.by}` : ''} to keep your subscription. Update your card: ${w.url}`,
    tail: 'Reply STOP to opt out.',
    ref: 'Ref',
  },
  vi: {
    sender: (brand) => (brand ? `${brand}: ` : ''),
    payment_failed: (w) => `Thanh toán ${w.amount}${w.invoice} không thành công. Cập nhật thẻ: ${w.url}`,
    reminder: (w) => `Khoản ${w.amount}${w.invoice} vẫn chưa được thanh toán. Cập nhật thẻ: ${w.url}`,
    final_notice: (w) =>
      `Thông báo cuối: thanh toán ${w.amount}${w.invoice}${w.by ? ` trước ${w.by}` : ''} để giữ dịch vụ. Cập nhật thẻ: ${w.url}`,
    tail: 'Trả lời STOP để hủy nhận tin.',
    ref: 'Mã',
  },
};

export function renderSms(template: SmsTemplate, locale: EmailLocale, d: SmsData): string {
  const c = COPY[locale];
  const words: Words = {
    amount: formatAmount(d.amountDue, d.currency, locale).replace(/[\u00a0\u202f]/g, ' '),
    invoice: d.invoiceNumber ? (locale === 'vi' ? ` (hóa đơn ${d.invoiceNumber})` : ` (invoice ${d.invoiceNumber})`) : '',
    url: d.updateUrl,
    ...(template === 'final_notice' && d.endsAt ? { by: formatDate(d.endsAt, locale, d.timeZone) } : {}),
  };
  return `${c.sender(brandName(d.businessName))}${c[template](words)} ${c.tail} ${c.ref} ${d.reference}`;
}
