import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_POLICY } from '../../domain/policy';

const dataDir = () => mkdtempSync(join(tmpdir(), 'dunning-config-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: dataDir(), ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('runs on defaults in development: embedded Temporal, sandboxes, generated secrets kept across restarts', () => {
    const dir = dataDir();
    const a = loadConfig({ DATA_DIR: dir });
    expect(a.temporal).toMatchObject({ address: undefined, namespace: 'default', taskQueue: 'dunning' });
    expect(a.stripe.sandbox).toBe(true);
    expect(a.email.sandbox).toBe(true);
    expect(a.port).toBe(3000);
    expect(a.publicBaseUrl).toBe('http://localhost:3000');
    expect(a.policy).toEqual(DEFAULT_POLICY);
    expect(a.generated).toEqual(['API_TOKEN', 'LINK_SECRET']);
    const b = loadConfig({ DATA_DIR: dir });
    expect(b.apiToken).toBe(a.apiToken);
    expect(b.linkSecret).toBe(a.linkSecret);
    expect(b.stripe.webhookSecret).toBe(a.stripe.webhookSecret);
  });

  it('treats an empty variable as unset', () => {
    expect(problemsOf({ STRIPE_API_BASE: '', TEMPORAL_ADDRESS: ' ', APP_WEBHOOK_URL: '' })).toEqual([]);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ STRIPE_SECRET_KEY: 'pk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_x' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_SECRET_KEY: 'sk_test_123' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_API_BASE: 'localhost:12111' }, 'STRIPE_API_BASE'],
    [{ PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
    [{ API_TOKEN: 'short' }, 'API_TOKEN'],
    [{ LINK_SECRET: 'short' }, 'LINK_SECRET'],
    [{ TEMPORAL_TLS_CERT: '/x.pem' }, 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY'],
    [{ APP_WEBHOOK_URL: 'https://app.example.com/hooks' }, 'APP_WEBHOOK_URL and APP_WEBHOOK_SECRET'],
    [{ APP_WEBHOOK_URL: 'https://app.example.com/hooks', APP_WEBHOOK_SECRET: 'nope' }, 'APP_WEBHOOK_SECRET'],
    [{ EMAIL_RATE_LIMIT: '0' }, 'EMAIL_RATE_LIMIT'],
    [{ NODE_ENV: 'production' }, 'API_TOKEN: required when NODE_ENV=production'],
    [{ DUNNING_POLICY: '/nonexistent/policy.json' }, 'DUNNING_POLICY'],
  ])('names the variable that is wrong: %j', (env, name) => {
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(name))).toBe(true);
  });

  it('validates a policy file and reports its errors by field', () => {
    const dir = dataDir();
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ ...DEFAULT_POLICY, endAfter: '3x' }));
    const problems = problemsOf({ DUNNING_POLICY: file });
    expect(problems.join('\n')).toMatch(/DUNNING_POLICY .*endAfter/);
  });

  it('stops `npm start` with a message that names the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'abc', DATA_DIR: dataDir() },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PORT/);
  });
});
