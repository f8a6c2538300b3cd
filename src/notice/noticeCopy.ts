/**
 * The in-app notice's words, in every language the emails speak. The buttons say what the emails'
 * buttons say (activities/email/templates), so the customer meets the same words in both places.
 */
import { brandName, emailLabels, type EmailLocale } from '../../activities/email/templates';
import type { NoticeSeverity } from '../../domain/noticeSeverity';

/** What a sentence may mention, already written for the locale. */
export interface NoticeFacts {
  /** BUSINESS_NAME: a name, or a description ("Your subscription"), which brandName leaves out. */
  business: string;
  /** "$49.00", "499.000 ₫" */
  amount: string;
  /** When the grace period ends ("December 21, 2026"); unknown while the case plans. */
  graceEnds?: string;
}

export interface NoticeCopy {
  title: string;
  message: string;
  update: string;
  /** The update button when the bank wants the payment confirmed (authentication). */
  confirm: string;
  retry: string;
}

type Sentences = Record<NoticeSeverity, { title: (f: NoticeFacts) => string; message: (f: NoticeFacts) => string }>;

const EN: Sentences = {
  notice: {
    title: () => "Your last payment didn't go through",
    message: (f) =>
      `We couldn't collect ${f.amount}${brandName(f.business) ? ` for ${brandName(f.business)}` : ''}. Please update your payment method; your service keeps running meanwhile.`,
  },
  warning: {
    title: () => 'Your payment is still overdue',
    message: (f) =>
      `${f.amount} is still unpaid.${f.graceEnds ? ` Please update your payment method before ${f.graceEnds} to keep your access.` : ' Please update your payment method to keep your access.'}`,
  },
  wall: {
    title: () => 'Action needed: your payment has failed',
    message: (f) =>
      `${f.amount} is overdue${f.graceEnds ? ` and your grace period ends on ${f.graceEnds}` : ''}. Update your payment method now to keep your access.`,
  },
};

const VI: Sentences = {
  notice: {
    title: () => 'Khoản thanh toán gần nhất của bạn chưa thành công',
    message: (f) =>
      `Chúng tôi chưa thu được ${f.amount}${brandName(f.business) ? ` cho ${brandName(f.business)}` : ''}. Vui lòng cập nhật phương thức thanh toán; dịch vụ của bạn vẫn hoạt động bình thường trong thời gian này.`,
  },
  warning: {
    title: () => 'Khoản thanh toán của bạn vẫn còn quá hạn',
    message: (f) =>
      `${f.amount} vẫn chưa được thanh toán.${f.graceEnds ? ` Vui lòng cập nhật phương thức thanh toán trước ${f.graceEnds} để tiếp tục sử dụng dịch vụ.` : ' Vui lòng cập nhật phương thức thanh toán để tiếp tục sử dụng dịch vụ.'}`,
  },
  wall: {
    title: () => 'Cần xử lý ngay: thanh toán của bạn không thành công',
    message: (f) =>
      `${f.amount} đã quá hạn${f.graceEnds ? ` và thời gian gia hạn kết thúc vào ${f.graceEnds}` : ''}. Hãy cập nhật phương thức thanh toán ngay để tiếp tục sử dụng dịch vụ.`,
  },
};

const BUTTONS: Record<EmailLocale, { update: string; confirm: string }> = {
  en: { update: 'Update payment method', confirm: 'Confirm payment' },
  vi: { update: 'Cập nhật phương thức thanh toán', confirm: 'Xác nhận thanh toán' },
};

const SENTENCES: Record<EmailLocale, Sentences> = { en: EN, vi: VI };

export function noticeCopy(locale: EmailLocale, severity: NoticeSeverity, f: NoticeFacts): NoticeCopy {
  const s = SENTENCES[locale][severity];
  return {
    title: s.title(f),
    message: s.message(f),
    ...BUTTONS[locale],
    retry: emailLabels(locale).retryNow,
  };
}
