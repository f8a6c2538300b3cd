/**
 * Validation of a `POST /emails` body the way Resend answers it, so a mistake that the real API
 * would reject is rejected here too instead of "working" locally.
 *
 * Verified against https://resend.com/docs/api-reference/errors and resend-python#65:
 * - a missing required field is 422 `missing_required_field` ("Missing `to` field.");
 * - a malformed address is 422 `validation_error`
 *   ("Invalid `to` field. The email address needs to follow the `email@example.com` or
 *   `Name <email@example.com>` format.");
 * - `to` takes a string or an array of at most 50 (resend-openapi `maxItems: 50`);
 * - tag names and values: ASCII letters, numbers, underscores, dashes, at most 256 characters
 *   (the `Tag` doc comment in resend-node's index.d.cts).
 */
import { ResendHttpError } from './errors';

export interface ValidEmailRequest {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html: string | null;
  text: string | null;
  tags: { name: string; value: string }[];
  headers: Record<string, string>;
  scheduledAt: string | null;
}

const BARE_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const NAMED_ADDRESS = /^[^<>]*<([^<>]+)>$/;
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_RECIPIENTS = 50;

export function isValidAddress(value: string): boolean {
  const trimmed = value.trim();
  const named = NAMED_ADDRESS.exec(trimmed);
  return BARE_ADDRESS.test(named ? named[1]!.trim() : trimmed);
}

function invalidAddress(field: string): ResendHttpError {
  return new ResendHttpError(
    422,
    'validation_error',
    `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`,
  );
}

function missing(field: string): ResendHttpError {
  return new ResendHttpError(422, 'missing_required_field', `Missing \`${field}\` field.`);
}

function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Accepts `string | string[]`; `required` fields may not be empty. */
function addressList(body: Record<string, unknown>, field: string, required: boolean): string[] {
  const raw = body[field];
  if (isBlank(raw) || (Array.isArray(raw) && raw.length === 0)) {
    if (required) throw missing(field);
    return [];
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((a): a is string => typeof a === 'string' && isValidAddress(a))) throw invalidAddress(field);
  if (list.length > MAX_RECIPIENTS) {
    throw new ResendHttpError(422, 'validation_error', `Too many recipients in \`${field}\`. The maximum is ${MAX_RECIPIENTS}.`);
  }
  return list.map((a) => a.trim());
}

function optionalString(body: Record<string, unknown>, field: string): string | null {
  const v = body[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ResendHttpError(422, 'validation_error', `The \`${field}\` field must be a string.`);
  return v;
}

function tags(raw: unknown): { name: string; value: string }[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ResendHttpError(422, 'validation_error', 'The `tags` field must be an array.');
  return raw.map((t: unknown) => {
    const tag = t as { name?: unknown; value?: unknown } | null;
    if (!tag || typeof tag.name !== 'string' || typeof tag.value !== 'string') {
      throw new ResendHttpError(422, 'validation_error', 'Each tag needs a `name` and a `value` string.');
    }
    if (!TAG_PART.test(tag.name) || !TAG_PART.test(tag.value)) {
      throw new ResendHttpError(
        422,
        'validation_error',
        'Tags should only contain ASCII letters, numbers, underscores, or dashes, and be at most 256 characters.',
      );
    }
    return { name: tag.name, value: tag.value };
  });
}

function headers(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new ResendHttpError(422, 'validation_error', 'The `headers` field must be an object of string values.');
  }
  return { ...(raw as Record<string, string>) };
}

export function validateSendEmail(body: unknown): ValidEmailRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ResendHttpError(422, 'validation_error', 'The request body must be a JSON object.');
  }
  const b = body as Record<string, unknown>;
  // Resend reports the first missing field, in this order.
  if (isBlank(b.from)) throw missing('from');
  const to = addressList(b, 'to', true);
  if (isBlank(b.subject)) throw missing('subject');
  const html = optionalString(b, 'html');
  const text = optionalString(b, 'text');
  if (b.template !== undefined) {
    throw new ResendHttpError(422, 'validation_error', 'The local outbox does not render Resend-hosted templates.');
  }
  if (isBlank(html) && isBlank(text)) throw missing('html` or `text');
  if (typeof b.from !== 'string' || !isValidAddress(b.from)) throw invalidAddress('from');
  if (typeof b.subject !== 'string') throw new ResendHttpError(422, 'validation_error', 'The `subject` field must be a string.');
  return {
    from: b.from.trim(),
    to,
    cc: addressList(b, 'cc', false),
    bcc: addressList(b, 'bcc', false),
    replyTo: addressList(b, 'reply_to', false),
    subject: b.subject,
    html,
    text,
    tags: tags(b.tags),
    headers: headers(b.headers),
    scheduledAt: optionalString(b, 'scheduled_at'),
  };
}
