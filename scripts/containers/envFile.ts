/**
 * The .env of a local container run: .env.example as documented, with every secret generated
 * (as docs/production says to), placeholder sk_test_/re_ keys, and the providers pointed at the
 * host's sandboxes. Nothing here bypasses production mode: compose sets NODE_ENV=production.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './podman';

export interface RunEnv {
  apiToken: string;
  codecToken: string;
  /** The .env file's text. */
  text: string;
}

/**
 * `.env.example`'s text with `values` set: a key's line replaced in place (its commented-out
 * example line when it has no other), the keys the example lacks appended.
 */
export function renderEnv(example: string, values: Record<string, string>): string {
  const lines = example.split('\n');
  const keyOf = (line: string, commented: boolean) =>
    (commented ? /^#\s*([A-Z][A-Z0-9_]*)=/ : /^([A-Z][A-Z0-9_]*)=/).exec(line)?.[1];
  const extra: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    let at = lines.findIndex((l) => keyOf(l, false) === key);
    if (at < 0) at = lines.findIndex((l) => keyOf(l, true) === key);
    if (at < 0) extra.push(`${key}=${value}`);
    else lines[at] = `${key}=${value}`;
  }
  return [...lines, ...(extra.length ? ['', '# --- Set by scripts/containers for the local run ---', ...extra] : [])].join('\n');
}

export function localRunEnv(o: { stripeUrl: string; outboxUrl: string; webhookSecret: string }): RunEnv {
  const apiToken = randomBytes(32).toString('hex');
  const codecToken = randomBytes(32).toString('hex');
  const values: Record<string, string> = {
    API_TOKEN: apiToken,
    LINK_SECRET: randomBytes(32).toString('hex'),
    PAYLOAD_ENCRYPTION_KEYS: `local-${new Date().toISOString().slice(0, 7).replace('-', '')}:${randomBytes(32).toString('base64')}`,
    CODEC_TOKEN: codecToken,
    // Placeholders of the right form: the SDKs talk to the host's sandboxes, which accept any.
    STRIPE_SECRET_KEY: `sk_test_local${randomBytes(12).toString('hex')}`,
    STRIPE_WEBHOOK_SECRET: o.webhookSecret,
    RESEND_API_KEY: `re_local${randomBytes(12).toString('hex')}`,
    STRIPE_API_BASE: o.stripeUrl,
    RESEND_BASE_URL: o.outboxUrl,
    POSTGRES_PASSWORD: randomBytes(18).toString('hex'),
    // Compose requires both (\${VAR:?}); Prometheus scrapes /metrics with the token.
    METRICS_TOKEN: randomBytes(32).toString('hex'),
    GRAFANA_ADMIN_PASSWORD: randomBytes(18).toString('hex'),
    // No Grafana here: Debian, which every local image is built from, does not package it.
    COMPOSE_PROFILES: '',
  };
  const example = readFileSync(join(REPO_ROOT, '.env.example'), 'utf8');
  return { apiToken, codecToken, text: renderEnv(example, values) };
}
