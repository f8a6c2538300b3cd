import { describe, expect, it } from 'vitest';
import { sameSecret, sameSignature, signature } from '../../activities/secrets';

describe('secrets', () => {
  it('compares secrets whatever their lengths', () => {
    expect(sameSecret('a-long-api-token-0123456789', 'a-long-api-token-0123456789')).toBe(true);
    expect(sameSecret('a-long-api-token-012345678', 'a-long-api-token-0123456789')).toBe(false);
    expect(sameSecret('', 'a-long-api-token-0123456789')).toBe(false);
    expect(sameSecret('A-LONG-API-TOKEN-0123456789', 'a-long-api-token-0123456789')).toBe(false);
  });

  it('signs with a key and checks a signature exactly', () => {
    const s = signature('key', 'text');
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sameSignature(s, signature('key', 'text'))).toBe(true);
    expect(sameSignature(s, signature('other key', 'text'))).toBe(false);
    expect(sameSignature(s, signature('key', 'text2'))).toBe(false);
    expect(sameSignature(s.slice(0, -1), s)).toBe(false);
    expect(sameSignature('', s)).toBe(false);
  });
});
