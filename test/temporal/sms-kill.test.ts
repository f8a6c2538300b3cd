/**
 * No second text when a worker dies mid-send (issue #24, part 2). A real worker process
 * (`tsx src/main.ts worker`, on the shared dev server) runs a case whose policy texts at once;
 * Twilio (the sandbox) accepts the text and never answers, so the activity is stuck after the
 * send. The worker is killed with SIGKILL, a second worker process is started, and Temporal runs
 * the activity again once its start-to-close timeout passes: the new attempt finds the step's
 * message by its reference and sends none. Without that look-up (activities/sms/sendSms.ts) the
 * customer would get the text twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type Stripe from 'stripe';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { statusQuery, workflowIdForInvoice } from '../../domain/messages';
import { POLICY_1_0, type DunningPolicy } from '../../domain/policy';
import { SMS_CONSENT_KEY } from '../../domain/sms';
import { startResendOutbox, type ResendOutbox } from '../../sandbox/resend';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';
import { startTwilioSandbox, type TwilioSandbox } from '../../sandbox/twilio';
import { DunningClient } from '../../src/dunningClient';
import { mapStripeEvent } from '../../src/http/stripeEvents';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import { TEST_ENCRYPTION_KEYS } from './support/stack';

const children: ChildProcess[] = [];
/** Each worker's last output, printed when the test fails. */
const outputs: Array<() => string> = [];
const closers: Array<() => Promise<unknown> | unknown> = [];
const dataDir = mkdtempSync(join(tmpdir(), 'dunning-sms-kill-'));
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const close of closers.reverse()) await close();
  rmSync(dataDir, { recursive: true, force: true });
});

const SID = `AC${'4'.repeat(32)}`;
const TOKEN = randomBytes(16).toString('hex');

function startWorker(env: Record<string, string>, name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, ...env, DATA_DIR: join(dataDir, name) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  outputs.push(() => `[${name}] ${out.slice(-4000)}`);
  child.on('exit', (code, signal) => {
    if (code !== null && code !== 0) console.error(`[${name}] exited ${code}:\n${out.slice(-3000)}`);
    void signal;
  });
  children.push(child);
  return child;
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a worker killed while sending a text', () => {
  it('the retried activity finds the text and the customer gets one', { timeout: 240_000 }, async () => {
    const [sandbox, outbox, sms]: [StripeSandbox, ResendOutbox, TwilioSandbox] = await Promise.all([
      startStripeSandbox({ webhookSecret: 'whsec_sms_kill' }),
      startResendOutbox({}),
      startTwilioSandbox({ accountSid: SID, authToken: TOKEN }),
    ]);
    closers.push(
      () => sandbox.close(),
      () => outbox.close(),
      () => sms.close(),
    );
    const taskQueue = `sms-kill-${randomBytes(4).toString('hex')}`;
    const key = TEST_ENCRYPTION_KEYS[0]!;
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      PAYLOAD_ENCRYPTION_KEYS: `${key.id}:${key.key.toString('base64')}`,
      STRIPE_SECRET_KEY: 'sk_test_sandbox',
      STRIPE_WEBHOOK_SECRET: 'whsec_sms_kill',
      STRIPE_API_BASE: sandbox.url,
      RESEND_API_KEY: 're_test',
      RESEND_BASE_URL: outbox.url,
      TWILIO_ACCOUNT_SID: SID,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE: sms.url,
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    };

    const phone = '+15554440001';
    const scenario = await sandbox.createFailedInvoiceScenario({
      email: 'killed@example.com',
      amount: 2900,
      currency: 'usd',
      phone,
      customerMetadata: { [SMS_CONSENT_KEY]: 'true' },
    });
    // A text at once; quiet hours put where they cannot hold it (two hours from now, one hour long).
    const hour = new Date().getUTCHours();
    const policy: DunningPolicy = {
      ...POLICY_1_0,
      steps: [...POLICY_1_0.steps, { at: '0', action: 'sms', template: 'payment_failed' }],
      sms: { quietHours: { start: (hour + 2) % 24, end: (hour + 3) % 24 } },
    };
    // Twilio accepts the first text and never answers.
    sms.injectFault({ status: 'hang', count: 1 });

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    closers.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      dataConverter: encryptingDataConverter(TEST_ENCRYPTION_KEYS),
    });
    const failed = sandbox
      .events()
      .find(
        (e) => e.event.type === 'invoice.payment_failed' && (e.event.data.object as { id: string }).id === scenario.invoiceId,
      );
    const action = mapStripeEvent(failed!.event as unknown as Stripe.Event);
    if (action.kind !== 'payment_failed') throw new Error(`unexpected mapping: ${action.kind}`);

    const first = startWorker(env, 'first');
    await new DunningClient(client, taskQueue, policy).paymentFailed(action.signal);
    const texts = () => sms.messages().filter((m) => m.to === phone && m.direction === 'outbound-api');
    await until(() => (texts().length ? true : undefined), 'the first text', 120_000).catch((err: unknown) => {
      console.error(outputs.map((o) => o()).join('\n'));
      throw err;
    });
    // The text is out and the activity is stuck waiting for Twilio's answer: kill -9.
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(first.signalCode).toBe('SIGKILL');

    startWorker(env, 'second');
    const handle = client.workflow.getHandle(workflowIdForInvoice(scenario.invoiceId));
    // The second attempt starts once the first one's start-to-close timeout (45 s) has passed.
    const status = await until(
      async () => {
        const s = await handle.query(statusQuery).catch(() => undefined);
        return s?.sms?.length ? s : undefined;
      },
      'the text recorded on the case',
      150_000,
    );
    expect(status.sms).toEqual([expect.objectContaining({ template: 'payment_failed', sid: texts()[0]!.sid })]);
    expect(texts()).toHaveLength(1);
    await handle.terminate('test done');
  });
});
