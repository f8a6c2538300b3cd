/**
 * The Twilio client. twilio-node has no base-URL option (`region` and `edge` only change the host
 * name inside twilio.com), so the client gets an `httpClient`: the SDK's own RequestClient, whose
 * every request has its origin replaced by TWILIO_API_BASE (the local sandbox in development and
 * tests). Everything else (auth, form encoding, error parsing, paging) stays the SDK's.
 */
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { TwilioClient } from '../../activities/sms/sendSms';

export type { TwilioClient };

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** e.g. `http://127.0.0.1:PORT`; unset: api.twilio.com, as the SDK would. */
  apiBase?: string;
  /** Per request, milliseconds (the SDK's default is 30 s, longer than the activity would wait). */
  timeoutMs?: number;
}

/** A RequestClient that sends to `base` instead of the host the SDK chose. */
export class BaseUrlRequestClient extends RequestClient {
  private readonly base: URL;

  constructor(base: string, opts?: RequestClient.RequestClientOptions) {
    super(opts);
    this.base = new URL(base);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const target = new URL(opts.uri);
    const rebased = new URL(`${this.base.pathname.replace(/\/+$/, '')}${target.pathname}${target.search}`, this.base.origin);
    return super.request({ ...opts, uri: rebased.toString() });
  }
}

export function createTwilioClient(opts: TwilioClientOptions): TwilioClient {
  const timeout = opts.timeoutMs ?? 20_000;
  return twilio(opts.accountSid, opts.authToken, {
    // No retries inside the SDK: Temporal retries the activity, which looks for its message first.
    autoRetry: false,
    timeout,
    ...(opts.apiBase ? { httpClient: new BaseUrlRequestClient(opts.apiBase, { timeout, autoRetry: false }) } : {}),
  });
}
