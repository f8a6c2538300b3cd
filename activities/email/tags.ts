/**
 * Resend rejects a whole send (422 validation_error) when a tag name or value has anything but
 * ASCII letters, digits, `_` and `-`, or is longer than 256 characters (the `Tag` doc comment in
 * resend-node's index.d.cts). Our tag values come from Stripe ids, template names and decline
 * codes, which are safe today but not by contract, so every tag is made valid before sending
 * rather than letting one odd value stop a dunning email.
 */
export interface EmailTag {
  name: string;
  value: string;
}

const MAX_TAG_LENGTH = 256;

export function sanitizeTagPart(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // é -> e, rather than é -> _
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .slice(0, MAX_TAG_LENGTH);
}

/** Invalid characters become `_`; empty names or values are dropped; a repeated name keeps its last value. */
export function sanitizeTags(tags: readonly EmailTag[]): EmailTag[] {
  const byName = new Map<string, string>();
  for (const t of tags) {
    const name = sanitizeTagPart(t.name);
    const value = sanitizeTagPart(t.value);
    if (name && value) byName.set(name, value);
  }
  return [...byName].map(([name, value]) => ({ name, value }));
}
