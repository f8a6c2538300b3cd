import { describe, expect, it } from 'vitest';
import { noticeCors } from '../../src/http/noticeCors';

const allowed = ['https://app.example.com'];
const own = 'https://billing.example.com';

describe('CORS of the in-app notice', () => {
  it('echoes an allowed origin (never *), with Vary: Origin and no credentials', () => {
    const d = noticeCors(allowed, own, 'https://app.example.com', false);
    expect(d).toEqual({
      allow: true,
      headers: { Vary: 'Origin', 'Access-Control-Allow-Origin': 'https://app.example.com' },
    });
  });

  it('answers a preflight with the method and the Authorization header it may send', () => {
    const d = noticeCors(allowed, own, 'https://app.example.com', true);
    expect(d.allow && d.headers).toEqual({
      Vary: 'Origin',
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': 'authorization',
      'Access-Control-Max-Age': '600',
    });
    expect(JSON.stringify(d)).not.toContain('Credentials');
  });

  it('refuses an origin not on the list, also one that only looks like it', () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com', 'null']) {
      expect(noticeCors(allowed, own, origin, false)).toEqual({ allow: false, origin, headers: { Vary: 'Origin' } });
    }
    expect(noticeCors([], own, 'https://app.example.com', true).allow).toBe(false);
  });

  it('lets this service’s own pages and callers without a browser (no Origin) through', () => {
    expect(noticeCors([], own, own, false).allow).toBe(true);
    expect(noticeCors([], own, undefined, false)).toEqual({ allow: true, headers: { Vary: 'Origin' } });
  });
});
