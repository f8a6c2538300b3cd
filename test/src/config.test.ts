import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    expect(a.generated).toEqual(['API_TOKEN', 'LINK_SECRET', 'PAYLOAD_ENCRYPTION_KEYS']);
    const b = loadConfig({ DATA_DIR: dir });
    expect(b.apiToken).toBe(a.apiToken);
    expect(b.linkSecret).toBe(a.linkSecret);
    expect(b.stripe.webhookSecret).toBe(a.stripe.webhookSecret);
  });

  it('RESEND_WEBHOOK_SECRET: generated and kept for the local outbox; with real Resend, only as given', () => {
    const dir = dataDir();
    const a = loadConfig({ DATA_DIR: dir });
    expect(a.email.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(loadConfig({ DATA_DIR: dir }).email.webhookSecret).toBe(a.email.webhookSecret);
    expect(loadConfig({ DATA_DIR: dataDir(), RESEND_API_KEY: 're_live_1' }).email.webhookSecret).toBeUndefined();
    const given = `whsec_${Buffer.from('resend webhook secret').toString('base64')}`;
    expect(
      loadConfig({ DATA_DIR: dataDir(), RESEND_API_KEY: 're_live_1', RESEND_WEBHOOK_SECRET: given }).email.webhookSecret,
    ).toBe(given);
  });

  it('production tokens: at least 32 random characters, refused otherwise with a message that says how to make one', () => {
    const prod = {
      NODE_ENV: 'production',
      API_TOKEN: randomBytes(32).toString('hex'),
      LINK_SECRET: randomBytes(32).toString('hex'),
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      RESEND_API_KEY: 're_x',
      PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      CODEC_TOKEN: randomBytes(24).toString('base64url'),
    };
    expect(problemsOf(prod)).toEqual([]);
    expect(problemsOf({ ...prod, API_TOKEN: 'api-token-0123456789ab' })).toEqual([
      'API_TOKEN: 22 characters; production needs at least 32 random ones (generate one with: openssl rand -hex 32)',
    ]);
    expect(problemsOf({ ...prod, CODEC_TOKEN: 'codec-token-0123456789' })).toEqual([
      'CODEC_TOKEN: 22 characters; production needs at least 32 random ones (generate one with: openssl rand -hex 32)',
    ]);
    expect(problemsOf({ ...prod, API_TOKEN: 'changeme'.repeat(4) })).toEqual([
      'API_TOKEN: not random (too few distinct characters); generate one with: openssl rand -hex 32',
    ]);
    // Development takes what it is given (16 at least), and generates tokens that production would take.
    expect(problemsOf({ API_TOKEN: 'api-token-0123456789ab' })).toEqual([]);
    const generated = loadConfig({ DATA_DIR: dataDir() }).apiToken;
    expect(generated.length).toBeGreaterThanOrEqual(32);
    expect(new Set(generated).size).toBeGreaterThanOrEqual(10);
  });

  it('HOST: 127.0.0.1 in development, 0.0.0.0 in production, as given otherwise; TRUST_PROXY: a hop count, none by default', () => {
    const prod = {
      NODE_ENV: 'production',
      API_TOKEN: randomBytes(32).toString('hex'),
      LINK_SECRET: randomBytes(32).toString('hex'),
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      RESEND_API_KEY: 're_x',
      PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    const dev = loadConfig({ DATA_DIR: dataDir() });
    expect(dev.host).toBe('127.0.0.1');
    expect(dev.trustProxy).toBe(0);
    expect(loadConfig({ DATA_DIR: dataDir(), HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    const production = loadConfig({ DATA_DIR: dataDir(), ...prod });
    expect(production.host).toBe('0.0.0.0');
    expect(loadConfig({ DATA_DIR: dataDir(), ...prod, HOST: '10.0.0.5', TRUST_PROXY: '1' })).toMatchObject({
      host: '10.0.0.5',
      trustProxy: 1,
    });
    expect(problemsOf({ TRUST_PROXY: 'true' }).join()).toMatch(/^TRUST_PROXY/);
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
    [{ RESEND_WEBHOOK_SECRET: 'not-a-secret' }, 'RESEND_WEBHOOK_SECRET'],
    [{ WORKER_MAX_CACHED_WORKFLOWS: 'lots' }, 'WORKER_MAX_CACHED_WORKFLOWS'],
    [{ WORKER_WORKFLOW_HEAP_MB: '-1' }, 'WORKER_WORKFLOW_HEAP_MB'],
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

  it('reads the network rules file (NETWORK_RULES_FILE, default the shipped one) and names each problem of a bad one', () => {
    const shipped = JSON.parse(readFileSync('policies/network-rules.json', 'utf8')) as { rules: Array<Record<string, unknown>> };
    expect(loadConfig({ DATA_DIR: dataDir() }).networkRules).toEqual(shipped);
    const dir = dataDir();
    const file = join(dir, 'rules.json');
    const [visa1, visa20, ...rest] = shipped.rules;
    writeFileSync(
      file,
      JSON.stringify({ ...shipped, rules: [{ ...visa1, sources: [] }, { ...visa20, max: 0, countedPer: ['amount'] }, ...rest] }),
    );
    const problems = problemsOf({ NETWORK_RULES_FILE: file });
    expect(problems).toEqual([
      `NETWORK_RULES_FILE ${file}: rules.0.sources (visa_category_1_never): every rule names its source`,
      `NETWORK_RULES_FILE ${file}: rules.1.max (visa_reattempts_20_in_30_days): must be at least 1`,
      `NETWORK_RULES_FILE ${file}: rules.1.countedPer (visa_reattempts_20_in_30_days): must include 'card' (the ledger counts per card)`,
    ]);
    expect(problemsOf({ NETWORK_RULES_FILE: join(dir, 'missing.json') })).toEqual([
      expect.stringMatching(/^NETWORK_RULES_FILE .*missing\.json: cannot read as JSON \(ENOENT/),
    ]);
    const lower = join(dir, 'lower.json');
    writeFileSync(lower, JSON.stringify({ ...shipped, rules: [{ ...visa20, max: 5 }] }));
    expect(loadConfig({ DATA_DIR: dir, NETWORK_RULES_FILE: lower }).networkRules.rules).toEqual([{ ...visa20, max: 5 }]);
  });

  it('stops `npm start` with one line per problem of a bad rules file', () => {
    const dir = dataDir();
    const file = join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ version: 2, checkedOn: 'today', rules: [] }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NETWORK_RULES_FILE: file, DATA_DIR: dir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`NETWORK_RULES_FILE ${file}: version: must be 1`);
    expect(r.stderr).toContain(`NETWORK_RULES_FILE ${file}: checkedOn: must be a date YYYY-MM-DD`);
    expect(r.stderr).toContain(`NETWORK_RULES_FILE ${file}: rules: must list at least one rule`);
  });

  it('CASE_END_DATABASE_URL: unset, the SQLite file under DATA_DIR; a PostgreSQL URL, kept; anything else refused without echoing it', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).caseEndDatabaseUrl).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dataDir(), CASE_END_DATABASE_URL: '' }).caseEndDatabaseUrl).toBeUndefined();
    const url = 'postgresql://dunning:s3cr3t@db.internal:5432/dunning?sslmode=require';
    expect(loadConfig({ DATA_DIR: dataDir(), CASE_END_DATABASE_URL: url }).caseEndDatabaseUrl).toBe(url);
    expect(loadConfig({ DATA_DIR: dataDir(), CASE_END_DATABASE_URL: 'postgres://db/x' }).caseEndDatabaseUrl).toBe(
      'postgres://db/x',
    );
    for (const bad of ['mysql://u:s3cr3t@db/x', 'https://u:s3cr3t@db/x', 'postgres://u:s3cr3t@/x', 's3cr3t']) {
      const problems = problemsOf({ CASE_END_DATABASE_URL: bad });
      expect(problems).toEqual([
        'CASE_END_DATABASE_URL: CASE_END_DATABASE_URL must be a PostgreSQL URL, postgres://user:password@host:5432/database',
      ]);
      expect(problems.join()).not.toContain('s3cr3t');
    }
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

describe('config: payload encryption keys and the codec server', () => {
  const k = (n = 32) => randomBytes(n).toString('base64');

  it('generates a dev key into dev-secrets.json, kept across restarts and added to an older file', () => {
    const dir = dataDir();
    writeFileSync(
      join(dir, 'dev-secrets.json'),
      JSON.stringify({ apiToken: 'dev_old_token_123456', linkSecret: 'x'.repeat(40), stripeWebhookSecret: 'whsec_old' }),
    );
    const a = loadConfig({ DATA_DIR: dir });
    expect(a.apiToken).toBe('dev_old_token_123456');
    expect(a.generated).toContain('PAYLOAD_ENCRYPTION_KEYS');
    expect(a.encryptionKeys).toHaveLength(1);
    expect(a.encryptionKeys[0]!.key).toHaveLength(32);
    const kept = JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8'));
    expect(kept.payloadEncryptionKeys).toMatch(/^dev-\d{8}:/);
    const b = loadConfig({ DATA_DIR: dir });
    expect(b.encryptionKeys[0]!.key.equals(a.encryptionKeys[0]!.key)).toBe(true);
  });

  it('reads keyId:base64key pairs, the first one encrypting', () => {
    const c = loadConfig({ DATA_DIR: dataDir(), PAYLOAD_ENCRYPTION_KEYS: `2026-11:${k()}, 2025-01:${k()}` });
    expect(c.encryptionKeys.map((x) => x.id)).toEqual(['2026-11', '2025-01']);
    expect(c.generated).not.toContain('PAYLOAD_ENCRYPTION_KEYS');
  });

  it.each([
    [`nocolon`, /entry 1 of 1 is not keyId:base64key/],
    [`k1:${k(16)}`, /entry 1 of 1 \(key id k1\): 16 bytes, AES-256 needs 32/],
    [`k1:${k()},k1:${k()}`, /key id k1 appears twice/],
    [`k1:${k()},bad id:${k()}`, /entry 2 of 2 is not keyId:base64key/],
  ])('names PAYLOAD_ENCRYPTION_KEYS and what is wrong, without echoing key material (case %#)', (value, message) => {
    const problems = problemsOf({ PAYLOAD_ENCRYPTION_KEYS: value });
    expect(problems.some((p) => p.startsWith('PAYLOAD_ENCRYPTION_KEYS') && message.test(p))).toBe(true);
    for (const part of value.split(',')) expect(problems.join('\n')).not.toContain(part.split(':')[1] ?? '\u0000');
  });

  it('requires PAYLOAD_ENCRYPTION_KEYS in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toContain('PAYLOAD_ENCRYPTION_KEYS: required when NODE_ENV=production');
  });

  it('codec server: the embedded Web UI origins in dev; a token or nothing in production; origins validated', () => {
    const dev = loadConfig({ DATA_DIR: dataDir(), TEMPORAL_DEV_UI_PORT: '18233' });
    expect(dev.codec).toEqual({
      enabled: true,
      allowedOrigins: ['http://localhost:18233', 'http://127.0.0.1:18233'],
      token: undefined,
    });
    const cluster = loadConfig({
      DATA_DIR: dataDir(),
      TEMPORAL_ADDRESS: 'temporal:7233',
      CODEC_ALLOWED_ORIGINS: 'https://cloud.temporal.io, http://localhost:8233/',
      CODEC_TOKEN: 'codec-token-0123456789',
    });
    expect(cluster.codec).toEqual({
      enabled: true,
      allowedOrigins: ['https://cloud.temporal.io', 'http://localhost:8233'],
      token: 'codec-token-0123456789',
    });
    expect(problemsOf({ CODEC_ALLOWED_ORIGINS: 'https://ui.example.com/path' }).join()).toMatch(/^CODEC_ALLOWED_ORIGINS: /);
    expect(problemsOf({ CODEC_TOKEN: 'short' }).join()).toMatch(/^CODEC_TOKEN/);
  });
});
