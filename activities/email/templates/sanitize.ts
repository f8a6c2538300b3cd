/**
 * Turning untrusted values into something safe to put in an email. HTML escaping itself is the
 * `escape-html` package (element content and quoted attribute values alike).
 */

// Control characters would let a name start new lines in the text part (a fake "pay here" line);
// bidi overrides would let it visually reorder the sentence around it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A customer-supplied value shown inline: one line, bounded length (counted in code points). */
export function singleLine(value: string, maxLength = 80): string {
  const flat = value.replace(CONTROL_OR_BIDI, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > maxLength ? `${chars.slice(0, maxLength - 1).join('')}…` : flat;
}

/**
 * The button's target. Escaping alone would keep `javascript:` links working, so anything but an
 * absolute http(s) URL is a caller bug and fails loudly rather than sending a dead button.
 */
export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`email link is not an absolute URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`email link must be http(s), got ${url.protocol}`);
  }
  return value;
}
