/**
 * The codec server: Temporal's remote codec protocol (`POST /codec/encode`, `POST /codec/decode`,
 * `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }`, header `X-Namespace`) for a
 * Temporal Web UI or the CLI (`--codec-endpoint`), so that operators read the encrypted payloads.
 *
 * The Web UI calls it from the operator's *browser*: what arrives is a CORS request from the UI's
 * origin, with an `Authorization` header only when the UI passes its access token, and cookies
 * only when it includes credentials. So access is decided per environment (see docs/operations.md):
 * - no token configured (dev): only loopback callers, and browsers only from the allowed origins
 *   (the embedded Web UI on localhost / 127.0.0.1);
 * - a token (compose, Temporal Cloud, the CLI): `Authorization: Bearer <token>`, or the cookie set
 *   by `POST /codec/login`, from an allowed origin or from no browser at all.
 * A preflight (`OPTIONS`) carries no credentials by design: it is answered for allowed origins only.
 * This server's own origin (the login form's) is PUBLIC_BASE_URL's, or a loopback one: never what a
 * Host header says, which DNS rebinding lets another site's page choose. The login cookie is a
 * signed session with an expiry the server checks; logins are rate-limited per client. Errors tell
 * the caller what kind of thing went wrong; the detail goes to the log.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import escapeHtml from 'escape-html';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { HttpError, sendError } from './errors';
import { loginRateLimit, type LoginLimitOptions } from './loginLimit';
import { isHttps, ownOrigins } from './ownOrigin';
import { parseInput } from './parseInput';
import { sameSecret } from '../../activities/secrets';
import { bearerToken } from './auth';
import { cookieValue, SessionCookies } from './sessionCookie';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** The namespace whose payloads this codec encrypts; payloads of any other pass unchanged. */
  namespace: string;
  /** Origins (`http://localhost:8233`) whose pages may call it. */
  allowedOrigins: readonly string[];
  /** Undefined: loopback callers only, no token. */
  token?: string;
  /** False: every codec route answers 403 (production without a token). */
  enabled?: boolean;
  /** PUBLIC_BASE_URL: this server's own origin and scheme (Secure cookies when https). */
  publicBaseUrl?: string;
  /** Refused logins per client and window (default: src/http/loginLimit.ts). */
  loginLimit?: LoginLimitOptions;
  /** Milliseconds since the epoch (the sessions' clock). */
  now?: () => number;
  log?: (msg: string, meta?: Record<string, unknown>) => void;
}

const SESSION_COOKIE = 'dunning_codec';
const SESSION_SECONDS = 12 * 3600;
/** What the Web UI sends (content-type, x-namespace; authorization and its -extras with "pass access token"). */
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, authorization-extras';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const jsonPayload = z.object({ metadata: z.record(base64).nullish(), data: base64.nullish() });
const codecBody = z.object({ payloads: z.array(jsonPayload).max(10_000) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: p.metadata ? Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])) : {},
  data: p.data ? Buffer.from(p.data, 'base64') : undefined,
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

const isLoopback = (address: string | undefined) =>
  address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || Boolean(address?.startsWith('127.'));

export function codecRouter(o: CodecServerOptions): Router {
  const router = express.Router();
  const log = o.log ?? (() => undefined);
  const allowed = new Set(o.allowedOrigins);
  // The cookie holds a session signed with a key derived from the token, not the token itself.
  const sessions = o.token
    ? new SessionCookies({ token: o.token, purpose: 'codec', ttlSeconds: SESSION_SECONDS, now: o.now })
    : undefined;
  const secure = isHttps(o.publicBaseUrl);

  // CORS first: an origin not on the list is refused before anything else, preflight included.
  router.use('/codec', (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    // The login form posts from this server's own origin.
    if (origin !== undefined && !ownOrigins(req, o.publicBaseUrl, { loopbackOnly: true }).includes(origin.toLowerCase())) {
      if (!allowed.has(origin)) {
        log('codec: origin refused', {
          origin,
          host: req.get('host'),
          allowed: [...allowed].join(', ') || 'none; set CODEC_ALLOWED_ORIGINS',
        });
        return sendError(res, 403, 'origin_not_allowed', 'This origin may not call the codec server (CODEC_ALLOWED_ORIGINS)');
      }
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' });
    }
    if (req.method === 'OPTIONS') {
      res.set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      // A page on a public origin (cloud.temporal.io) calling a codec server on a private address.
      if (req.get('access-control-request-private-network') === 'true') res.set('Access-Control-Allow-Private-Network', 'true');
      return res.status(204).end();
    }
    if (o.enabled === false) {
      return sendError(res, 403, 'codec_disabled', 'The codec server is off: set CODEC_TOKEN to turn it on in production');
    }
    next();
  });

  // A login for browsers that send cookies ("include credentials"): the token once, a cookie after.
  router.get('/codec/login', (_req, res) => {
    res.type('html').send(loginPage(''));
  });
  router.post(
    '/codec/login',
    loginRateLimit(o.loginLimit, log),
    express.urlencoded({ extended: false, limit: '4kb' }),
    (req, res) => {
      if (!o.token || !sessions) return sendError(res, 404, 'not_found', 'No login without CODEC_TOKEN');
      if (!sameSecret(String(req.body?.token ?? ''), o.token)) {
        log('codec: login refused');
        return res.status(401).type('html').send(loginPage('That is not the codec token.'));
      }
      // Cross-site (a UI on another domain) needs SameSite=None, which browsers accept only over https.
      const crossSite = secure ? '; SameSite=None; Secure' : '; SameSite=Lax';
      res.set(
        'Set-Cookie',
        `${SESSION_COOKIE}=${sessions.issue()}; Path=/codec; HttpOnly; Max-Age=${SESSION_SECONDS}${crossSite}`,
      );
      res.type('html').send(loginPage('Signed in: the Web UI can decode payloads from this browser for 12 hours.'));
    },
  );

  router.post('/codec/:operation', (req, res, next) => {
    if (o.token && sessions) {
      const bearer = bearerToken(req.get('authorization'));
      const cookie = cookieValue(req.get('cookie'), SESSION_COOKIE);
      const ok = (bearer !== undefined && sameSecret(bearer, o.token)) || sessions.check(cookie).ok;
      if (!ok) {
        res.set('WWW-Authenticate', 'Bearer');
        return sendError(
          res,
          401,
          'unauthorized',
          'The codec server needs its token (Authorization: Bearer) or the login cookie',
        );
      }
    } else if (!isLoopback(req.socket.remoteAddress)) {
      // The proxy's X-Forwarded-For is not looked at: without a token only this machine is trusted.
      return sendError(res, 403, 'not_loopback', 'Without CODEC_TOKEN the codec server answers this machine only');
    }
    next();
  });

  router.post('/codec/:operation', express.json({ limit: '8mb' }), async (req, res) => {
    try {
      const operation = req.params.operation;
      if (operation !== 'encode' && operation !== 'decode') throw new HttpError(404, 'not_found', 'No such codec operation');
      const body = parseInput(codecBody, req.body, 'body');
      const namespace = req.get('x-namespace');
      // Another namespace's payloads are not ours to encrypt or decrypt: they pass as they are.
      if (namespace && namespace !== o.namespace) return res.json({ payloads: body.payloads });
      const payloads = body.payloads.map(fromJson);
      let out: Payload[];
      try {
        out = operation === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
      } catch (err) {
        // The reason (a key id, a cipher's complaint) is the operator's to read in the log.
        log(`codec: cannot ${operation}`, { error: String(err), payloads: payloads.length });
        throw new HttpError(400, `cannot_${operation}`, `The payloads could not be ${operation}d`);
      }
      res.json({ payloads: out.map(toJson) });
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.code, err.message);
      throw err;
    }
  });
  return router;
}

function loginPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Codec server login</title></head>
<body><h1>Codec server login</h1>${message ? `<p>${escapeHtml(message)}</p>` : ''}
<form method="post" action="/codec/login"><label>Codec token <input type="password" name="token" autocomplete="off"></label>
<button type="submit">Sign in</button></form></body></html>`;
}
