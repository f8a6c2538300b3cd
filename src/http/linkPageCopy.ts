/**
 * The words of the pages behind the email links, in every language the emails speak. The button
 * labels and the decline sentences are the emails' own (activities/email/templates), so the page
 * says "Retry my payment now" exactly as the button the customer just pressed did.
 */
import { brandName, type EmailLocale } from '../../activities/email/templates';
import type { FinalState, RetryRefusal } from '../../domain/types';
import type { OfferKind, OfferRefusal } from '../../domain/offers';

/** What a page sentence may mention, already formatted for the locale. */
export interface PageFacts {
  /** BUSINESS_NAME as configured: a name ("Acme") or a description (the default, "Your subscription"; see brandName). */
  business: string;
  /** "$19.99", "499.000 ₫" */
  amount: string;
  /** "Visa •••• 4242", when the case knows the card. */
  card?: string;
  /** When a retry will be possible again ("March 15, 2025 at 3:00 AM"). */
  when?: string;
}

/** "Acme subscription" with a real name, "subscription" when BUSINESS_NAME only describes (the default). */
function named(business: string, noun: string): string {
  const name = brandName(business);
  return name ? `${name} ${noun}` : noun;
}

interface TitleBody {
  title: string;
  body: string;
}

export interface LinkPageCopy {
  badLink: TitleBody;
  expired: TitleBody;
  unavailable: TitleBody;
  retry: {
    confirm: { title: string; intro(f: PageFacts): string; amount: string; card: string; note: string; staleForm: string };
    succeeded: TitleBody;
    declined: { title: string; next: string };
    /** A bank debit was accepted (or is still settling): it takes days, nothing to do meanwhile. */
    processing: TitleBody;
    notPossible: { title: string; reasons: Record<Exclude<RetryRefusal, 'case_over'>, (f: PageFacts) => string> };
    ended: Record<FinalState, TitleBody>;
    noCase: TitleBody;
    /** No answer from the case (Temporal unreachable or slow): pressing again is safe. */
    noAnswer: TitleBody & { button: string };
  };
  /** The last-chance offer's page (`/billing/offer/:token`); its "case over" pages are `retry.ended`. */
  offer: {
    confirm: {
      title: string;
      intro(what: string, f: PageFacts): string;
      offer: string;
      amount: string;
      invoice: string;
      note: string;
      /** The page's button: it accepts (the email's "See the offer" only opened the page). */
      button: string;
    };
    applied: { title: string; body: Record<OfferKind, string> };
    failed: TitleBody;
    notPossible: { title: string; reasons: Record<Exclude<OfferRefusal, 'case_over'>, string> };
  };
}

const EN_OFFER: LinkPageCopy['offer'] = {
  confirm: {
    title: 'One more option before your subscription ends',
    intro: (what, f) => `Instead of ending your ${named(f.business, 'subscription')}, we can offer you ${what}.`,
    offer: 'Our offer',
    amount: 'Unpaid amount',
    invoice: 'If you accept, we stop collecting the unpaid amount and your subscription goes on with the offer.',
    note: 'Press the button once: the result shows on the next page.',
    button: 'Accept the offer',
  },
  applied: {
    title: 'Done: your offer is in place',
    body: {
      pause: 'Your payments are paused, and your subscription goes on. We stop collecting the unpaid amount.',
      coupon: 'Your discount is in place for your next payments. We stop collecting the unpaid amount.',
      downgrade: 'Your plan is changed, and your next payments are at its lower price. We stop collecting the unpaid amount.',
    },
  },
  failed: {
    title: "We couldn't apply this offer",
    body: 'Something went wrong on our side, and nothing has changed. You can still use a different card, or reply to our email and we will sort it out.',
  },
  notPossible: {
    title: "This offer isn't available",
    reasons: {
      not_offered: "We don't have an offer for this payment. Please use the link in our most recent email.",
      processing: 'A payment from your bank account is on its way for this invoice. Nothing more is needed meanwhile.',
      failed: "We couldn't apply this offer earlier, so it is no longer available. You can still use a different card.",
    },
  },
};

const en: LinkPageCopy = {
  offer: EN_OFFER,
  badLink: {
    title: 'This link is not valid',
    body: 'Please open the link exactly as it appears in our email, or contact us for a new one.',
  },
  expired: {
    title: 'This link has expired',
    body: 'Please use the link in our most recent email, or contact us and we will send a new one.',
  },
  unavailable: {
    title: 'Please try again in a moment',
    body: 'We could not open the payment page just now. Your link is still valid.',
  },
  retry: {
    confirm: {
      title: 'Retry your payment',
      intro: (f) =>
        `We'll charge ${f.amount} to ${f.card ? `your ${f.card}` : 'the card you have on file'} for your ${named(f.business, 'subscription')}.`,
      amount: 'Amount',
      card: 'Card',
      note: 'Press the button once: the result shows on the next page.',
      staleForm: 'This page was open for a while, so please confirm once more.',
    },
    succeeded: {
      title: 'Thank you, your payment went through',
      body: 'We have your payment. Your subscription is up to date, and a confirmation is on its way to your inbox.',
    },
    declined: {
      title: 'Your bank declined the payment again',
      next: 'You can use a different card, or contact your bank to find out more.',
    },
    processing: {
      title: 'Your payment is on its way',
      body: "Your bank is processing the debit, which can take a few business days. There's nothing to do meanwhile: we'll let you know if it doesn't go through.",
    },
    notPossible: {
      title: "You can't retry the payment right now",
      reasons: {
        cooldown: (f) =>
          f.when
            ? `You retried a short while ago. You can try again from ${f.when}.`
            : 'You retried a short while ago. Please try again later.',
        budget: (f) =>
          `Your card has been tried many times recently, and the card network's rules ask us to wait. ${
            f.when ? `You can try again from ${f.when}.` : 'Please try again in a few days.'
          }`,
        card_blocked: () => 'Your bank has asked us not to charge this card again. Please use a different card.',
        not_retryable: () => "A retry with this card can't succeed. Please use a different card.",
        busy: () => "We're already processing a payment for this invoice. Please check back in a few minutes.",
        processing: () =>
          'A payment from your bank account is on its way for this invoice, which can take a few business days. Nothing more is charged meanwhile.',
      },
    },
    ended: {
      recovered: { title: 'This invoice is paid', body: "There's nothing more to do. Thank you!" },
      cancelled: { title: 'This invoice is closed', body: "There's nothing left to pay here." },
      exhausted: {
        title: 'This payment can no longer be retried here',
        body: "We've stopped retrying this payment. To settle it or restart your subscription, use a different card or reply to our last email.",
      },
      saved_by_offer: {
        title: 'Your offer is in place',
        body: "You accepted our offer, and your subscription goes on with it. There's nothing more to do.",
      },
    },
    noCase: {
      title: "We couldn't find this payment",
      body: "If you've already paid, there's nothing more to do. Otherwise, please use the link in our most recent email.",
    },
    noAnswer: {
      title: 'Please try again in a moment',
      body: "We couldn't get an answer about your payment just now. Pressing the button again is safe: you won't be charged twice.",
      button: 'Try again',
    },
  },
};

const VI_OFFER: LinkPageCopy['offer'] = {
  confirm: {
    title: 'Thêm một lựa chọn trước khi gói đăng ký của bạn kết thúc',
    intro: (what, f) =>
      `Thay vì kết thúc gói đăng ký ${brandName(f.business) ?? 'của bạn'}, chúng tôi xin gửi bạn ưu đãi: ${what}.`,
    offer: 'Ưu đãi',
    amount: 'Số tiền chưa thanh toán',
    invoice: 'Nếu bạn đồng ý, chúng tôi sẽ ngừng thu khoản chưa thanh toán và gói đăng ký của bạn tiếp tục với ưu đãi này.',
    note: 'Bạn chỉ cần bấm nút một lần: kết quả sẽ hiện ở trang tiếp theo.',
    button: 'Nhận ưu đãi',
  },
  applied: {
    title: 'Xong: ưu đãi của bạn đã được áp dụng',
    body: {
      pause:
        'Các khoản thanh toán của bạn đã được tạm dừng và gói đăng ký vẫn tiếp tục. Chúng tôi ngừng thu khoản chưa thanh toán.',
      coupon: 'Khoản giảm giá đã được áp dụng cho các lần thanh toán tiếp theo. Chúng tôi ngừng thu khoản chưa thanh toán.',
      downgrade:
        'Gói của bạn đã được đổi và các lần thanh toán tiếp theo sẽ theo giá thấp hơn. Chúng tôi ngừng thu khoản chưa thanh toán.',
    },
  },
  failed: {
    title: 'Chúng tôi chưa áp dụng được ưu đãi này',
    body: 'Đã có lỗi từ phía chúng tôi và chưa có gì thay đổi. Bạn vẫn có thể dùng thẻ khác, hoặc trả lời email của chúng tôi để được hỗ trợ.',
  },
  notPossible: {
    title: 'Ưu đãi này không còn khả dụng',
    reasons: {
      not_offered:
        'Chúng tôi không có ưu đãi cho khoản thanh toán này. Vui lòng dùng liên kết trong email gần nhất của chúng tôi.',
      processing:
        'Một khoản thanh toán từ tài khoản ngân hàng của bạn cho hóa đơn này đang được xử lý. Bạn không cần làm gì thêm.',
      failed: 'Trước đó chúng tôi chưa áp dụng được ưu đãi này nên ưu đãi không còn khả dụng. Bạn vẫn có thể dùng thẻ khác.',
    },
  },
};

const vi: LinkPageCopy = {
  offer: VI_OFFER,
  badLink: {
    title: 'Liên kết này không hợp lệ',
    body: 'Vui lòng mở liên kết đúng như trong email của chúng tôi, hoặc liên hệ với chúng tôi để nhận liên kết mới.',
  },
  expired: {
    title: 'Liên kết này đã hết hạn',
    body: 'Vui lòng dùng liên kết trong email gần nhất của chúng tôi, hoặc liên hệ để chúng tôi gửi liên kết mới.',
  },
  unavailable: {
    title: 'Vui lòng thử lại sau ít phút',
    body: 'Hiện chúng tôi chưa mở được trang thanh toán. Liên kết của bạn vẫn còn hiệu lực.',
  },
  retry: {
    confirm: {
      title: 'Thanh toán lại',
      intro: (f) =>
        `Chúng tôi sẽ thu ${f.amount} từ ${f.card ? `thẻ ${f.card} của bạn` : 'thẻ bạn đã lưu'} cho gói đăng ký ${brandName(f.business) ?? 'của bạn'}.`,
      amount: 'Số tiền',
      card: 'Thẻ',
      note: 'Bạn chỉ cần bấm nút một lần: kết quả sẽ hiện ở trang tiếp theo.',
      staleForm: 'Trang này đã mở khá lâu, vui lòng xác nhận lại một lần nữa.',
    },
    succeeded: {
      title: 'Cảm ơn bạn, thanh toán đã thành công',
      body: 'Chúng tôi đã nhận được khoản thanh toán. Gói đăng ký của bạn đã được thanh toán đầy đủ và email xác nhận đang được gửi tới bạn.',
    },
    declined: {
      title: 'Ngân hàng lại từ chối khoản thanh toán',
      next: 'Bạn có thể dùng thẻ khác, hoặc liên hệ ngân hàng để biết thêm chi tiết.',
    },
    processing: {
      title: 'Khoản thanh toán của bạn đang được xử lý',
      body: 'Ngân hàng của bạn đang xử lý khoản ghi nợ, việc này có thể mất vài ngày làm việc. Bạn không cần làm gì thêm: chúng tôi sẽ báo cho bạn nếu khoản thanh toán không thành công.',
    },
    notPossible: {
      title: 'Hiện chưa thể thanh toán lại',
      reasons: {
        cooldown: (f) =>
          f.when
            ? `Bạn vừa thanh toán lại cách đây không lâu. Bạn có thể thử lại từ ${f.when}.`
            : 'Bạn vừa thanh toán lại cách đây không lâu. Vui lòng thử lại sau.',
        budget: (f) =>
          `Thẻ của bạn đã được thử thanh toán nhiều lần trong thời gian gần đây và quy định của tổ chức thẻ yêu cầu chúng tôi chờ. ${
            f.when ? `Bạn có thể thử lại từ ${f.when}.` : 'Vui lòng thử lại sau vài ngày.'
          }`,
        card_blocked: () => 'Ngân hàng của bạn đã yêu cầu chúng tôi không thu tiền từ thẻ này nữa. Vui lòng dùng thẻ khác.',
        not_retryable: () => 'Thanh toán lại bằng thẻ này sẽ không thành công. Vui lòng dùng thẻ khác.',
        busy: () => 'Chúng tôi đang xử lý một khoản thanh toán cho hóa đơn này. Vui lòng quay lại sau vài phút.',
        processing: () =>
          'Một khoản thanh toán từ tài khoản ngân hàng của bạn cho hóa đơn này đang được xử lý, việc này có thể mất vài ngày làm việc. Trong thời gian này sẽ không có khoản thu nào khác.',
      },
    },
    ended: {
      recovered: { title: 'Hóa đơn này đã được thanh toán', body: 'Bạn không cần làm gì thêm. Cảm ơn bạn!' },
      cancelled: { title: 'Hóa đơn này đã đóng', body: 'Không còn khoản nào cần thanh toán ở đây.' },
      exhausted: {
        title: 'Khoản thanh toán này không còn được thử lại ở đây',
        body: 'Chúng tôi đã ngừng thử thanh toán lại. Để thanh toán hoặc đăng ký lại, hãy dùng thẻ khác hoặc trả lời email gần nhất của chúng tôi.',
      },
      saved_by_offer: {
        title: 'Ưu đãi của bạn đã được áp dụng',
        body: 'Bạn đã nhận ưu đãi của chúng tôi và gói đăng ký của bạn tiếp tục với ưu đãi đó. Bạn không cần làm gì thêm.',
      },
    },
    noCase: {
      title: 'Chúng tôi không tìm thấy khoản thanh toán này',
      body: 'Nếu bạn đã thanh toán, bạn không cần làm gì thêm. Nếu chưa, vui lòng dùng liên kết trong email gần nhất của chúng tôi.',
    },
    noAnswer: {
      title: 'Vui lòng thử lại sau ít phút',
      body: 'Hiện chúng tôi chưa nhận được kết quả thanh toán. Bạn có thể yên tâm bấm nút lại: bạn sẽ không bị trừ tiền hai lần.',
      button: 'Thử lại',
    },
  },
};

export const LINK_PAGE_COPY: Record<EmailLocale, LinkPageCopy> = { en, vi };
