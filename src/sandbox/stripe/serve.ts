import { startStripeSandbox } from './index';

/**
 * Runs the sandbox on its own: `npx tsx src/sandbox/stripe/serve.ts`. The service normally starts
 * it in-process; this is for poking at it with curl or the stripe SDK from another project.
 */
async function main(): Promise<void> {
  const sandbox = await startStripeSandbox({
    port: Number(process.env.STRIPE_SANDBOX_PORT ?? 12111),
    webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_sandbox',
    webhookUrl: process.env.STRIPE_SANDBOX_WEBHOOK_URL || undefined,
    dataFile: process.env.STRIPE_SANDBOX_DATA_FILE || undefined,
  });
  console.log(`stripe sandbox listening on ${sandbox.url} (use STRIPE_API_BASE=${sandbox.url}, any sk_test_ key)`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
