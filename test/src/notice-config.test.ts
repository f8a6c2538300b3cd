import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const load = (env: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'dunning-notice-config-')), ...env });
function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the in-app notice settings', () => {
  it('default: no other origin, the key derived from the API token', () => {
    expect(load({}).notice).toEqual({ allowedOrigins: [], tokenSecret: undefined });
  });

  it('reads the app origins (trailing slash dropped) and the token secret', () => {
    const c = load({
      NOTICE_ALLOWED_ORIGINS: 'https://app.example.com/, http://localhost:5173',
      NOTICE_TOKEN_SECRET: 'k'.repeat(32),
    });
    expect(c.notice).toEqual({
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
      tokenSecret: 'k'.repeat(32),
    });
  });

  it('refuses a wildcard, a URL with a path, and a short secret, naming the variable', () => {
    expect(problemsOf({ NOTICE_ALLOWED_ORIGINS: '*' })).toEqual([
      "NOTICE_ALLOWED_ORIGINS: '*' is not an origin like https://ui.example.com",
    ]);
    expect(problemsOf({ NOTICE_ALLOWED_ORIGINS: 'https://app.example.com/billing' })).toEqual([
      "NOTICE_ALLOWED_ORIGINS: 'https://app.example.com/billing' is not an origin like https://ui.example.com",
    ]);
    expect(problemsOf({ NOTICE_TOKEN_SECRET: 'short' })).toEqual([
      'NOTICE_TOKEN_SECRET: NOTICE_TOKEN_SECRET must be at least 32 characters (openssl rand -hex 32)',
    ]);
  });
});
