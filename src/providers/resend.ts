import { Resend } from 'resend';

export interface ResendClientOptions {
  apiKey: string;
  /**
   * e.g. the local outbox (`http://127.0.0.1:PORT`). Unset: the SDK's own default, which is
   * `RESEND_BASE_URL` from the environment, else `https://api.resend.com`.
   */
  baseUrl?: string;
}

export function createResendClient(opts: ResendClientOptions): Resend {
  if (!opts.apiKey) throw new Error('createResendClient: apiKey is required');
  // The SDK builds URLs as `${baseUrl}${path}` with `path` starting with '/': a trailing slash
  // would give `//emails`, which Resend answers with 404.
  const baseUrl = opts.baseUrl?.replace(/\/+$/, '');
  return new Resend(opts.apiKey, baseUrl ? { baseUrl } : undefined);
}
