/**
 * The in-app notice of one customer, made from the statuses of their open cases (each read with
 * the case's `status` query): which case it shows, how loud it is, its words in the customer's
 * language, the update link the emails carry, and the retry when the retry page would allow one.
 * Pure apart from signing the links, so every answer is unit-tested without a server.
 */
import { retryLinkUrl, updateLinkUrl } from '../../activities/links/updateLinkToken';
import { formatAmount } from '../../domain/presentation';
import { pickNoticeCase, severityAt, type NoticeSeverity, type NoticeThresholds } from '../../domain/noticeSeverity';
import type { DunningStatus, RetryRefusal } from '../../domain/types';
import type { EmailLocale } from '../../activities/email/templates';
import { formatDate } from '../../activities/email/templates/format';
import { noticeCopy } from './noticeCopy';

export interface NoticeSettings {
  publicBaseUrl: string;
  linkSecret: string;
  linkTtlDays: number;
  businessName: string;
  thresholds: NoticeThresholds;
}

export interface BillingNotice {
  invoiceId: string;
  severity: NoticeSeverity;
  locale: EmailLocale;
  title: string;
  message: string;
  /** Minor units of `currency`, and as the locale writes it. */
  amountDue: number;
  currency: string;
  amount: string;
  /** The first failure (the case's start), and whole days since. */
  failedAt: string;
  daysSinceFailure: number;
  /** When the app is told to restrict access (the `access.restricted` event); unknown while the case plans. */
  graceEndsAt?: string;
  update: { url: string; label: string };
  /** As the retry page decides; `url` (the email's retry link) only when possible now. */
  retry: { possible: true; url: string; label: string } | { possible: false; reason: RetryRefusal | 'unknown'; retryAt?: string };
}

export interface NoticeAnswer {
  customerId: string;
  /** Whether a case asks something of the customer now (an `active` case). */
  open: boolean;
  /** How many such cases; the notice shows one of them (the most severe, then the oldest). */
  openCases: number;
  notice?: BillingNotice;
}

const DAY_MS = 86_400_000;

/**
 * `statuses`: what the customer's open cases answered. Only `active` ones need the customer: a
 * `processing` case (a bank debit settling) has been paid for as far as the customer can tell.
 */
export function billingNotice(
  customerId: string,
  statuses: readonly DunningStatus[],
  s: NoticeSettings,
  nowMs: number,
): NoticeAnswer {
  const active = statuses
    .filter((st) => st.state === 'active' && st.customerId === customerId)
    .map((st) => ({
      st,
      startedAt: st.startedAt,
      severity: severityAt(
        s.thresholds,
        Date.parse(st.startedAt),
        nowMs,
        st.graceEndsAt === undefined ? undefined : Date.parse(st.graceEndsAt),
      ),
    }));
  const shown = pickNoticeCase(active);
  if (!shown) return { customerId, open: false, openCases: 0 };
  return { customerId, open: true, openCases: active.length, notice: noticeOf(shown.st, shown.severity, s, nowMs) };
}

function noticeOf(st: DunningStatus, severity: NoticeSeverity, s: NoticeSettings, nowMs: number): BillingNotice {
  const locale: EmailLocale = st.locale ?? 'en';
  const amount = formatAmount(st.amountDue, st.currency, locale);
  const copy = noticeCopy(locale, severity, {
    business: s.businessName,
    amount,
    graceEnds: formatDate(st.graceEndsAt, locale, st.timeZone),
  });
  // The email's links, signed now: the same claims, the same lifetime, the same pages behind them.
  const claims = {
    customerId: st.customerId,
    invoiceId: st.invoiceId,
    exp: Math.floor(nowMs / 1000) + s.linkTtlDays * 86_400,
    locale,
    ...(st.timeZone ? { timeZone: st.timeZone } : {}),
  };
  // The bank wants the payment confirmed: the invoice's page does that, as the emails' "Confirm payment".
  const pay = st.declineCategory === 'authentication';
  const verdict = st.customerRetry;
  return {
    invoiceId: st.invoiceId,
    severity,
    locale,
    title: copy.title,
    message: copy.message,
    amountDue: st.amountDue,
    currency: st.currency,
    amount,
    failedAt: st.startedAt,
    daysSinceFailure: Math.max(0, Math.floor((nowMs - Date.parse(st.startedAt)) / DAY_MS)),
    ...(st.graceEndsAt ? { graceEndsAt: st.graceEndsAt } : {}),
    update: {
      url: updateLinkUrl(s.publicBaseUrl, s.linkSecret, { ...claims, purpose: pay ? 'pay' : 'update' }),
      label: pay ? copy.confirm : copy.update,
    },
    retry: verdict?.allowed
      ? { possible: true, url: retryLinkUrl(s.publicBaseUrl, s.linkSecret, claims), label: copy.retry }
      : {
          possible: false,
          reason: verdict?.reason ?? 'unknown',
          ...(verdict?.retryAt ? { retryAt: verdict.retryAt } : {}),
        },
  };
}
