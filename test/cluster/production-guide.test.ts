/**
 * docs/production.md, walked as written against a real Temporal cluster on PostgreSQL
 * (`npm run cluster`): its secrets recipe run by bash on a copy of .env.example, its settings with
 * the sandbox's values in place of the real providers', its Stripe webhook endpoint as the Stripe
 * sandbox's endpoint; then the production build (`npm run build`, `node dist/src/main.js`, what
 * `npm run start:prod` runs) as a worker and an API process, each with the environment the image
 * and `docker-compose config` give that service from that .env, changed only where compose's
 * world does not exist here (OUTSIDE_COMPOSE) and to reach the sandboxes (SANDBOX). No
 * production-mode bypass: NODE_ENV=production as compose sets it.
 *
 * The journey: a signed `invoice.payment_failed` → a case → the first email in the outbox → its
 * link → the Billing Portal, a working card → recovered. And what the guide promises on the way:
 * the API finds its Stripe endpoint as expected, the worker loads the image's prebuilt workflow
 * bundle, DATA_DIR stays empty (nothing to back up).
 *
 * Skipped, saying why, where PostgreSQL or docker-compose is missing and cannot be installed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChild, type Child } from '../../tools/stack/processes';
import { startAppEndpoint, type AppEndpoint } from '../chaos/appEndpoint';
import { PostgresUnavailable, startCluster, stopCluster, type Cluster } from '../../tools/cluster';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { freePort } from '../../tools/toolchain/ports';
import type { DunningStatus } from '../../domain/types';
import { productionBuildCopy } from '../support/productionBuild';
import {
  composeEnvironments,
  dockerfileEnv,
  GUIDE,
  guideDotEnv,
  parseDotEnv,
  REPO_ROOT,
  stripeEndpointFromCommand,
  walkedBlock,
} from '../support/productionGuide';

let skipReason: string | undefined;
let cluster: Cluster | undefined;
let dataDir: string;
let logs: string;
let distCopy: string | undefined;
const children: Child[] = [];
let apiUrl: string;
let stripeUrl: string;
let outboxUrl: string;
let dotEnv: Record<string, string>;
/** What the image and compose give each service, before OUTSIDE_COMPOSE and SANDBOX. */
let composeGives: Record<'worker' | 'api', NodeJS.ProcessEnv>;
let processEnv: Record<'worker' | 'api', NodeJS.ProcessEnv>;
let worker: Child;
let api: Child;
let app: AppEndpoint | undefined;

beforeAll(async () => {
  const dockerCompose = findOnPath('docker-compose') ?? cachedToolchain().dockerCompose;
  if (!dockerCompose) {
    skipReason = 'no docker-compose to resolve docker-compose.yml with (npm test provisions it with apt-get)';
    return;
  }
  try {
    cluster = await startCluster({ ui: false, log: (line) => console.log(`[cluster] ${line}`) });
  } catch (err) {
    if (!(err instanceof PostgresUnavailable)) throw err;
    skipReason = `no local cluster: ${err.message}`;
    return;
  }
  const guide = readFileSync(GUIDE, 'utf8');
  dataDir = mkdtempSync(join(tmpdir(), 'dunning-guide-data-'));
  logs = mkdtempSync(join(tmpdir(), 'dunning-guide-logs-'));
  const [apiPort, metricsPort, stripePort, outboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  const spawn = (
    name: string,
    o: { file: string; args: string[]; env: NodeJS.ProcessEnv; ready: RegExp; nodeArgs?: string[] },
  ) => {
    const child = startChild({ name, ...o, readyPattern: o.ready, logFile: join(logs, `${name}.log`) });
    children.push(child);
    return child;
  };

  // ---- §3 and §6: the .env, as the guide makes it --------------------------------------------
  const sandbox = {
    publicBaseUrl: apiUrl,
    stripeSecretKey: `sk_test_${randomBytes(12).toString('hex')}`,
    stripeWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    resendApiKey: `re_${randomBytes(12).toString('hex')}`,
    resendWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
  };
  const dotEnvText = guideDotEnv(guide, sandbox);
  dotEnv = parseDotEnv(dotEnvText);
  // Your app: it verifies every event with the APP_WEBHOOK_SECRET the guide made.
  app = await startAppEndpoint(dotEnv.APP_WEBHOOK_SECRET);

  // ---- the providers: the sandboxes, with the guide's Stripe endpoint --------------------------
  const env = { PATH: process.env.PATH };
  const stripe = spawn('stripe-sandbox', {
    file: 'sandbox/main.ts',
    args: [
      'stripe',
      '--port',
      String(stripePort),
      '--webhook-url',
      `${apiUrl}/webhooks/stripe`,
      '--webhook-secret',
      sandbox.stripeWebhookSecret,
    ],
    env,
    ready: /^ready: (\S+)/,
  });
  const outbox = spawn('resend-outbox', {
    file: 'sandbox/main.ts',
    // The outbox takes only the key the guide's .env holds, and signs its webhooks with the secret it holds.
    args: [
      'resend',
      '--port',
      String(outboxPort),
      '--api-key',
      sandbox.resendApiKey,
      '--webhook-url',
      `${apiUrl}/webhooks/resend`,
      '--webhook-secret',
      sandbox.resendWebhookSecret,
    ],
    env,
    ready: /^ready: (\S+)/,
  });
  const [dist, stripeReady, outboxReady] = await Promise.all([
    productionBuildCopy('production-guide'),
    stripe.ready,
    outbox.ready,
  ]);
  distCopy = dist;
  stripeUrl = stripeReady[1]!;
  outboxUrl = outboxReady[1]!;
  const endpoint = stripeEndpointFromCommand(walkedBlock(guide, 'stripe-endpoint').text);
  const set = await fetch(`${stripeUrl}/_sandbox/webhook_endpoint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(endpoint),
  });
  expect(set.status).toBe(200);

  // ---- §7: the worker and the API, with what compose gives them ---------------------------------
  const image = dockerfileEnv(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const compose = composeEnvironments(dockerCompose, dotEnvText);
  /** Where compose's world does not exist here: each entry says what it stands for there. */
  const OUTSIDE_COMPOSE: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: cluster.address, // compose's `temporal:7233`, a name on its network
    DATA_DIR: dataDir, // the service-data volume at /data
    WORKFLOW_BUNDLE_PATH: join(dist, 'workflow-bundle.js'), // the image's /app/dist/workflow-bundle.js
    PORT: String(apiPort), // the API's 3000, maybe taken on a shared machine
    METRICS_PORT: String(metricsPort), // the worker's 9091, likewise
    // The cluster outlives this run: earlier runs' cases sleep on it, bound to sandboxes that are gone.
    TEMPORAL_TASK_QUEUE: `guide-${randomBytes(4).toString('hex')}`,
  };
  /** The providers are the sandboxes (the keys are the guide's .env's: sk_test_…, re_…); your app is `app`. */
  const SANDBOX: NodeJS.ProcessEnv = { STRIPE_API_BASE: stripeUrl, RESEND_BASE_URL: outboxUrl, APP_WEBHOOK_URL: app.url };
  const givenTo = (service: 'worker' | 'api'): NodeJS.ProcessEnv => {
    const given = compose[service];
    if (!given) throw new Error(`docker-compose.yml has no ${service} service`);
    return { ...image, ...given };
  };
  composeGives = { worker: givenTo('worker'), api: givenTo('api') };
  const envOf = (service: 'worker' | 'api'): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...composeGives[service],
    ...OUTSIDE_COMPOSE,
    ...SANDBOX,
  });
  processEnv = { worker: envOf('worker'), api: envOf('api') };
  const ready = /dunning service running/;
  // `node dist/src/main.js <role>`: what `npm run start:prod -- <role>` and the image run.
  worker = spawn('worker', { file: join(dist, 'src', 'main.js'), args: ['worker'], env: processEnv.worker, ready, nodeArgs: [] });
  api = spawn('api', { file: join(dist, 'src', 'main.js'), args: ['api'], env: processEnv.api, ready, nodeArgs: [] });
  await Promise.all([worker.ready, api.ready]);
}, 1_800_000);

afterAll(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  await app?.close();
  if (cluster?.started) await stopCluster();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (logs) rmSync(logs, { recursive: true, force: true });
  if (distCopy) rmSync(dirname(distCopy), { recursive: true, force: true });
});

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function statusOf(invoiceId: string): Promise<DunningStatus | undefined> {
  const res = await fetch(`${apiUrl}/api/invoices/${invoiceId}/dunning`, {
    headers: { authorization: `Bearer ${dotEnv.API_TOKEN}` },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /api/invoices/${invoiceId}/dunning: ${res.status} ${await res.text()}`);
  return (await res.json()) as DunningStatus;
}

/** Everything a process wrote, from its log file (a child's tail() keeps only its last lines). */
const logOf = (name: string) => readFileSync(join(logs, `${name}.log`), 'utf8');

describe('docs/production.md, walked', () => {
  it('runs production as compose configures it', (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    for (const role of ['worker', 'api'] as const) {
      expect(processEnv[role].NODE_ENV, role).toBe('production');
      expect(processEnv[role].API_TOKEN, role).toBe(dotEnv.API_TOKEN);
      // What OUTSIDE_COMPOSE replaces is what its comments say: compose's world, nothing else.
      expect(composeGives[role], role).toMatchObject({
        TEMPORAL_ADDRESS: 'temporal:7233',
        DATA_DIR: '/data',
        WORKFLOW_BUNDLE_PATH: '/app/dist/workflow-bundle.js',
        TEMPORAL_TASK_QUEUE: 'dunning',
      });
    }
    expect(composeGives.api.PORT).toBe('3000');
    expect(composeGives.worker.METRICS_PORT).toBe('9091');
  });

  it('takes a failed invoice to recovery: webhook, case, email, its link, a new card', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    const email = `guide-${randomBytes(4).toString('hex')}@example.com`;
    const created = await fetch(`${stripeUrl}/_sandbox/scenarios/failed-invoice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, amount: 2900, currency: 'eur', decline: 'pm_card_chargeDeclinedInsufficientFunds' }),
    });
    expect(created.status).toBe(201);
    const scenario = (await created.json()) as { invoiceId: string; customerId: string };

    const first = await eventually('the first email', 90_000, async () => {
      const s = await statusOf(scenario.invoiceId);
      return s && s.emails.length >= 1 ? s : undefined;
    });
    expect(first).toMatchObject({ state: 'active', customerId: scenario.customerId, declineCategory: 'insufficient_funds' });

    // The email, sent with the guide's RESEND_API_KEY, links to PUBLIC_BASE_URL, signed with its LINK_SECRET.
    const sent = (await (await fetch(`${outboxUrl}/_outbox/messages?to=${encodeURIComponent(email)}`)).json()) as Array<{
      html?: string;
    }>;
    expect(sent).toHaveLength(1);
    const link = /href="([^"]*\/billing\/update\/[^"]+)"/.exec(sent[0]!.html ?? '')?.[1]?.replace(/&amp;/g, '&');
    expect(link?.startsWith(`${dotEnv.PUBLIC_BASE_URL}/billing/update/`), link).toBe(true);
    const visit = await fetch(link!, { redirect: 'manual' });
    expect(visit.status).toBe(302);
    const portal = visit.headers.get('location')!;
    expect(portal).toContain(`${stripeUrl}/_sandbox/portal/`);

    // In the Billing Portal the customer saves a working card: Stripe's webhooks tell the case.
    const saved = await fetch(portal, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payment_method=pm_card_visa',
      redirect: 'manual',
    });
    expect(saved.status).toBeLessThan(400);
    const done = await eventually('recovery', 90_000, async () => {
      const s = await statusOf(scenario.invoiceId);
      return s?.state === 'recovered' ? s : undefined;
    });
    expect(done.outcome).toBe('card_updated');
    expect(done.emails.map((e) => e.template)).toEqual(['payment_failed.insufficient_funds', 'payment_recovered']);

    // Your app heard of it, signed with the secret the guide made.
    const events = await eventually('dunning.recovered at the app', 60_000, async () => {
      const mine = app!.events().filter((e) => e.invoiceId === scenario.invoiceId);
      return mine.some((e) => e.type === 'dunning.recovered') ? mine : undefined;
    });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['dunning.started', 'dunning.recovered']));
    expect(app!.badSignatures()).toBe(0);
  });

  it('keeps what the guide promises on the way: the Stripe endpoint as expected, an empty DATA_DIR', async (ctx) => {
    if (skipReason) return ctx.skip(skipReason);
    await eventually('the Stripe endpoint line', 30_000, async () => (/webhook endpoint/.test(logOf('api')) ? true : undefined));
    expect(logOf('api')).toMatch(/"msg":"Stripe webhook endpoint we_sandbox \([^)]*\): API version [^"]*: as expected"/);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
