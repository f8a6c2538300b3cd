/**
 * The sign-in cookies of the dashboard and the codec login: `<issuedAt>.<exp>.<nonce>.<mac>`, an
 * HMAC keyed from the token the person signed in with. The server checks the MAC and the expiry
 * itself (a cookie copied from a browser stops working when it expires, whatever Max-Age said),
 * each sign-in gets a random nonce (no two sessions alike), and sign-out revokes the nonce. A new
 * token ends every session made with the old one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { sameSignature, signature } from '../../activities/secrets';

/** Revoked nonces kept at most: past this, the oldest go (a flood of sign-outs cannot grow memory). */
const MAX_REVOKED = 10_000;

export interface SessionCookiesOptions {
  /** The token signed in with: the key is derived from it. */
  token: string;
  /** What the session opens ('dashboard', 'codec'): one's cookie never passes for the other's. */
  purpose: string;
  ttlSeconds: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export type SessionCheck =
  { ok: true; nonce: string; exp: number } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' | 'revoked' };

const FORMAT = /^(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/;

export class SessionCookies {
  private readonly key: Buffer;
  private readonly now: () => number;
  /** nonce → its session's expiry (seconds): kept until then, no longer. */
  private readonly revoked = new Map<string, number>();

  constructor(private readonly o: SessionCookiesOptions) {
    this.key = createHmac('sha256', o.token).update(`${o.purpose}-session-key`).digest();
    this.now = o.now ?? Date.now;
  }

  get ttlSeconds(): number {
    return this.o.ttlSeconds;
  }

  private mac(issuedAt: number, exp: number, nonce: string): string {
    return signature(this.key, `${this.o.purpose}\n${issuedAt}\n${exp}\n${nonce}`);
  }

  /** A new session's cookie value. */
  issue(): string {
    const issuedAt = Math.floor(this.now() / 1000);
    const exp = issuedAt + this.o.ttlSeconds;
    const nonce = randomBytes(18).toString('base64url');
    return `${issuedAt}.${exp}.${nonce}.${this.mac(issuedAt, exp, nonce)}`;
  }

  check(value: string | undefined): SessionCheck {
    const m = FORMAT.exec(value ?? '');
    if (!m) return { ok: false, reason: 'malformed' };
    const [, issuedText, expText, nonce, given] = m as unknown as [string, string, string, string, string];
    const issuedAt = Number(issuedText);
    const exp = Number(expText);
    if (!sameSignature(given, this.mac(issuedAt, exp, nonce))) return { ok: false, reason: 'bad_signature' };
    // The lifetime is ours, not the cookie's: a value signed with a longer one (an older version) is not honoured past ours.
    const nowSeconds = Math.floor(this.now() / 1000);
    if (exp <= nowSeconds || exp - issuedAt > this.o.ttlSeconds || issuedAt > nowSeconds + 60)
      return { ok: false, reason: 'expired' };
    if (this.revoked.has(nonce)) return { ok: false, reason: 'revoked' };
    return { ok: true, nonce, exp };
  }

  /** Sign-out: this session's cookie is refused from now on, also where a copy of it was kept. */
  revoke(value: string | undefined): void {
    const c = this.check(value);
    if (!c.ok) return;
    const nowSeconds = Math.floor(this.now() / 1000);
    for (const [nonce, exp] of this.revoked) if (exp <= nowSeconds) this.revoked.delete(nonce);
    while (this.revoked.size >= MAX_REVOKED) this.revoked.delete(this.revoked.keys().next().value!);
    this.revoked.set(c.nonce, c.exp);
  }
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
