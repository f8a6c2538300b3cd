import e from 'escape-html';
import type { Action, EmailContent, Inline, Paragraph } from './content';

/**
 * The HTML part. Email clients ignore <style> blocks and most CSS, so: inline styles, tables for
 * layout (marked role="presentation" for screen readers), a real <table> with row headers for the
 * details, and colours that pass WCAG AA contrast. Every value goes through `e`.
 */

const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TEXT = '#1f2937';
const MUTED = '#4b5563';
const BRAND = '#1d4ed8';
const P = `margin:0 0 16px;font-size:16px;line-height:24px;color:${TEXT};`;

function inline(part: Inline): string {
  if (typeof part === 'string') return e(part);
  return `<a href="${e(part.href)}" style="color:${BRAND};text-decoration:underline;">${e(part.text)}</a>`;
}

function paragraph(p: Paragraph, style = P): string {
  const parts = typeof p === 'string' ? [p] : p;
  return `<p style="${style}">${parts.map(inline).join('')}</p>`;
}

function details(c: EmailContent): string {
  if (c.details.length === 0) return '';
  const rows = c.details
    .map(
      (d) =>
        `<tr><th scope="row" style="padding:8px 12px 8px 0;border-top:1px solid #e5e7eb;text-align:left;font-weight:normal;color:${MUTED};font-size:14px;line-height:20px;">${e(d.label)}</th>` +
        `<td style="padding:8px 0;border-top:1px solid #e5e7eb;text-align:right;font-weight:600;color:${TEXT};font-size:14px;line-height:20px;">${e(d.value)}</td></tr>`,
    )
    .join('\n');
  return `<table style="width:100%;border-collapse:collapse;margin:8px 0 24px;">\n${rows}\n</table>`;
}

/**
 * One button. The table cell carries the colour too, so clients that drop padding on <a> still
 * show a button. A second button is outlined: one clear first choice, the other beside it.
 */
function button(a: Action, primary: boolean, tableStyle: string): string {
  const cell = primary
    ? `border-radius:6px;background-color:${BRAND};`
    : `border-radius:6px;border:2px solid ${BRAND};background-color:#ffffff;`;
  const link = primary
    ? `display:inline-block;padding:14px 28px;font-family:${FONT};font-size:16px;font-weight:600;line-height:20px;color:#ffffff;text-decoration:none;border-radius:6px;background-color:${BRAND};`
    : `display:inline-block;padding:12px 26px;font-family:${FONT};font-size:16px;font-weight:600;line-height:20px;color:${BRAND};text-decoration:none;border-radius:6px;`;
  return [
    `<table role="presentation" cellspacing="0" cellpadding="0" border="0" style="${tableStyle}"><tr><td style="${cell}">`,
    `<a href="${e(a.url)}" style="${link}">${e(a.label)}</a>`,
    `</td></tr></table>`,
  ].join('\n');
}

function action(c: EmailContent): string {
  if (!c.action) return '';
  const fallback = `margin:0 0 24px;font-size:14px;line-height:20px;color:${MUTED};`;
  const link = (a: Action) =>
    `<a href="${e(a.url)}" style="color:${BRAND};text-decoration:underline;word-break:break-all;">${e(a.url)}</a>`;
  if (!c.alternative) {
    return [
      button(c.action, true, 'margin:0 0 16px;'),
      `<p style="${fallback}">${e(c.linkFallback)}<br>${link(c.action)}</p>`,
    ].join('\n');
  }
  // inline-table: the two buttons sit side by side where there is room and wrap on a narrow screen.
  const beside = 'display:inline-table;vertical-align:top;margin:0 12px 16px 0;';
  return [
    button(c.action, true, beside),
    button(c.alternative, false, beside),
    `<p style="${fallback}">${e(c.linksFallback)}${[c.action, c.alternative].map((a) => `<br>${e(a.label)}: ${link(a)}`).join('')}</p>`,
  ].join('\n');
}

export function renderHtml(c: EmailContent): string {
  const small = `margin:0 0 8px;font-size:13px;line-height:20px;color:${MUTED};`;
  return `<!DOCTYPE html>
<html lang="${e(c.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${e(c.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;">${e(c.preheader)}</div>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width:560px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:32px;font-family:${FONT};">
<h1 style="margin:0 0 24px;font-size:22px;line-height:30px;font-weight:700;color:${TEXT};">${e(c.heading)}</h1>
${paragraph(c.greeting)}
${c.intro.map((p) => paragraph(p)).join('\n')}
${details(c)}
${action(c)}
${c.outro.map((p) => paragraph(p)).join('\n')}
<p style="${P}">${c.signoff.map(e).join('<br>')}</p>
</td></tr>
</table>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width:560px;">
<tr><td style="padding:16px 32px;font-family:${FONT};">
${c.footer.map((p) => paragraph(p, small)).join('\n')}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`.replace(/\n{2,}/g, '\n');
}
