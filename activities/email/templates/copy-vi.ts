import type { Body, Facts, Links, LocaleCopy, OfferFacts, Paragraph } from './content';
import type { ReasonKey } from './decline-reasons';

/**
 * Vietnamese wording: addresses the customer as "bạn", the usual voice of SaaS emails. Written
 * for Vietnamese readers, not translated word for word (dunning is "nhắc thanh toán" here).
 */

const REASONS: Record<ReasonKey, string> = {
  insufficient_funds: 'Ngân hàng đã từ chối giao dịch vì tài khoản không đủ số dư.',
  limit_exceeded: 'Thẻ đã vượt quá hạn mức chi tiêu hoặc số lần giao dịch cho phép.',
  expired: 'Thẻ đã hết hạn.',
  incorrect_number: 'Số thẻ đã lưu không đúng.',
  incorrect_cvc: 'Mã bảo mật (CVC) của thẻ không đúng.',
  incorrect_expiry: 'Ngày hết hạn của thẻ đã lưu không đúng.',
  incorrect_postal_code: 'Mã bưu chính không khớp với thông tin ngân hàng đang lưu.',
  not_supported: 'Thẻ không hỗ trợ loại giao dịch này.',
  authentication: 'Ngân hàng của bạn yêu cầu xác nhận khoản thanh toán.',
  temporary: 'Đã có sự cố tạm thời khi ngân hàng xử lý thẻ.',
  generic: 'Ngân hàng đã từ chối giao dịch mà không nêu lý do cụ thể.',
};

const reason = (f: Facts): string => REASONS[f.reason ?? 'generic'];

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** "thẻ Visa có số cuối 4242 của bạn", or as much of it as we know. */
function card(f: Facts): string {
  if (f.cardBrand && f.cardLast4) return `thẻ ${f.cardBrand} có số cuối ${f.cardLast4} của bạn`;
  if (f.cardBrand) return `thẻ ${f.cardBrand} của bạn`;
  if (f.cardLast4) return `thẻ có số cuối ${f.cardLast4} của bạn`;
  return 'phương thức thanh toán của bạn';
}

/**
 * The business's name is optional (business-name.ts): these put it where it reads naturally and
 * leave it out cleanly. `yours(f, 'dịch vụ')`: "dịch vụ Acme của bạn", or "dịch vụ của bạn".
 */
const yours = (f: Facts, noun: string): string => (f.business ? `${noun} ${f.business} của bạn` : `${noun} của bạn`);
/** What a payment is for, after "cho": "Acme", or "gói đăng ký của bạn". */
const payee = (f: Facts): string => f.business ?? 'gói đăng ký của bạn';

const forInvoice = (f: Facts): string =>
  f.invoice ? `cho hóa đơn ${f.invoice}` : f.business ? `cho gói đăng ký ${f.business}` : 'cho gói đăng ký của bạn';

/**
 * What the policy does at the end, and when, ahead (`sẽ`, will) or done (`đã`, has): "gói đăng ký
 * của bạn sẽ bị hủy vào ngày 14 tháng 3, 2025". Vietnamese tells the two apart by that one word.
 */
function endPhrase(f: Facts, tense: 'sẽ' | 'đã'): string {
  const on = f.endsAt ? ` vào ngày ${f.endsAt}` : '';
  switch (f.endAction) {
    case 'cancel_subscription':
      return `gói đăng ký của bạn ${tense} bị hủy${on}`;
    case 'pause_collection':
      return `gói đăng ký của bạn ${tense} bị tạm dừng${on}`;
    default:
      return `${yours(f, 'quyền truy cập')} ${tense} bị tạm ngưng${on}`;
  }
}
const endAhead = (f: Facts): string | undefined => (f.endAction || f.endsAt ? endPhrase(f, 'sẽ') : undefined);
const endDone = (f: Facts): string => endPhrase(f, 'đã');

/** During the grace period the customer keeps the service: saying so keeps the tone calm. */
function graceOutro(f: Facts): Paragraph[] {
  const ahead = endAhead(f);
  const out: Paragraph[] = [`Trong thời gian này, ${yours(f, 'dịch vụ')} vẫn hoạt động bình thường.`];
  if (ahead) out.push(`Nếu vẫn không thu được khoản thanh toán, ${ahead}.`);
  return out;
}

const nextTry = (f: Facts): string =>
  f.nextRetry ? `Chúng tôi sẽ tự động thử lại vào ngày ${f.nextRetry}.` : 'Chúng tôi sẽ tự động thử lại sau vài ngày.';

const update = (url: string, label = 'Cập nhật phương thức thanh toán') => ({ label, url });

const RETRY_NOW = 'Thử thanh toán lại ngay';
const USE_DIFFERENT_CARD = 'Dùng thẻ khác';

/** With a retry link, "Thử thanh toán lại ngay" and "Dùng thẻ khác" beside it; else the update button alone. */
const buttons = (links: Links): Pick<Body, 'action' | 'alternative'> =>
  links.retry
    ? { action: { label: RETRY_NOW, url: links.retry }, alternative: { label: USE_DIFFERENT_CARD, url: links.update } }
    : { action: update(links.update) };

const ACCEPT_OFFER = 'Xem ưu đãi';

function offerText(o: OfferFacts): string {
  switch (o.kind) {
    case 'pause':
      return `tạm dừng thanh toán trong ${o.days} ngày`;
    case 'coupon':
      if (o.percentOff === undefined) return 'một khoản giảm giá cho gói đăng ký của bạn';
      return `giảm ${o.percentOff}% cho gói đăng ký của bạn${o.months ? ` trong ${o.months} tháng` : ''}`;
    case 'downgrade':
      return o.planName ? `chuyển sang gói ${o.planName} với giá thấp hơn` : 'chuyển sang một gói rẻ hơn';
  }
}

export const vi: LocaleCopy = {
  templates: {
    'payment_failed.insufficient_funds': (f, links): Body => ({
      subject: `Thanh toán ${f.amount} cho ${payee(f)} không thành công`,
      heading: 'Thanh toán của bạn không thành công',
      intro: [
        `Chúng tôi đã thử thu ${f.amount} từ ${card(f)} ${forInvoice(f)}, nhưng ngân hàng đã từ chối vì tài khoản không đủ số dư.`,
        links.retry
          ? `${nextTry(f)} Nếu tài khoản có đủ tiền trước thời điểm đó, bạn không cần làm gì thêm. Nếu bây giờ tài khoản đã đủ tiền, bạn có thể thanh toán lại ngay bằng chính thẻ này hoặc chuyển sang thẻ khác.`
          : `${nextTry(f)} Nếu tài khoản có đủ tiền trước thời điểm đó, bạn không cần làm gì thêm. Bạn cũng có thể chuyển sang thẻ khác ngay bây giờ.`,
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    // A card that can't be charged again: no retry button, whatever the links.
    'payment_failed.card_invalid': (f, { update: url }): Body => ({
      subject: `Vui lòng cập nhật phương thức thanh toán cho ${payee(f)}`,
      heading: 'Không thể thanh toán bằng thẻ của bạn',
      intro: [
        `Chúng tôi không thể thu ${f.amount} từ ${card(f)} ${forInvoice(f)}. ${reason(f)}`,
        'Thẻ này không thể dùng cho các lần thanh toán tiếp theo nên chúng tôi sẽ không thử lại. Vui lòng thêm thẻ mới hoặc phương thức thanh toán khác: chỉ mất khoảng một phút, và chúng tôi sẽ thanh toán lại ngay khi bạn cập nhật.',
      ],
      action: update(url),
      outro: graceOutro(f),
    }),
    // The bank wants the customer to confirm: a retry from here would only be declined again.
    'payment_failed.authentication': (f, { update: url }): Body => ({
      subject: `Vui lòng xác nhận khoản thanh toán ${f.amount} cho ${payee(f)}`,
      heading: 'Ngân hàng cần bạn xác nhận khoản thanh toán',
      intro: [
        `Ngân hàng của bạn yêu cầu thêm một bước xác nhận trước khi cho phép chúng tôi thu ${f.amount} từ ${card(f)} ${forInvoice(f)}. Đây là bước kiểm tra bảo mật thông thường, ví dụ nhập mã OTP gửi tới điện thoại hoặc xác nhận trong ứng dụng ngân hàng.`,
        'Hãy bấm nút bên dưới để xác nhận thanh toán hoặc chọn phương thức thanh toán khác.',
      ],
      action: update(url, 'Xác nhận thanh toán'),
      outro: graceOutro(f),
    }),
    'payment_failed.generic': (f, links): Body => ({
      subject: `Thanh toán cho ${payee(f)} không thành công`,
      heading: 'Thanh toán của bạn không thành công',
      intro: [
        `Chúng tôi không thể thu ${f.amount} từ ${card(f)} ${forInvoice(f)}. ${reason(f)}`,
        links.retry
          ? `${nextTry(f)} Bạn cũng có thể thử thanh toán lại ngay bây giờ. Nếu vẫn không thành công, bạn có thể dùng thẻ khác hoặc liên hệ ngân hàng; cách này thường giải quyết được vấn đề.`
          : `${nextTry(f)} Nếu vẫn không thành công, bạn có thể cập nhật phương thức thanh toán hoặc liên hệ ngân hàng; cách này thường giải quyết được vấn đề.`,
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    reminder: (f, links): Body => ({
      subject: `Nhắc thanh toán: khoản ${f.amount} cho ${payee(f)} vẫn chưa được thanh toán`,
      heading: 'Khoản thanh toán của bạn vẫn chưa hoàn tất',
      intro: [
        `Chúng tôi vẫn chưa thu được ${f.amount} ${forInvoice(f)}.`,
        (links.retry
          ? 'Nếu thẻ của bạn đã đủ tiền, hãy bấm nút bên dưới để thanh toán lại ngay. Hoặc dùng thẻ khác: chỉ mất khoảng một phút và chúng tôi sẽ thanh toán lại ngay.'
          : 'Cập nhật phương thức thanh toán chỉ mất khoảng một phút và chúng tôi sẽ thanh toán lại ngay.') +
          (f.nextRetry ? ` Nếu không, chúng tôi sẽ thử lại phương thức thanh toán hiện tại vào ngày ${f.nextRetry}.` : ''),
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    final_notice: (f, links): Body => {
      const ahead = endAhead(f);
      return {
        subject: ahead ? `Thông báo cuối: ${ahead}` : `Thông báo cuối: khoản thanh toán cho ${payee(f)} đã quá hạn`,
        heading: 'Thông báo cuối: vui lòng cập nhật phương thức thanh toán',
        intro: [
          `Chúng tôi đã thử nhiều lần nhưng vẫn chưa thu được ${f.amount} ${forInvoice(f)}.`,
          ahead
            ? `Nếu khoản thanh toán không thành công, ${ahead}.`
            : 'Nếu khoản thanh toán không sớm thành công, dịch vụ của bạn có thể bị gián đoạn.',
          links.retry
            ? `Để tiếp tục sử dụng ${f.business ?? 'dịch vụ'}, hãy thanh toán lại ngay nếu thẻ của bạn đã đủ tiền, hoặc dùng thẻ khác càng sớm càng tốt: chúng tôi sẽ thanh toán lại ngay khi bạn thêm thẻ.`
            : `Để tiếp tục sử dụng ${f.business ?? 'dịch vụ'}, vui lòng cập nhật phương thức thanh toán càng sớm càng tốt. Chúng tôi sẽ thanh toán lại ngay khi bạn cập nhật.`,
        ],
        ...buttons(links),
        outro: f.endsAt ? ['Dịch vụ của bạn vẫn hoạt động bình thường đến thời điểm đó.'] : [],
      };
    },
    // The last-chance offer: its page shows it again and takes the answer; a new card still works.
    last_chance_offer: (f, links): Body => {
      const ahead = endAhead(f);
      const what = f.offer ? offerText(f.offer) : 'một cách để giữ gói đăng ký';
      return {
        subject: `Trước khi ${yours(f, 'gói đăng ký')} kết thúc: một ưu đãi dành cho bạn`,
        heading: 'Thêm một lựa chọn trước khi gói đăng ký của bạn kết thúc',
        intro: [
          `Chúng tôi vẫn chưa thu được ${f.amount} ${forInvoice(f)}${ahead ? ` và ${ahead}` : ''}.`,
          `Chúng tôi muốn tiếp tục đồng hành cùng bạn, vì vậy xin gửi bạn ưu đãi: ${what}. Nếu bạn đồng ý, chúng tôi sẽ ngừng thu khoản chưa thanh toán và gói đăng ký của bạn tiếp tục.`,
        ],
        ...(links.offer
          ? { action: { label: ACCEPT_OFFER, url: links.offer }, alternative: { label: USE_DIFFERENT_CARD, url: links.update } }
          : { action: update(links.update) }),
        outro: ['Nếu bạn muốn thanh toán, chỉ cần thêm thẻ mới: chúng tôi sẽ thu tiền ngay khi bạn thêm thẻ.'],
      };
    },
    new_card_declined: (f, links): Body => ({
      subject: `Phương thức thanh toán mới cho ${payee(f)} đã bị từ chối`,
      heading: 'Thẻ mới của bạn cũng bị từ chối',
      intro: [
        `Cảm ơn bạn đã cập nhật phương thức thanh toán. Tuy nhiên, khi chúng tôi thử thu ${f.amount} từ ${card(f)} ${forInvoice(f)}, giao dịch cũng bị từ chối.`,
        reason(f),
        links.retry
          ? 'Khi thẻ đã có thể thanh toán, bạn có thể bấm nút bên dưới để thanh toán lại. Bạn cũng có thể thử thẻ hoặc phương thức thanh toán khác, hoặc liên hệ ngân hàng để biết thêm chi tiết.'
          : 'Vui lòng thử thẻ hoặc phương thức thanh toán khác, hoặc liên hệ ngân hàng để biết thêm chi tiết.',
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    // The case is closed: no button, nothing to do.
    payment_recovered: (f): Body => ({
      subject: `Cảm ơn bạn! Thanh toán cho ${payee(f)} đã thành công`,
      heading: 'Cảm ơn bạn, thanh toán đã thành công',
      intro: [
        `Chúng tôi đã nhận được khoản thanh toán ${f.amount} ${forInvoice(f)}. Gói đăng ký của bạn đã được thanh toán đầy đủ và bạn không cần làm gì thêm.`,
        ...(f.chargedOtherCard
          ? [
              `Theo sự đồng ý của bạn, chúng tôi đã thanh toán bằng ${card(f)}, một thẻ khác đã lưu trong tài khoản, sau khi thẻ thường dùng bị từ chối.`,
            ]
          : []),
      ],
      outro: [`Cảm ơn bạn đã tiếp tục đồng hành cùng ${f.business ?? 'chúng tôi'}.`],
    }),
    // The case is over: the customer's retry is no longer offered (the dunning has stopped).
    subscription_ended: (f, { update: url }): Body => {
      const cancelled = f.endAction === 'cancel_subscription';
      const subject =
        f.endAction === 'cancel_subscription'
          ? `${yours(f, 'Gói đăng ký')} đã bị hủy`
          : f.endAction === 'pause_collection'
            ? `${yours(f, 'Gói đăng ký')} đã bị tạm dừng`
            : `${yours(f, 'Quyền truy cập')} đã bị tạm ngưng`;
      return {
        subject,
        heading: subject,
        intro: [
          `Chúng tôi không thu được ${f.amount} ${forInvoice(f)}, vì vậy ${endDone(f)}.`,
          cancelled
            ? 'Chúng tôi luôn sẵn lòng chào đón bạn quay lại. Hãy cập nhật phương thức thanh toán bằng nút bên dưới, sau đó trả lời email này để chúng tôi giúp bạn đăng ký lại.'
            : 'Để khôi phục quyền truy cập, hãy cập nhật phương thức thanh toán bằng nút bên dưới. Ngay khi khoản thanh toán còn nợ được thu thành công, mọi thứ sẽ trở lại bình thường.',
        ],
        action: update(url),
        outro: [],
      };
    },
    // Trước khi có lỗi thanh toán: thẻ hết hạn trước kỳ gia hạn tiếp theo.
    card_expiring: (f, { update: url }): Body => ({
      subject: `Thẻ thanh toán cho ${payee(f)} sắp hết hạn`,
      heading: 'Thẻ của bạn sắp hết hạn',
      intro: [
        `${capitalise(card(f))} ${f.cardExpires ? `sẽ hết hạn vào cuối ${f.cardExpires}` : 'sắp hết hạn'}, trước kỳ thanh toán tiếp theo ${f.amount}${f.renewsOn ? ` vào ngày ${f.renewsOn}` : ''}.`,
        'Để gói đăng ký của bạn không bị gián đoạn, hãy cập nhật thẻ: chỉ mất khoảng một phút.',
      ],
      action: update(url, 'Cập nhật thẻ'),
      outro: ['Nếu bạn đã nhận thẻ mới từ ngân hàng và đã thêm thẻ đó, bạn không cần làm gì thêm.'],
    }),
  },
  reasons: REASONS,
  greeting: (name) => (name ? `Xin chào ${name},` : 'Xin chào,'),
  signoff: (business) => ['Trân trọng,', business ? `Đội ngũ ${business}` : 'Bộ phận thanh toán'],
  footer: (f) => [
    `Bạn nhận được email này vì bạn đang sử dụng gói đăng ký ${f.business ?? 'của chúng tôi'}.`,
    f.supportEmail
      ? ['Nếu có câu hỏi, hãy trả lời email này hoặc liên hệ ', { text: f.supportEmail, href: `mailto:${f.supportEmail}` }, '.']
      : 'Nếu có câu hỏi, bạn chỉ cần trả lời email này.',
  ],
  offerText,
  cardLabel: (f) =>
    f.cardBrand || f.cardLast4 ? `${f.cardBrand ?? 'Thẻ'}${f.cardLast4 ? ` •••• ${f.cardLast4}` : ''}` : undefined,
  labels: {
    amountDue: 'Số tiền cần thanh toán',
    amountPaid: 'Số tiền đã thanh toán',
    invoice: 'Hóa đơn',
    paymentMethod: 'Phương thức thanh toán',
    nextRetry: 'Lần thử tiếp theo',
    linkFallback: 'Nếu nút không hoạt động, hãy sao chép liên kết sau vào trình duyệt:',
    linksFallback: 'Nếu các nút không hoạt động, hãy sao chép một trong các liên kết sau vào trình duyệt:',
    retryNow: RETRY_NOW,
    useDifferentCard: USE_DIFFERENT_CARD,
    acceptOffer: ACCEPT_OFFER,
    nextPayment: 'Khoản thanh toán tiếp theo',
    cardExpires: 'Thẻ hết hạn',
  },
};
