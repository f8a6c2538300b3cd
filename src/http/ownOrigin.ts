/**
 * Which origins are this server's own, for the checks of forms posted to it (sign-in, sign-out) and
 * of the codec's CORS. The scheme is PUBLIC_BASE_URL's: behind a proxy that ends TLS the request
 * arrives over http while the browser's page is https, and `X-Forwarded-Proto` is the client's to
 * make up.
 */
import type { Request } from 'express';

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** `https:` or `http:`, as PUBLIC_BASE_URL says (http without one). */
export const publicScheme = (publicBaseUrl: string | undefined): string =>
  publicBaseUrl && new URL(publicBaseUrl).protocol === 'https:' ? 'https' : 'http';

export const isHttps = (publicBaseUrl: string | undefined): boolean => publicScheme(publicBaseUrl) === 'https';

/**
 * PUBLIC_BASE_URL's origin, and the one the request was addressed to (its Host) under that
 * scheme. `loopbackOnly`: the Host counts only when it is a loopback name, which a page of another
 * site cannot make a browser send (with DNS rebinding, evil.example resolving to 127.0.0.1, the
 * Host is evil.example, the same as the page's origin).
 */
export function ownOrigins(req: Request, publicBaseUrl: string | undefined, o: { loopbackOnly?: boolean } = {}): string[] {
  const list = publicBaseUrl ? [new URL(publicBaseUrl).origin] : [];
  const host = req.get('host');
  if (host && (!o.loopbackOnly || LOOPBACK_HOST.test(host))) list.push(`${publicScheme(publicBaseUrl)}://${host.toLowerCase()}`);
  return list;
}

/**
 * A browser's request from a page of this server: `Sec-Fetch-Site: same-origin`, or without that
 * header (older browsers) an `Origin` of ours. `required`: a request with neither (not a browser
 * form, or one that hides where it comes from) is refused too; else it passes (curl, scripts).
 */
export function fromOwnPage(req: Request, publicBaseUrl: string | undefined, required: boolean): boolean {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  if (site !== undefined && site !== 'same-origin') return false;
  if (origin !== undefined) return ownOrigins(req, publicBaseUrl).includes(origin.toLowerCase());
  return site === 'same-origin' || !required;
}
