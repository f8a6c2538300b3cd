/**
 * The ops CLI's way to the service: its HTTP API, with the API's own token rules. The CLI holds no
 * Temporal connection and no payload keys: what an operator may do is what `/api` lets them do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_API_URL = 'http://localhost:3000';

export interface ApiTarget {
  baseUrl: string;
  token: string;
}

/** A problem the operator fixes in their setup (exit code 1, one line). */
export class CliError extends Error {}

const devSecretsFile = z.object({ apiToken: z.string().min(1) }).passthrough();

/**
 * Base URL: `--api`, else DUNNING_API_URL, else http://localhost:3000. Token: API_TOKEN, as the API
 * reads it; without it, outside production, the dev token `npm start` generated and kept in
 * DATA_DIR/dev-secrets.json (DATA_DIR relative to `cwd`, as the service resolves it).
 */
export function resolveTarget(api: string | undefined, env: NodeJS.ProcessEnv, cwd: string): ApiTarget {
  const raw = api ?? env.DUNNING_API_URL ?? DEFAULT_API_URL;
  const url = z.string().url().safeParse(raw);
  if (!url.success || !/^https?:$/.test(new URL(raw).protocol))
    throw new CliError(`API URL ${JSON.stringify(raw)} is not an http(s) URL`);
  const baseUrl = raw.replace(/\/+$/, '');
  if (env.API_TOKEN) return { baseUrl, token: env.API_TOKEN };
  if (env.NODE_ENV === 'production') throw new CliError("API_TOKEN is required in production (the token of the service's /api)");
  const file = join(resolve(cwd, env.DATA_DIR || '.data'), 'dev-secrets.json');
  if (!existsSync(file)) {
    throw new CliError(`no API token: set API_TOKEN, or start the service once (npm start) so that ${file} holds the dev token`);
  }
  let parsed;
  try {
    parsed = devSecretsFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    throw new CliError(`${file} is not valid JSON: set API_TOKEN`);
  }
  if (!parsed.success) throw new CliError(`${file} holds no apiToken: set API_TOKEN`);
  return { baseUrl, token: parsed.data.apiToken };
}

/** The contract's error shape; `reason` and `retryAt` come with the operator routes' refusals. */
const apiErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }).passthrough(),
});

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A non-2xx answer from the API: its status and the contract's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class CasesApi {
  constructor(
    private readonly target: ApiTarget,
    private readonly fetchImpl: typeof fetch = fetch,
    /** A CLI call should not hang: retry-now waits up to 30 s for a charge, the API's own bound. */
    private readonly timeoutMs = 45_000,
  ) {}

  /** 2xx: the answer; anything else: an ApiError with the API's message (or what went wrong). */
  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.target.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.target.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const cause =
        e.name === 'TimeoutError' ? `no answer in ${this.timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new CliError(
        `cannot reach the API at ${this.target.baseUrl} (${cause}): is the service running? (--api or DUNNING_API_URL)`,
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the message below
    }
    if (res.ok) return { status: res.status, body: parsed };
    if (res.status === 401) {
      throw new ApiError(
        401,
        'unauthorized',
        `the API at ${this.target.baseUrl} refused the token (401): set API_TOKEN to its token`,
      );
    }
    const error = apiErrorBody.safeParse(parsed);
    if (error.success) throw new ApiError(res.status, error.data.error.code, error.data.error.message);
    throw new ApiError(res.status, 'unexpected', `the API answered ${res.status}: ${String(text).slice(0, 200)}`);
  }
}
