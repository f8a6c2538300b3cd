/**
 * The pages behind the links in our emails (`/billing/update/:token`, `/billing/retry/:token`):
 * one look, plain HTML with inline styles, no script (a form is a plain POST), in the customer's
 * language. Every value is escaped here; callers pass plain text.
 */
import escapeHtml from 'escape-html';
import type { Request, Response } from 'express';
import { EMAIL_LOCALES, type EmailLocale } from '../../activities/email/templates';
import { LINK_PAGE_COPY } from './linkPageCopy';

export interface PageContent {
  title: string;
  /** Plain text, one paragraph each. */
  paragraphs: string[];
  /** A small table: the amount, the card. */
  details?: { label: string; value: string }[];
  /** A button that POSTs `fields` to `action` (the CSRF field, say). */
  form?: { action: string; fields: Record<string, string>; button: string };
  /** Links under the text, e.g. "Use a different card". */
  links?: { text: string; href: string }[];
}

/**
 * The language of a page: the link's own (the email's), else the browser's, else English. A link
 * that cannot be read (tampered, truncated) has no language of its own.
 */
export function pageLocale(req: Request, fromLink?: EmailLocale): EmailLocale {
  if (fromLink) return fromLink;
  const accepted = req.acceptsLanguages(...EMAIL_LOCALES);
  return accepted === 'vi' ? 'vi' : 'en';
}

const BRAND = '#1d4ed8';

export function sendPage(res: Response, status: number, locale: EmailLocale, c: PageContent): void {
  const p = (text: string) => `<p>${escapeHtml(text)}</p>`;
  const details = c.details?.length
    ? `<table style="width:100%;border-collapse:collapse;margin:1rem 0">${c.details
        .map(
          (d) =>
            `<tr><th scope="row" style="text-align:left;font-weight:normal;color:#4b5563;padding:.5rem 0;border-top:1px solid #e5e7eb">${escapeHtml(d.label)}</th>` +
            `<td style="text-align:right;font-weight:600;padding:.5rem 0;border-top:1px solid #e5e7eb">${escapeHtml(d.value)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const form = c.form
    ? `<form method="post" action="${escapeHtml(c.form.action)}" style="margin:1.5rem 0">${Object.entries(c.form.fields)
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
        .join(
          '',
        )}<button type="submit" style="font:inherit;font-weight:600;color:#fff;background:${BRAND};border:0;border-radius:6px;padding:.8rem 1.6rem;cursor:pointer">${escapeHtml(c.form.button)}</button></form>`
    : '';
  const links = (c.links ?? [])
    .map((l) => `<p><a href="${escapeHtml(l.href)}" style="color:${BRAND}">${escapeHtml(l.text)}</a></p>`)
    .join('');
  res
    .status(status)
    // The token in the URL is the customer's key to these pages: keep it out of caches and of
    // Referer headers, and the page out of frames (a framed "retry" button could be clickjacked).
    .set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Robots-Tag': 'noindex',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    })
    .type('html')
    .send(
      `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(c.title)}</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1f2937"><h1 style="font-size:1.4rem">${escapeHtml(c.title)}</h1>` +
        `${c.paragraphs.map(p).join('')}${details}${form}${links}</body></html>`,
    );
}

/** A link that is not one of ours (tampered, truncated, garbled), or of another purpose. */
export function badLinkPage(res: Response, locale: EmailLocale = 'en'): void {
  const { title, body } = LINK_PAGE_COPY[locale].badLink;
  sendPage(res, 400, locale, { title, paragraphs: [body] });
}

export function expiredLinkPage(res: Response, locale: EmailLocale = 'en'): void {
  const { title, body } = LINK_PAGE_COPY[locale].expired;
  sendPage(res, 410, locale, { title, paragraphs: [body] });
}

/** The page could not be opened just now (Temporal or Stripe unreachable): the link itself is fine. */
export function unavailablePage(res: Response, locale: EmailLocale = 'en'): void {
  const { title, body } = LINK_PAGE_COPY[locale].unavailable;
  sendPage(res, 503, locale, { title, paragraphs: [body] });
}
