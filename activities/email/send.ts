/**
 * Sends one dunning email through Resend (or the local outbox, which speaks the same API).
 *
 * A plain function so the Temporal activity around it stays a one-liner and this can be tested
 * against a real outbox without a worker. Every failure leaves as an `ApplicationFailure` whose
 * `nonRetryable` and `type` say whether Temporal should retry (see ./resend-failure).
 *
 * The idempotency key makes Temporal's at-least-once activity execution safe: a retry after a
 * timeout whose first attempt did reach Resend gets the same message id back, not a second email.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Resend } from 'resend';
import { EmailFailureType, toEmailFailure } from './resend-failure';
import { sanitizeTags } from './tags';

export interface OutgoingEmail {
  to: string;
  from: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  tags: { name: string; value: string }[];
  /** Stable across retries of the same email, e.g. `dunning-in_123/reminder-1`. */
  idempotencyKey: string;
}

const MAX_IDEMPOTENCY_KEY = 256; // Resend: "The key must be between 1-256 chars."

/** Over-long keys are hashed rather than cut, so two long keys sharing a prefix stay distinct. */
export function resendIdempotencyKey(key: string): string {
  if (key.length <= MAX_IDEMPOTENCY_KEY) return key;
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

export async function sendEmail(resend: Resend, email: OutgoingEmail): Promise<{ messageId: string }> {
  if (!email.idempotencyKey) {
    throw ApplicationFailure.create({
      message: 'sendEmail needs an idempotency key: without one a retried activity could email twice',
      type: EmailFailureType.InvalidRequest,
      nonRetryable: true,
    });
  }
  const { data, error, headers } = await resend.emails.send(
    {
      from: email.from,
      to: email.to,
      ...(email.replyTo ? { replyTo: email.replyTo } : {}),
      subject: email.subject,
      html: email.html,
      text: email.text,
      tags: sanitizeTags(email.tags),
    },
    { idempotencyKey: resendIdempotencyKey(email.idempotencyKey) },
  );
  if (error) throw toEmailFailure(error, headers);
  if (!data?.id) {
    // Not a shape Resend answers with; treat like a garbled response from a proxy and retry.
    throw ApplicationFailure.create({
      message: 'Resend answered without an email id',
      type: EmailFailureType.ProviderUnavailable,
    });
  }
  return { messageId: data.id };
}
