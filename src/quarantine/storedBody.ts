/**
 * A quarantined event's body as the workflow keeps it. Verbatim, so that a replay reads exactly
 * what Stripe signed. Small bodies stay text (readable in the Web UI); a large one is gzipped:
 * a webhook may be 1 MB, and JSON-escaping can double that, to Temporal's 2 MB payload limit
 * (which it warns about from 512 KB, and which every byte of history counts against).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { QuarantinedEvent } from '../../domain/quarantineMessages';

/** Text up to this many bytes is kept as is (Temporal warns on payloads over 512 KB). */
const MAX_TEXT_BYTES = 256 * 1024;

export function storeBody(raw: Buffer): Pick<QuarantinedEvent, 'rawBody' | 'rawBodyEncoding'> {
  // Escapes (`\n` → `\\n`, `"` → `\"`) can double the size once the text is a JSON string.
  if (raw.length * 2 <= MAX_TEXT_BYTES) return { rawBody: raw.toString('utf8'), rawBodyEncoding: 'utf8' };
  return { rawBody: gzipSync(raw).toString('base64'), rawBodyEncoding: 'gzip-base64' };
}

export function bodyText(e: Pick<QuarantinedEvent, 'rawBody' | 'rawBodyEncoding'>): string {
  return e.rawBodyEncoding === 'utf8' ? e.rawBody : gunzipSync(Buffer.from(e.rawBody, 'base64')).toString('utf8');
}
