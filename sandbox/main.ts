/**
 * The sandboxes as processes of their own, so that a worker (`npm run start:worker`) and an API
 * (`npm run start:api`) run as separate processes against them (STRIPE_API_BASE, RESEND_BASE_URL),
 * and a test can kill or fault one without the others:
 *
 *   npm run sandbox:stripe -- [--port 12111] [--webhook-url URL] [--webhook-secret whsec_…]
 *                             [--data-dir DIR] [--webhook-retry-delays 1000,5000,…] [--webhook-concurrency N]
 *   npm run sandbox:resend -- [--port 12112] [--data-dir DIR] [--rate-limit N] [--api-key re_…]
 *                             [--webhook-url URL --webhook-secret whsec_…]   (bounce and complaint webhooks)
 *
 * Flags win over the environment (STRIPE_SANDBOX_PORT, STRIPE_SANDBOX_WEBHOOK_URL,
 * STRIPE_WEBHOOK_SECRET, RESEND_SANDBOX_PORT, RESEND_SANDBOX_RATE_LIMIT, RESEND_SANDBOX_WEBHOOK_URL,
 * RESEND_WEBHOOK_SECRET, SANDBOX_DATA_DIR). Without
 * a data directory nothing is written to disk. Prints one `ready: <url>` line; SIGINT/SIGTERM stop.
 * Faults are injected at run time over HTTP: `POST /_sandbox/faults` (Stripe), `POST /_outbox/faults`.
 * Stripe's Smart Retries: a scenario with `smartRetries: true` (or `{ attempts, intervalSeconds }`),
 * then `POST /_sandbox/invoices/:id/automatic_attempt` makes Stripe's next scheduled attempt now
 * (none while the invoice's `auto_advance` is false).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startResendOutbox } from './resend';
import { startStripeSandbox } from './stripe';

const USAGE = 'usage: tsx sandbox/main.ts stripe|resend [--port N] [--data-dir DIR] [...] (see the file header)';

/** A non-negative integer option, or undefined when not given. */
function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: not a non-negative integer: ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'webhook-retry-delays': { type: 'string' },
      'webhook-concurrency': { type: 'string' },
      'rate-limit': { type: 'string' },
      'api-key': { type: 'string' },
    },
  });
  const env = (name: string) => process.env[name] || undefined;
  const dataDir = values['data-dir'] ?? env('SANDBOX_DATA_DIR');
  let url: string;
  let close: () => Promise<void>;

  switch (positionals[0]) {
    case 'stripe': {
      const delays = values['webhook-retry-delays']?.split(',').map((d) => integer('--webhook-retry-delays', d)!);
      const sandbox = await startStripeSandbox({
        port: integer('--port', values.port ?? env('STRIPE_SANDBOX_PORT')) ?? 12111,
        webhookUrl: values['webhook-url'] ?? env('STRIPE_SANDBOX_WEBHOOK_URL'),
        webhookSecret: values['webhook-secret'] ?? env('STRIPE_WEBHOOK_SECRET') ?? 'whsec_sandbox',
        dataFile: dataDir ? join(dataDir, 'stripe-sandbox.json') : undefined,
        // Stripe redelivers for days; a long chaos run wants more than the default few seconds.
        webhookRetryDelaysMs: delays,
        webhookConcurrency: integer('--webhook-concurrency', values['webhook-concurrency']),
      });
      console.log(`stripe sandbox: use STRIPE_API_BASE=${sandbox.url} with any sk_test_ key`);
      url = sandbox.url;
      close = () => sandbox.close();
      break;
    }
    case 'resend': {
      // Where the outbox sends its signed email.bounced / email.complained events (the API's
      // POST /webhooks/resend), signed with the API's RESEND_WEBHOOK_SECRET.
      const webhookUrl = values['webhook-url'] ?? env('RESEND_SANDBOX_WEBHOOK_URL');
      const webhookSecret = values['webhook-secret'] ?? env('RESEND_WEBHOOK_SECRET');
      if (webhookUrl && !webhookSecret) throw new Error('--webhook-url needs --webhook-secret (or RESEND_WEBHOOK_SECRET)');
      const outbox = await startResendOutbox({
        port: integer('--port', values.port ?? env('RESEND_SANDBOX_PORT')) ?? 12112,
        dataDir,
        rateLimitPerSecond: integer('--rate-limit', values['rate-limit'] ?? env('RESEND_SANDBOX_RATE_LIMIT')),
        apiKey: values['api-key'],
        webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
      });
      console.log(`resend outbox: use RESEND_BASE_URL=${outbox.url}; messages at ${outbox.url}/`);
      url = outbox.url;
      close = () => outbox.close();
      break;
    }
    default:
      throw new Error(USAGE);
  }
  console.log(`ready: ${url}`);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
