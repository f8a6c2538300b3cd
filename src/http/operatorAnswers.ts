/**
 * What the operator routes (`POST /api/invoices/:id/retry-now`, `…/resend-link`) answer for what
 * the case did: 200 with the outcome, 202 when the case took the request but has not finished it
 * yet, 404 for no case or one that has ended, 409 when the case refuses, 502 when the email
 * provider refused the email. Pure: the route only sends it. Errors keep the contract's shape
 * `{ error: { code, message } }`, with the refusal's `reason` (and `retryAt`) beside them for scripts.
 */
import type { OperatorAnswer } from '../dunningClient';
import type {
  DunningStatus,
  LinkNotPossible,
  LinkRefusal,
  ResendLinkOutcome,
  RetryNotPossible,
  RetryOutcome,
  RetryRefusal,
} from '../../domain/types';

export interface OperatorResponse {
  status: number;
  body: unknown;
  /** What the log line says of it. */
  log: Record<string, unknown>;
}

const RETRY_REFUSALS: Record<RetryRefusal, string> = {
  case_over: 'the case has ended',
  not_retryable: 'the decline rules out charging the same card again: the customer needs to update it',
  card_blocked: 'an issuer said never to retry this card',
  cooldown: "the customer's own retry cooldown runs",
  budget: "the card's network reattempt budget is used up",
  busy: 'the case is busy (a charge under way, another retry waiting, a provider unavailable, or its facts not read yet): try again shortly',
  processing: 'a bank debit is settling: nothing is charged until the bank answers (the case is processing)',
};

const LINK_REFUSALS: Record<LinkRefusal, string> = {
  case_over: 'the case has ended',
  busy: 'the case has not read its facts from Stripe yet: try again shortly',
  no_email_address: 'the Stripe customer has no email address',
  email_undeliverable: "Resend could not deliver to the customer's address (status.emailUndeliverable): a new address is needed",
  processing: 'a bank debit is settling: no email asks the customer to pay meanwhile',
};

const error = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra },
});

function refusedRetry(invoiceId: string, r: { reason: RetryRefusal; retryAt?: string }): OperatorResponse {
  const until = r.retryAt ? ` (until ${r.retryAt})` : '';
  return {
    status: 409,
    body: error('retry_not_possible', `Retry of ${invoiceId} not possible: ${RETRY_REFUSALS[r.reason]}${until}`, {
      reason: r.reason,
      ...(r.retryAt ? { retryAt: r.retryAt } : {}),
    }),
    log: { refused: r.reason },
  };
}

function refusedLink(invoiceId: string, reason: LinkRefusal): OperatorResponse {
  return {
    status: 409,
    body: error('link_not_possible', `Link email for ${invoiceId} not possible: ${LINK_REFUSALS[reason]}`, { reason }),
    log: { refused: reason },
  };
}

/** What both actions answer alike: no case, an ended case, accepted and not done yet. */
function common(
  invoiceId: string,
  requestId: string,
  a: { kind: 'no_case' } | { kind: 'ended'; status: DunningStatus } | { kind: 'accepted' },
): OperatorResponse {
  switch (a.kind) {
    case 'no_case':
      return { status: 404, body: error('not_found', `No dunning case for invoice ${invoiceId}`), log: {} };
    case 'ended': {
      const { state, outcome } = a.status;
      return {
        status: 404,
        body: error('case_ended', `The dunning case for invoice ${invoiceId} has ended: ${state} (${outcome ?? 'no outcome'})`, {
          state,
          outcome,
        }),
        log: { ended: state },
      };
    }
    case 'accepted':
      // The case took it; a slow provider holds the answer. `status` shows it once done.
      return { status: 202, body: { invoiceId, requestId, accepted: true }, log: { accepted: true } };
  }
}

/** `POST /api/invoices/:id/retry-now`: the charge's outcome, or why there was none. */
export function retryNowResponse(
  invoiceId: string,
  requestId: string,
  a: OperatorAnswer<RetryOutcome, RetryNotPossible>,
): OperatorResponse {
  if (a.kind === 'refused') return refusedRetry(invoiceId, a.refusal);
  if (a.kind !== 'done') return common(invoiceId, requestId, a);
  if (a.result.outcome === 'not_possible') return refusedRetry(invoiceId, a.result);
  return { status: 200, body: { invoiceId, requestId, ...a.result }, log: { outcome: a.result.outcome } };
}

/** `POST /api/invoices/:id/resend-link`: the email as the case recorded it, or why there was none. */
export function resendLinkResponse(
  invoiceId: string,
  requestId: string,
  a: OperatorAnswer<ResendLinkOutcome, LinkNotPossible>,
): OperatorResponse {
  if (a.kind === 'refused') return refusedLink(invoiceId, a.refusal.reason);
  if (a.kind !== 'done') return common(invoiceId, requestId, a);
  switch (a.result.outcome) {
    case 'not_possible':
      return refusedLink(invoiceId, a.result.reason);
    case 'failed':
      // Recorded in the case's emails; the provider, not the request, is at fault.
      return {
        status: 502,
        body: error('email_failed', `The email provider refused the email: ${a.result.error}`, { at: a.result.at }),
        log: { outcome: 'failed', error: a.result.error },
      };
    case 'sent':
      return { status: 200, body: { invoiceId, requestId, ...a.result }, log: { outcome: 'sent' } };
  }
}
