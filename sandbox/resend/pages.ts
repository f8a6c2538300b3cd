/**
 * The two pages a person looks at while trying the service locally: the list of sent emails and
 * one email. Everything from a message is escaped; the HTML body is shown in a sandboxed iframe
 * (`srcdoc`, no scripts) so a template cannot break or script the outbox page around it.
 */
import escapeHtml from 'escape-html';
import type { OutboxMessage } from './store';

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
code{background:#f3f3f3;padding:0 .25rem;border-radius:3px}iframe{width:100%;height:60vh;border:1px solid #ccc}
pre{white-space:pre-wrap;background:#f7f7f7;padding:1rem;border:1px solid #ddd}dt{font-weight:600}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function tagList(m: OutboxMessage): string {
  return m.tags.map((t) => `<code>${escapeHtml(t.name)}=${escapeHtml(t.value)}</code>`).join(' ');
}

export function renderIndex(messages: OutboxMessage[]): string {
  const rows = [...messages]
    .reverse() // newest first
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.createdAt)}</td><td>${escapeHtml(m.to.join(', '))}</td>` +
        `<td><a href="/messages/${encodeURIComponent(m.id)}">${escapeHtml(m.subject)}</a></td><td>${tagList(m)}</td></tr>`,
    )
    .join('');
  const table = messages.length
    ? `<table><thead><tr><th>Time</th><th>To</th><th>Subject</th><th>Tags</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No emails sent yet.</p>';
  return page(
    'Outbox',
    `<h1>Outbox</h1><p>${messages.length} email(s), newest first. Nothing here leaves this machine.</p>${table}`,
  );
}

export function renderMessage(m: OutboxMessage): string {
  const field = (k: string, v: string) => (v ? `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>` : '');
  const meta =
    '<dl>' +
    field('Sent', m.createdAt) +
    field('From', m.from) +
    field('To', m.to.join(', ')) +
    field('Cc', m.cc.join(', ')) +
    field('Reply-To', m.replyTo.join(', ')) +
    field('Subject', m.subject) +
    field('Id', m.id) +
    (m.tags.length ? `<dt>Tags</dt><dd>${tagList(m)}</dd>` : '') +
    Object.entries(m.headers)
      .map(([k, v]) => field(`Header ${k}`, v))
      .join('') +
    '</dl>';
  const html =
    m.html !== null
      ? `<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" title="HTML body" srcdoc="${escapeHtml(m.html)}"></iframe>`
      : '<p>No HTML part.</p>';
  const text = m.text !== null ? `<h2>Text</h2><pre>${escapeHtml(m.text)}</pre>` : '<p>No text part.</p>';
  return page(m.subject, `<p><a href="/">&larr; Outbox</a></p><h1>${escapeHtml(m.subject)}</h1>${meta}${html}${text}`);
}

export function renderNotFound(): string {
  return page('Not found', '<p>No such email. <a href="/">Back to the outbox</a>.</p>');
}
