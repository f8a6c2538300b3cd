/**
 * Configuration, read and validated once at start. A wrong or missing variable stops the process
 * with a message naming it. Inside the service, trust `Config`'s types.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { NetworkRules } from '../domain/networkRules';
import { DEFAULT_POLICY, durationMs, type DunningPolicy } from '../domain/policy';
import { DEFAULT_NETWORK_RULES_FILE, readNetworkRules } from './networkRulesFile';
import { readExperimentFile, type RunningExperiment } from './experimentFile';
import { parsePolicy } from './policyFile';
import { metricsAccessFrom, type MetricsAccess } from './metricsAccess';
import { KEY_BYTES, type EncryptionKey } from './temporal/payloadCodec';
import { SET_CURRENT_POLICIES, type SetCurrentPolicy } from './temporal/workerDeployment';

/** Tokens people type as passwords (API_TOKEN, CODEC_TOKEN): what production requires of them. */
export const PRODUCTION_TOKEN_LENGTH = 32;
const TOKEN_HINT = 'generate one with: openssl rand -hex 32';

/**
 * Why `value` is too weak for a production token, or undefined. Randomness cannot be measured from
 * one value; a value of few distinct characters (`aaaa…`, `changeme` repeated) is surely not.
 */
export function productionTokenProblem(name: string, value: string): string | undefined {
  if (value.length < PRODUCTION_TOKEN_LENGTH)
    return `${name}: ${value.length} characters; production needs at least ${PRODUCTION_TOKEN_LENGTH} random ones (${TOKEN_HINT})`;
  if (new Set(value).size < 10) return `${name}: not random (too few distinct characters); ${TOKEN_HINT}`;
  return undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();
const url = (name: string) =>
  z
    .string()
    .trim()
    .refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), { message: `${name} must be an http(s) URL` });

/** `postgres://` or `postgresql://` with a host (what `pg` takes; `?sslmode=…` and the like pass through). */
function isPostgresUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const u = new URL(s);
  return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
}

/**
 * `PAYLOAD_ENCRYPTION_KEYS`: `keyId:base64key,…`, 32-byte keys, the first encrypts. Problems name
 * the entry by position and id, never echo key material.
 */
const encryptionKeysSchema = z.string().transform((value, ctx): EncryptionKey[] => {
  const keys: EncryptionKey[] = [];
  const entries = value.split(',').map((s) => s.trim());
  for (const [i, entry] of entries.entries()) {
    const where = `entry ${i + 1} of ${entries.length}`;
    const m = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/_-]+={0,2})$/.exec(entry);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `${where} is not keyId:base64key (key id: letters, digits, . _ -)` });
      continue;
    }
    const [, id, material] = m as unknown as [string, string, string];
    const key = Buffer.from(material, material.includes('-') || material.includes('_') ? 'base64url' : 'base64');
    if (key.length !== KEY_BYTES) {
      ctx.addIssue({ code: 'custom', message: `${where} (key id ${id}): ${key.length} bytes, AES-256 needs ${KEY_BYTES}` });
    } else if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `${where}: key id ${id} appears twice` });
    } else keys.push({ id, key });
  }
  return keys;
});

/** Origins as the browser sends them (`scheme://host[:port]`), comma-separated. */
const origins = z.string().transform((value, ctx) => {
  const list = value.split(',').map((s) => s.trim().replace(/\/+$/, ''));
  for (const o of list) {
    if (!URL.canParse(o) || new URL(o).origin !== o)
      ctx.addIssue({ code: 'custom', message: `'${o}' is not an origin like https://ui.example.com` });
  }
  return list;
});

/** pino's levels, any case (`LOG_LEVEL=WARN` works too). */
export const logLevelSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
export type LogLevelName = z.infer<typeof logLevelSchema>;

export const envSchema = z.object({
  NODE_ENV: optionalString,
  LOG_LEVEL: logLevelSchema.default('info'),
  /**
   * The Temporal SDK's own Prometheus endpoint (`host:port`); unset: a loopback port of its own,
   * merged into this process's `/metrics` either way.
   */
  TEMPORAL_METRICS_ADDRESS: optionalString.refine((s) => s === undefined || /^[^\s:]+:\d{1,5}$/.test(s), {
    message: 'TEMPORAL_METRICS_ADDRESS must be host:port, e.g. 0.0.0.0:9464',
  }),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The API's listening address; unset: 127.0.0.1 in development, 0.0.0.0 in production (a container). */
  HOST: optionalString,
  /**
   * Proxies in front of the API whose X-Forwarded-For is believed (hops); unset or 0: none, so a
   * client cannot pick its own address (rate limits, logs) by sending the header.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  /** The worker's own `/metrics` when it runs without the API (`npm run start:worker`). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9091),
  /** Bearer token of every `/metrics` (src/metricsAccess.ts); production without it: `/metrics` is off. */
  METRICS_TOKEN: optionalString.refine((s) => s === undefined || s.length >= 16, {
    message: 'METRICS_TOKEN must be at least 16 characters',
  }),
  /**
   * The worker's memory settings (Config.worker, used by src/worker.ts): parsed here only, so that
   * a typo stops the start instead of falling back to the default.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  WORKER_WORKFLOW_HEAP_MB: z.coerce.number().int().min(0).optional(),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('dunning'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  /** The (private) CA that signed the frontend's certificate; unset: the SDK's default trust roots. */
  TEMPORAL_TLS_CA: optionalString,
  /** The name to check the frontend's certificate against (and send as SNI) instead of the address's host. */
  TEMPORAL_TLS_SERVER_NAME: optionalString.refine(
    (s) =>
      s === undefined ||
      /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(s),
    {
      message: "must be a host name as the frontend's certificate names it (e.g. temporal-frontend), without scheme or port",
    },
  ),
  /** Let the service register missing search attributes at start (it needs the operator's right to). */
  TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: z
    .enum(['true', 'false', '1', '0', ''], { message: 'TEMPORAL_REGISTER_SEARCH_ATTRIBUTES must be true or false' })
    .optional()
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Worker Deployment Versioning (src/temporal/workerDeployment.ts, docs/releases.md). `off` only
   * for a server without it (before 1.29.1, the Java time-skipping test server).
   */
  WORKER_VERSIONING: z.enum(['on', 'off'], { message: 'WORKER_VERSIONING must be on or off' }).default('on'),
  /** The Worker Deployment's name; unset: the task queue's. The server forbids '.' in it (it separates name and build id). */
  WORKER_DEPLOYMENT_NAME: optionalString.refine((s) => s === undefined || /^[A-Za-z0-9_-]{1,200}$/.test(s), {
    message: 'WORKER_DEPLOYMENT_NAME must be letters, digits, _ or - (no dots), at most 200',
  }),
  /** This build's id; unset: the package version and a hash of the workflow bundle (a new id when the workflows change). */
  WORKER_BUILD_ID: optionalString.refine((s) => s === undefined || /^[A-Za-z0-9._+-]{1,200}$/.test(s), {
    message: 'WORKER_BUILD_ID must be letters, digits, . _ + or -, at most 200 (e.g. a release tag or a commit)',
  }),
  /** When a worker makes its own build current at start; unset: always (deploys replace workers in place); first or never to ramp releases by hand. */
  WORKER_SET_CURRENT_VERSION: z
    .enum(SET_CURRENT_POLICIES, { message: `WORKER_SET_CURRENT_VERSION must be one of ${SET_CURRENT_POLICIES.join(', ')}` })
    .optional(),
  /** Ports of the embedded dev server (TEMPORAL_ADDRESS unset); a UI port of 0 runs it without the Web UI. */
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_DEV_UI_PORT: z.coerce.number().int().min(0).max(65535).default(8233),
  /** The cluster's Temporal Web UI, for the dashboard's links to cases (the embedded one's in dev). */
  TEMPORAL_UI_URL: url('TEMPORAL_UI_URL').optional(),
  STRIPE_SECRET_KEY: optionalString.refine((s) => s === undefined || /^(sk|rk)_(test|live)_/.test(s), {
    message: 'STRIPE_SECRET_KEY must start with sk_test_, sk_live_, rk_test_ or rk_live_',
  }),
  STRIPE_WEBHOOK_SECRET: optionalString.refine((s) => s === undefined || s.startsWith('whsec_'), {
    message: 'STRIPE_WEBHOOK_SECRET must start with whsec_',
  }),
  STRIPE_API_BASE: url('STRIPE_API_BASE').optional(),
  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: url('RESEND_BASE_URL').optional(),
  /** The signing secret of the Resend webhook pointed at POST /webhooks/resend. */
  RESEND_WEBHOOK_SECRET: optionalString.refine((s) => s === undefined || /^whsec_[A-Za-z0-9+/=]+$/.test(s), {
    message: 'RESEND_WEBHOOK_SECRET must be the webhook signing secret Resend shows: whsec_ followed by base64',
  }),
  /** The SMS channel (Twilio): all three of SID, token and sender, or none (SMS off in production, the sandbox in development). */
  TWILIO_ACCOUNT_SID: optionalString.refine((s) => s === undefined || /^AC[0-9a-f]{32}$/.test(s), {
    message: 'TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits, as the Twilio Console shows it',
  }),
  TWILIO_AUTH_TOKEN: optionalString,
  /** The sender: an E.164 number of the account, or a Messaging Service SID (MG…). */
  TWILIO_FROM: optionalString.refine((s) => s === undefined || /^\+[1-9]\d{1,14}$/.test(s) || /^MG[0-9a-f]{32}$/.test(s), {
    message: 'TWILIO_FROM must be an E.164 number (+15551234567) or a Messaging Service SID (MG…)',
  }),
  /** Where the Twilio SDK sends its requests (its httpClient rewrites the host); unset: api.twilio.com. */
  TWILIO_API_BASE: url('TWILIO_API_BASE').optional(),
  /** US dollars per SMS segment, for the cost each case shows (Twilio's US list price in 2025: 0.0083). */
  TWILIO_PRICE_PER_SEGMENT: z.coerce.number().nonnegative().max(10).default(0.0083),
  EMAIL_FROM: z.string().trim().min(3).default('Billing <billing@example.com>'),
  EMAIL_REPLY_TO: optionalString,
  EMAIL_RATE_LIMIT: z.coerce.number().positive().max(1000).default(2),
  BUSINESS_NAME: z.string().trim().min(1).default('Your subscription'),
  API_TOKEN: optionalString.refine((s) => s === undefined || s.length >= 16, {
    message: 'API_TOKEN must be at least 16 characters',
  }),
  LINK_SECRET: optionalString.refine((s) => s === undefined || s.length >= 32, {
    message: 'LINK_SECRET must be at least 32 characters',
  }),
  LINK_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** How often the card expiry scan runs (docs/operations.md); unset: a new schedule's 1d, an existing one's own. */
  CARD_EXPIRY_SCAN_EVERY: optionalString.refine((s) => s === undefined || (durationMs(s) ?? 0) >= 60_000, {
    message: "CARD_EXPIRY_SCAN_EVERY must be a duration of at least a minute, like '1d', '12h' or '30m'",
  }),
  PUBLIC_BASE_URL: url('PUBLIC_BASE_URL').default('http://localhost:3000'),
  DUNNING_POLICY: optionalString,
  DUNNING_EXPERIMENT: optionalString,
  /**
   * Where cases write their end records (experiment results): a PostgreSQL URL; unset: the SQLite
   * file under DATA_DIR. The message never echoes the value: it holds a password.
   */
  CASE_END_DATABASE_URL: optionalString.refine((s) => s === undefined || isPostgresUrl(s), {
    message: 'CASE_END_DATABASE_URL must be a PostgreSQL URL, postgres://user:password@host:5432/database',
  }),
  /** The card networks' retry rules the card ledger enforces (relative to the working directory). */
  NETWORK_RULES_FILE: z.string().trim().min(1).default(DEFAULT_NETWORK_RULES_FILE),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  /** A workflow bundle written by `npm run build:workflows`; unset: the worker bundles at start. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  PAYLOAD_ENCRYPTION_KEYS: encryptionKeysSchema.optional(),
  /** Origins whose browser pages (a Temporal Web UI) may call the codec server. */
  CODEC_ALLOWED_ORIGINS: origins.optional(),
  /** The codec server's token: `Authorization: Bearer …` or the login cookie. */
  CODEC_TOKEN: optionalString.refine((s) => s === undefined || s.length >= 16, {
    message: 'CODEC_TOKEN must be at least 16 characters',
  }),
  /** Origins whose pages (the SaaS app's) may read the in-app notice from the browser. */
  NOTICE_ALLOWED_ORIGINS: origins.optional(),
  /** The key of the notice's customer tokens; unset: derived from API_TOKEN (src/notice/noticeToken.ts). */
  NOTICE_TOKEN_SECRET: optionalString.refine((s) => s === undefined || s.length >= 32, {
    message: 'NOTICE_TOKEN_SECRET must be at least 32 characters (openssl rand -hex 32)',
  }),
  APP_WEBHOOK_URL: url('APP_WEBHOOK_URL').optional(),
  APP_WEBHOOK_RATE_LIMIT: z.coerce.number().positive().max(1000).default(10),
  APP_WEBHOOK_SECRET: optionalString.refine((s) => s === undefined || /^whsec_[A-Za-z0-9+/=]+$/.test(s), {
    message: 'APP_WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_ followed by base64',
  }),
});

export interface Config {
  production: boolean;
  logLevel: LogLevelName;
  /** Where the Temporal SDK serves its Prometheus metrics; undefined: a loopback port of its own. */
  temporalMetricsAddress?: string;
  port: number;
  /** HOST: the API's listening address (127.0.0.1 in development, 0.0.0.0 in production by default). */
  host: string;
  /** TRUST_PROXY: hops of proxies whose X-Forwarded-For is believed; 0: none. */
  trustProxy: number;
  /** METRICS_PORT: the worker's `/metrics` when it runs alone (the API's serves it otherwise). */
  metricsPort: number;
  /** Who may read `/metrics` (METRICS_TOKEN; off in production without it). */
  metricsAccess: MetricsAccess;
  dataDir: string;
  /** The worker's memory (WORKER_*): undefined fields take src/worker.ts's defaults. */
  worker: WorkerMemory;
  temporal: {
    /** Undefined: start the embedded dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    /** TLS to the frontend; undefined: plaintext (TLS on the system's trust roots with an API key). */
    tls?: TemporalTls;
    /** The embedded dev server's ports; `uiPort` undefined: no Web UI. */
    devServer: { port: number; uiPort?: number };
    /** TEMPORAL_UI_URL: the Web UI the dashboard links cases to; undefined: the embedded one, if any. */
    uiUrl?: string;
    /** TEMPORAL_REGISTER_SEARCH_ATTRIBUTES: register missing search attributes at start instead of refusing to start. */
    registerSearchAttributes: boolean;
    /** Worker Deployment Versioning; undefined: off (WORKER_VERSIONING=off), the workers poll unversioned. */
    versioning?: WorkerVersioning;
  };
  stripe: {
    /** True when no key is set: the local sandbox plays Stripe. */
    sandbox: boolean;
    secretKey: string;
    webhookSecret: string;
    apiBase?: string;
  };
  email: {
    /** True when no key is set: the local outbox plays Resend. */
    sandbox: boolean;
    apiKey: string;
    baseUrl?: string;
    /**
     * Verifies POST /webhooks/resend (RESEND_WEBHOOK_SECRET). With the local outbox a generated one,
     * which the outbox signs its bounce webhooks with; undefined: the route answers 503.
     */
    webhookSecret?: string;
    from: string;
    replyTo?: string;
    ratePerSecond: number;
    businessName: string;
  };
  apiToken: string;
  linkSecret: string;
  linkTtlDays: number;
  /** CARD_EXPIRY_SCAN_EVERY: the card expiry scan's interval, applied at start; undefined: left as the schedule has it. */
  cardExpiryScanEvery?: string;
  publicBaseUrl: string;
  policy: DunningPolicy;
  /** DUNNING_EXPERIMENT, checked: the experiment new cases are assigned to (undefined: none). */
  experiment?: RunningExperiment;
  /** CASE_END_DATABASE_URL: the PostgreSQL database of case end records; undefined: SQLite under DATA_DIR. */
  caseEndDatabaseUrl?: string;
  /** NETWORK_RULES_FILE, checked: the limits and never-retry answers the card ledger enforces. */
  networkRules: NetworkRules;
  appWebhook?: { url: string; secret: string; ratePerSecond: number };
  /** Payload encryption (PAYLOAD_ENCRYPTION_KEYS): the first key encrypts, all decrypt. */
  encryptionKeys: EncryptionKey[];
  /**
   * The codec server (POST /codec/encode|decode) for a Temporal Web UI. `token` undefined: only
   * loopback callers, and browsers only from `allowedOrigins` (dev: the embedded UI); set: every
   * caller shows the token. Production without a token: the codec server is off.
   */
  codec: { enabled: boolean; allowedOrigins: string[]; token?: string };
  /** The in-app notice: NOTICE_ALLOWED_ORIGINS (default none) and NOTICE_TOKEN_SECRET. */
  notice: { allowedOrigins: string[]; tokenSecret?: string };
  /**
   * The SMS channel (TWILIO_*). `off`: no texts (production without Twilio); `sandbox`: the local
   * Twilio sandbox plays Twilio (development without TWILIO_ACCOUNT_SID); `twilio`: the account given.
   */
  sms: SmsConfig;
  /** Secrets generated for development, to print at start. */
  generated: string[];
  /** Absolute path of a prebuilt workflow bundle; undefined: bundle at start. */
  workflowBundlePath?: string;
}

export interface SmsConfig {
  mode: 'off' | 'sandbox' | 'twilio';
  accountSid: string;
  authToken: string;
  /** E.164 number or Messaging Service SID. */
  from: string;
  apiBase?: string;
  /** TWILIO_PRICE_PER_SEGMENT in millionths of a US dollar. */
  priceMicroUsdPerSegment: number;
}

/** The sandbox's own account and sender (Twilio's magic test sender number). */
export const SMS_SANDBOX = { accountSid: `AC${'0'.repeat(32)}`, from: '+15005550006' } as const;

export interface WorkerVersioning {
  deploymentName: string;
  /** Undefined: derived from the workflow bundle at start (src/temporal/workerDeployment.ts defaultBuildId). */
  buildId?: string;
  setCurrent: SetCurrentPolicy;
}

export interface TemporalTls {
  /** TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY (PEM): mTLS. */
  clientCert?: { cert: string; key: string };
  /** TEMPORAL_TLS_CA (PEM, one or more certificates): the roots the frontend's certificate is checked against. */
  ca?: string;
  /** TEMPORAL_TLS_SERVER_NAME. */
  serverName?: string;
}

/** PEM given inline, or a path to a PEM file. */
function readPem(value: string, name: string, problems: string[]): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    problems.push(`${name}: cannot read file ${value} (${(err as Error).message})`);
    return '';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The PEM certificates in `pem`, checked here so that a wrong file (a key, DER, a typo in a path
 * that happens to exist) stops the start by name instead of failing every TLS handshake later.
 */
function checkCertificates(pem: string, name: string, problems: string[]): void {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (!blocks.length) {
    problems.push(`${name}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
    return;
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      problems.push(`${name}: certificate ${i + 1} of ${blocks.length} does not parse (${(err as Error).message})`);
    }
  }
}

function checkPrivateKey(pem: string, name: string, problems: string[]): void {
  try {
    createPrivateKey(pem);
  } catch (err) {
    problems.push(`${name}: not a PEM private key (${(err as Error).message})`);
  }
}

function temporalTls(e: z.infer<typeof envSchema>, problems: string[]): TemporalTls | undefined {
  const count = problems.length;
  const tls: TemporalTls = {};
  if (e.TEMPORAL_TLS_CERT && e.TEMPORAL_TLS_KEY) {
    const cert = readPem(e.TEMPORAL_TLS_CERT, 'TEMPORAL_TLS_CERT', problems);
    const key = readPem(e.TEMPORAL_TLS_KEY, 'TEMPORAL_TLS_KEY', problems);
    if (cert) checkCertificates(cert, 'TEMPORAL_TLS_CERT', problems);
    if (key) checkPrivateKey(key, 'TEMPORAL_TLS_KEY', problems);
    tls.clientCert = { cert, key };
  }
  if (e.TEMPORAL_TLS_CA) {
    const ca = readPem(e.TEMPORAL_TLS_CA, 'TEMPORAL_TLS_CA', problems);
    if (ca) checkCertificates(ca, 'TEMPORAL_TLS_CA', problems);
    tls.ca = ca;
  }
  if (e.TEMPORAL_TLS_SERVER_NAME) tls.serverName = e.TEMPORAL_TLS_SERVER_NAME;
  if (problems.length > count || Object.keys(tls).length === 0) return undefined;
  return tls;
}

interface DevSecrets {
  apiToken: string;
  linkSecret: string;
  stripeWebhookSecret: string;
  resendWebhookSecret: string;
  /** The Twilio sandbox's auth token (it signs its inbound webhooks with it). */
  twilioAuthToken: string;
  /** PAYLOAD_ENCRYPTION_KEYS form: `dev-<date>:base64`. */
  payloadEncryptionKeys: string;
}

/**
 * Dev secrets are kept under DATA_DIR so that links in sent emails survive a restart, and the dev
 * server's histories stay readable. A file from an older version gets the secrets it lacks added.
 */
function devSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'dev-secrets.json');
  const kept: Partial<DevSecrets> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets: DevSecrets = {
    // 36 characters: what production would require of it too.
    apiToken: kept.apiToken ?? `dev_${randomBytes(24).toString('base64url')}`,
    linkSecret: kept.linkSecret ?? randomBytes(32).toString('base64url'),
    stripeWebhookSecret: kept.stripeWebhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`,
    resendWebhookSecret: kept.resendWebhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`,
    twilioAuthToken: kept.twilioAuthToken ?? randomBytes(16).toString('hex'),
    payloadEncryptionKeys:
      kept.payloadEncryptionKeys ??
      `dev-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}:${randomBytes(KEY_BYTES).toString('base64')}`,
  };
  if (Object.keys(secrets).some((k) => kept[k as keyof DevSecrets] === undefined)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** A PAYLOAD_ENCRYPTION_KEYS value read elsewhere (dev-secrets.json, a test stack's client). */
export function parseEncryptionKeys(value: string, source = 'PAYLOAD_ENCRYPTION_KEYS'): EncryptionKey[] {
  const parsed = encryptionKeysSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${source}: ${i.message}`));
  return parsed.data;
}

/**
 * What NODE_ENV=production refuses to start without: in development each of these is generated or
 * played by a local sandbox, which production must never fall back to. docs/production.md lists
 * them (a test holds the two equal).
 */
export const PRODUCTION_REQUIRED = [
  'API_TOKEN',
  'LINK_SECRET',
  'PAYLOAD_ENCRYPTION_KEYS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'RESEND_API_KEY',
] as const;

/** The origins a dev server's Web UI on `port` calls the codec server from: both loopback names. */
export const devUiOriginsOf = (port: number): string[] => [`http://localhost:${port}`, `http://127.0.0.1:${port}`];

/** WORKER_MAX_CACHED_WORKFLOWS and WORKER_WORKFLOW_HEAP_MB, checked (see src/worker.ts). */
export interface WorkerMemory {
  maxCachedWorkflows?: number;
  workflowHeapMb?: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`FOO=` in .env or compose) means unset, as it does for most tools.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';
  const dataDir = resolve(e.DATA_DIR);

  if (production) {
    for (const name of PRODUCTION_REQUIRED) {
      if (!e[name]) problems.push(`${name}: required when NODE_ENV=production`);
    }
    // A token is a password anyone can try over the network: long and random, or refused.
    for (const name of ['API_TOKEN', 'CODEC_TOKEN', 'METRICS_TOKEN'] as const) {
      const problem = e[name] === undefined ? undefined : productionTokenProblem(name, e[name]);
      if (problem) problems.push(problem);
    }
  }
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) {
    problems.push('STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the signing secret of your webhook endpoint)');
  }
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both for mTLS, or neither');
  }
  if (e.WORKFLOW_BUNDLE_PATH && !existsSync(e.WORKFLOW_BUNDLE_PATH)) {
    problems.push(`WORKFLOW_BUNDLE_PATH: no file at ${e.WORKFLOW_BUNDLE_PATH} (npm run build:workflows writes it)`);
  }
  if (e.WORKER_VERSIONING === 'on' && !e.WORKER_DEPLOYMENT_NAME && !/^[A-Za-z0-9_-]{1,200}$/.test(e.TEMPORAL_TASK_QUEUE)) {
    problems.push(
      `WORKER_DEPLOYMENT_NAME: required when TEMPORAL_TASK_QUEUE (${e.TEMPORAL_TASK_QUEUE}) is not a valid deployment name (letters, digits, _ or -)`,
    );
  }
  const twilioSet = [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN, e.TWILIO_FROM].filter(Boolean).length;
  if (twilioSet > 0 && twilioSet < 3) {
    problems.push('TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM: set all three to send texts through Twilio, or none');
  }
  if (Boolean(e.APP_WEBHOOK_URL) !== Boolean(e.APP_WEBHOOK_SECRET)) {
    problems.push('APP_WEBHOOK_URL and APP_WEBHOOK_SECRET: set both to send events to your app, or neither');
  }

  let policy: DunningPolicy = DEFAULT_POLICY;
  if (e.DUNNING_POLICY) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(e.DUNNING_POLICY, 'utf8'));
    } catch (err) {
      problems.push(`DUNNING_POLICY: cannot read ${e.DUNNING_POLICY} as JSON (${(err as Error).message})`);
    }
    if (raw !== undefined) {
      const result = parsePolicy(raw);
      if (result.ok) policy = result.policy;
      else problems.push(...result.errors.map((m) => `DUNNING_POLICY ${e.DUNNING_POLICY}: ${m}`));
    }
  }

  let experiment: RunningExperiment | undefined;
  if (e.DUNNING_EXPERIMENT) {
    const result = readExperimentFile(e.DUNNING_EXPERIMENT);
    if (result.ok) experiment = result.experiment;
    else problems.push(...result.errors.map((m) => `DUNNING_EXPERIMENT ${e.DUNNING_EXPERIMENT}: ${m}`));
  }

  // Read at every start, as the policy is: a bad rules file stops the process with one line per problem.
  const rulesFile = readNetworkRules(resolve(e.NETWORK_RULES_FILE));
  const networkRules = rulesFile.ok ? rulesFile.rules : undefined;
  if (!rulesFile.ok) problems.push(...rulesFile.errors.map((m) => `NETWORK_RULES_FILE ${e.NETWORK_RULES_FILE}: ${m}`));

  const tls = temporalTls(e, problems);
  if (problems.length) throw new ConfigError(problems);

  const generated: string[] = [];
  const resendSandbox = !e.RESEND_API_KEY;
  const needDev =
    !e.API_TOKEN ||
    !e.LINK_SECRET ||
    !e.STRIPE_WEBHOOK_SECRET ||
    !e.PAYLOAD_ENCRYPTION_KEYS ||
    (resendSandbox && !e.RESEND_WEBHOOK_SECRET) ||
    (!production && !e.TWILIO_ACCOUNT_SID);
  const dev = needDev ? devSecrets(dataDir) : undefined;
  if (!e.API_TOKEN) generated.push('API_TOKEN');
  if (!e.LINK_SECRET) generated.push('LINK_SECRET');
  if (!e.PAYLOAD_ENCRYPTION_KEYS) generated.push('PAYLOAD_ENCRYPTION_KEYS');
  const encryptionKeys =
    e.PAYLOAD_ENCRYPTION_KEYS ??
    parseEncryptionKeys(dev!.payloadEncryptionKeys, `${dataDir}/dev-secrets.json payloadEncryptionKeys`);
  // The dev server's Web UI calls the codec server from these origins (its loopback names), also
  // when it runs on its own (`npm run temporal:dev`) for a separate API process.
  const devUiOrigins = !production && e.TEMPORAL_DEV_UI_PORT ? devUiOriginsOf(e.TEMPORAL_DEV_UI_PORT) : [];

  return {
    production,
    logLevel: e.LOG_LEVEL,
    temporalMetricsAddress: e.TEMPORAL_METRICS_ADDRESS,
    worker: { maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS, workflowHeapMb: e.WORKER_WORKFLOW_HEAP_MB },
    port: e.PORT,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    trustProxy: e.TRUST_PROXY,
    metricsPort: e.METRICS_PORT,
    metricsAccess: metricsAccessFrom(production, e.METRICS_TOKEN),
    dataDir,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      apiKey: e.TEMPORAL_API_KEY,
      tls,
      devServer: { port: e.TEMPORAL_DEV_PORT, uiPort: e.TEMPORAL_DEV_UI_PORT || undefined },
      uiUrl: e.TEMPORAL_UI_URL,
      registerSearchAttributes: e.TEMPORAL_REGISTER_SEARCH_ATTRIBUTES,
      versioning:
        e.WORKER_VERSIONING === 'off'
          ? undefined
          : {
              deploymentName: e.WORKER_DEPLOYMENT_NAME ?? e.TEMPORAL_TASK_QUEUE,
              buildId: e.WORKER_BUILD_ID,
              // Production: a new build waits for the operator (ramp, then current) unless it is the first.
              setCurrent: e.WORKER_SET_CURRENT_VERSION ?? 'always',
            },
    },
    stripe: {
      sandbox: !e.STRIPE_SECRET_KEY,
      secretKey: e.STRIPE_SECRET_KEY ?? 'sk_test_sandbox',
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? dev!.stripeWebhookSecret,
      apiBase: e.STRIPE_API_BASE,
    },
    email: {
      sandbox: resendSandbox,
      apiKey: e.RESEND_API_KEY ?? 're_sandbox',
      baseUrl: e.RESEND_BASE_URL,
      webhookSecret: e.RESEND_WEBHOOK_SECRET ?? (resendSandbox ? dev!.resendWebhookSecret : undefined),
      from: e.EMAIL_FROM,
      replyTo: e.EMAIL_REPLY_TO,
      ratePerSecond: e.EMAIL_RATE_LIMIT,
      businessName: e.BUSINESS_NAME,
    },
    apiToken: e.API_TOKEN ?? dev!.apiToken,
    linkSecret: e.LINK_SECRET ?? dev!.linkSecret,
    linkTtlDays: e.LINK_TTL_DAYS,
    ...(e.CARD_EXPIRY_SCAN_EVERY ? { cardExpiryScanEvery: e.CARD_EXPIRY_SCAN_EVERY } : {}),
    publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/+$/, ''),
    policy,
    ...(experiment ? { experiment } : {}),
    caseEndDatabaseUrl: e.CASE_END_DATABASE_URL,
    networkRules: networkRules!,
    appWebhook:
      e.APP_WEBHOOK_URL && e.APP_WEBHOOK_SECRET
        ? { url: e.APP_WEBHOOK_URL, secret: e.APP_WEBHOOK_SECRET, ratePerSecond: e.APP_WEBHOOK_RATE_LIMIT }
        : undefined,
    encryptionKeys,
    codec: {
      // Without a token only loopback callers are served, which in production is no protection
      // (a sidecar, a proxy): off there.
      enabled: Boolean(e.CODEC_TOKEN) || !production,
      allowedOrigins: e.CODEC_ALLOWED_ORIGINS ?? devUiOrigins,
      token: e.CODEC_TOKEN,
    },
    notice: { allowedOrigins: e.NOTICE_ALLOWED_ORIGINS ?? [], tokenSecret: e.NOTICE_TOKEN_SECRET },
    sms: {
      mode: e.TWILIO_ACCOUNT_SID ? 'twilio' : production ? 'off' : 'sandbox',
      accountSid: e.TWILIO_ACCOUNT_SID ?? SMS_SANDBOX.accountSid,
      authToken: e.TWILIO_AUTH_TOKEN ?? (production ? '' : dev!.twilioAuthToken),
      from: e.TWILIO_FROM ?? SMS_SANDBOX.from,
      apiBase: e.TWILIO_API_BASE,
      priceMicroUsdPerSegment: Math.round(e.TWILIO_PRICE_PER_SEGMENT * 1_000_000),
    },
    generated,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH ? resolve(e.WORKFLOW_BUNDLE_PATH) : undefined,
  };
}
