/**
 * Resend's error body and the error names/statuses the outbox answers with.
 *
 * Shape and statuses follow https://resend.com/docs/api-reference/errors: every error is JSON
 * `{ statusCode, name, message }`. resend-node (dist/index.cjs `fetchRequest`) passes that parsed
 * body through unchanged as `{ data: null, error, headers }`, so the names here are exactly what
 * callers of the SDK see.
 */

export type ResendErrorName =
  | 'invalid_idempotency_key'
  | 'validation_error'
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_idempotent_request'
  | 'concurrent_idempotent_requests'
  | 'missing_required_field'
  | 'daily_quota_exceeded'
  | 'monthly_quota_exceeded'
  | 'rate_limit_exceeded'
  | 'application_error'
  | 'internal_server_error';

export interface ResendErrorBody {
  statusCode: number;
  name: string;
  message: string;
}

export class ResendHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorName: ResendErrorName | string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ResendErrorBody {
    return { statusCode: this.statusCode, name: this.errorName, message: this.message };
  }
}

/** Resend's own wording, so logs from the outbox read like logs from production. */
export const DEFAULT_MESSAGES: Record<string, string> = {
  rate_limit_exceeded:
    'Too many requests. Please limit the number of requests per second. Or contact support to increase rate limit.',
  daily_quota_exceeded: 'You have reached your daily email sending quota.',
  monthly_quota_exceeded: 'You have reached your monthly email sending quota.',
  application_error: 'An unexpected error occurred.',
  internal_server_error: 'An unexpected error occurred.',
};
