/**
 * The two pages a person looks at while trying SMS locally: the list of messages (sent and
 * received) and one message. Everything from a message is escaped.
 */
import escapeHtml from 'escape-html';
import type { SmsMessage } from './store';

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
pre{white-space:pre-wrap;background:#f7f7f7;padding:1rem;border:1px solid #ddd}dt{font-weight:600}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function renderIndex(messages: SmsMessage[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.createdAt)}</td><td>${m.direction === 'inbound' ? 'in' : 'out'}</td>` +
        `<td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.to)}</td>` +
        `<td><a href="/messages/${encodeURIComponent(m.sid)}">${escapeHtml(m.body.slice(0, 80))}</a></td><td>${m.numSegments}</td></tr>`,
    )
    .join('');
  const table = messages.length
    ? `<table><thead><tr><th>Time</th><th></th><th>From</th><th>To</th><th>Body</th><th>Segments</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No text messages yet.</p>';
  return page(
    'SMS outbox',
    `<h1>SMS outbox</h1><p>${messages.length} message(s), newest first. Nothing here leaves this machine.</p>${table}`,
  );
}

export function renderMessage(m: SmsMessage): string {
  const field = (k: string, v: string | null) => (v ? `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>` : '');
  const meta =
    '<dl>' +
    field('Time', m.createdAt) +
    field('Direction', m.direction) +
    field('From', m.from) +
    field('Messaging Service', m.messagingServiceSid) +
    field('To', m.to) +
    field('Sid', m.sid) +
    field('Segments', String(m.numSegments)) +
    field('Status callback', m.statusCallback) +
    '</dl>';
  return page(m.sid, `<p><a href="/">&larr; SMS outbox</a></p><h1>Message</h1>${meta}<pre>${escapeHtml(m.body)}</pre>`);
}

export function renderNotFound(): string {
  return page('Not found', '<p>No such message. <a href="/">Back to the SMS outbox</a>.</p>');
}
