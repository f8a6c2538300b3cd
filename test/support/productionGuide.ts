/**
 * docs/production.md as data, for the tests that walk it: the blocks it marks
 * `<!-- walked: NAME -->` (a fenced code block or a table right after the marker), and the
 * deployment files it relies on (.env, the Dockerfile's ENV, `docker-compose config`). Each reader
 * throws naming what it could not find, so a guide that drops a step fails its test loudly.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const GUIDE = join(REPO_ROOT, 'docs', 'production.md');

export interface WalkedBlock {
  /** The fence's language (`sh`, `dotenv`), or `table`. */
  lang: string;
  text: string;
}

/** The block marked `<!-- walked: name -->`: the fenced code block or the table that follows it. */
export function walkedBlock(markdown: string, name: string): WalkedBlock {
  const marker = `<!-- walked: ${name} -->`;
  const at = markdown.indexOf(marker);
  if (at < 0) throw new Error(`docs/production.md has no block marked ${marker}`);
  if (markdown.indexOf(marker, at + 1) >= 0) throw new Error(`docs/production.md marks two blocks ${marker}`);
  const rest = markdown.slice(at + marker.length).replace(/^\s*\n/, '');
  const fence = /^```(\w*)\n([\s\S]*?)\n```/.exec(rest);
  if (fence) return { lang: fence[1] ?? '', text: fence[2]! };
  if (rest.startsWith('|')) {
    const lines = rest.split('\n');
    const end = lines.findIndex((l) => !l.startsWith('|'));
    return { lang: 'table', text: lines.slice(0, end < 0 ? undefined : end).join('\n') };
  }
  throw new Error(`docs/production.md: ${marker} is followed by neither a code block nor a table`);
}

/** The first backticked name of each body row of a Markdown table. */
export function firstColumnNames(table: string): string[] {
  return table
    .split('\n')
    .slice(2)
    .map((row) => /^\|\s*`([^`]+)`/.exec(row)?.[1])
    .filter((n): n is string => n !== undefined);
}

/**
 * A .env file as Compose and `node --env-file` read it: `KEY=value` lines, `#` comments, a value in
 * matching quotes unquoted. The last line for a key wins.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!.trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    env[m[1]!] = value;
  }
  return env;
}

/** `ENV` of the Dockerfile's last stage (what the image runs with), `KEY=value` pairs, continuations joined. */
export function dockerfileEnv(dockerfile: string): Record<string, string> {
  const stages = dockerfile.replace(/\\\n/g, ' ').split(/^FROM .*$/m);
  const last = stages[stages.length - 1]!;
  const env: Record<string, string> = {};
  for (const m of last.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`Dockerfile: ENV ${m[1]}: only the KEY=value form is read here`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/** The `stripe webhook_endpoints create` command's API version and events. */
export function stripeEndpointFromCommand(sh: string): { apiVersion: string; enabledEvents: string[] } {
  const apiVersion = /-d\s+"?api_version=([^"\s]+)"?/.exec(sh)?.[1];
  if (!apiVersion || !/stripe webhook_endpoints create/.test(sh)) {
    throw new Error('the stripe-endpoint block is not a `stripe webhook_endpoints create … -d api_version=…` command');
  }
  const enabledEvents = [...sh.matchAll(/enabled_events\[\]=([a-z_.*]+)/g)].map((m) => m[1]!);
  return { apiVersion, enabledEvents };
}

/** `--name X --type Y` pairs of a `temporal operator search-attribute create` command. */
export function searchAttributesFromCommand(sh: string): Array<{ name: string; cliType: string }> {
  return [...sh.matchAll(/--name\s+(\w+)\s+--type\s+(\w+)/g)].map((m) => ({ name: m[1]!, cliType: m[2]! }));
}

/**
 * Runs the guide's `env` block as written, with bash, in a fresh directory holding a copy of
 * .env.example (as the checkout it is written for): returns the `.env` it made.
 */
export function runEnvBlock(script: string, envExample = join(REPO_ROOT, '.env.example')): string {
  const dir = mkdtempSync(join(tmpdir(), 'dunning-guide-env-'));
  try {
    cpSync(envExample, join(dir, '.env.example'));
    execFileSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(join(dir, '.env'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What Compose gives each service (`environment`, the service's own merged over its `env_file`,
 * interpolated from `.env`), as the real `docker-compose config` resolves it with `dotEnv` as the
 * project's .env. docker-compose 1.29 prints YAML only: python3's PyYAML, which it runs on, reads it.
 */
export function composeEnvironments(dockerCompose: string, dotEnv: string): Record<string, Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'dunning-guide-compose-'));
  try {
    cpSync(join(REPO_ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    cpSync(join(REPO_ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
    writeFileSync(join(dir, '.env'), dotEnv);
    const yaml = execFileSync(dockerCompose, ['config'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const json = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
      input: yaml,
      encoding: 'utf8',
    });
    const { services } = JSON.parse(json) as { services: Record<string, { environment?: Record<string, string | null> }> };
    return Object.fromEntries(
      Object.entries(services).map(([name, s]) => [
        name,
        Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v ?? ''])),
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the sandbox stands in for, in place of the guide's placeholder values. */
export interface SandboxSettings {
  publicBaseUrl: string;
  stripeSecretKey: string;
  stripeWebhookSecret: string;
  resendApiKey: string;
  resendWebhookSecret: string;
}

/**
 * The guide's `settings` block (what the operator types in from Stripe, Resend and their domain)
 * with the sandbox's values for the providers' and the host's, and the rest as written. A key the
 * guide adds there must be named here: the walk cannot guess what it stands for.
 */
export function settingsForSandbox(dotenvBlock: string, sandbox: SandboxSettings): Record<string, string> {
  const written = parseDotEnv(dotenvBlock);
  const instead: Record<string, { value: string; placeholder: RegExp }> = {
    PUBLIC_BASE_URL: { value: sandbox.publicBaseUrl, placeholder: /^https:\/\// },
    STRIPE_SECRET_KEY: { value: sandbox.stripeSecretKey, placeholder: /^(sk|rk)_live_/ },
    STRIPE_WEBHOOK_SECRET: { value: sandbox.stripeWebhookSecret, placeholder: /^whsec_/ },
    RESEND_API_KEY: { value: sandbox.resendApiKey, placeholder: /^re_/ },
    RESEND_WEBHOOK_SECRET: { value: sandbox.resendWebhookSecret, placeholder: /^whsec_/ },
  };
  const asWritten = ['EMAIL_FROM', 'BUSINESS_NAME', 'EMAIL_REPLY_TO', 'EMAIL_RATE_LIMIT'];
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(written)) {
    const sub = instead[key];
    if (sub) {
      if (!sub.placeholder.test(value)) throw new Error(`the guide's ${key}=${value} does not look like ${sub.placeholder}`);
      out[key] = sub.value;
    } else if (asWritten.includes(key)) out[key] = value;
    else throw new Error(`the guide's settings set ${key}: say in test/support/productionGuide.ts what it is in the sandbox`);
  }
  return out;
}

/** The guide's `set_env` on a .env text: each key's line (commented out or not) replaced by one at the end. */
export function setEnvLines(dotEnv: string, values: Record<string, string>): string {
  let lines = dotEnv.replace(/\n$/, '').split('\n');
  for (const [key, value] of Object.entries(values)) {
    lines = lines.filter((l) => !new RegExp(`^#? ?${key}=`).test(l));
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The .env the guide makes: its secrets recipe and its app-webhook recipe run as written (one shell,
 * as the guide says: the second uses the first's `set_env`), then its settings typed in, with the
 * sandbox's values where the guide has the real providers'. APP_WEBHOOK_URL stays the guide's: a
 * walk points it at its own receiver as it points the providers at the sandboxes.
 */
export function guideDotEnv(guide: string, sandbox: SandboxSettings): string {
  const made = runEnvBlock(`${walkedBlock(guide, 'env').text}\n${walkedBlock(guide, 'app-webhook').text}`);
  const appUrl = parseDotEnv(made).APP_WEBHOOK_URL ?? '';
  if (!/^https:\/\//.test(appUrl)) throw new Error(`the guide's app-webhook block sets no https APP_WEBHOOK_URL (${appUrl})`);
  return setEnvLines(made, settingsForSandbox(walkedBlock(guide, 'settings').text, sandbox));
}
