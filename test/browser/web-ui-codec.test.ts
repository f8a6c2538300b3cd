/**
 * The operator's view of a case in a real browser: the service runs as `npm start` runs it
 * (`src/main.ts`: the embedded dev server WITH its Web UI and `--ui-codec-endpoint`, the sandboxes,
 * worker and API), on free ports beside anything else; `npm run demo` makes a failed payment; headless
 * Chromium opens the case in the Temporal Web UI, which decrypts the payloads in the browser
 * through the API's codec server: the page shows the email template and the amount. The same
 * history read by the Temporal CLI without the codec holds neither the customer's email address
 * nor name. Full-page screenshots are kept under test-results/browser/ (git-ignored).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startChild, type Child } from '../../tools/stack/processes';
import { cachedToolchain, ensureTemporalCli } from '../../tools/toolchain';
import { freePort } from '../../tools/toolchain/ports';
import { findOnPath } from '../../tools/toolchain/process';
import { eventually } from '../temporal/support/stack';

const run = promisify(execFile);
// Test code never installs anything: `npm test`'s pretest (the toolchain) apt-get installs chromium.
const chromiumPath = process.env.CHROMIUM_PATH || findOnPath('chromium') || cachedToolchain().chromium;
const SKIP_REASON =
  "chromium is not installed: `npm run toolchain` installs Debian's chromium with apt-get when run as root (set CHROMIUM_PATH to use another)";
const ARTIFACTS = resolve(__dirname, '../../test-results/browser');
const EMAIL = 'jane.browser@example.com';
const NAME = 'Janet Browserova';

/** A port whose next `count - 1` ports are free too (`npm start` puts its sandboxes on PORT+1, PORT+2). */
async function freePortRun(count: number): Promise<number> {
  const canBind = (port: number) =>
    new Promise<boolean>((done) => {
      const s = createServer();
      s.once('error', () => done(false));
      s.listen(port, () => s.close(() => done(true)));
    });
  for (;;) {
    const first = await freePort();
    let ok = first + count - 1 <= 65535;
    for (let p = first; ok && p < first + count; p++) ok = await canBind(p);
    if (ok) return first;
  }
}

interface Service {
  child: Child;
  env: NodeJS.ProcessEnv;
  port: number;
  uiPort: number;
  temporalAddress: string;
  apiToken: string;
  dataDir: string;
}

let service: Service | undefined;
let browser: Browser | undefined;
let cliPath: string | undefined;

async function startService(): Promise<Service> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dunning-web-ui-'));
  const [port, grpcPort, uiPort] = [await freePortRun(3), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The service's configuration is what this test says, not whatever the caller's shell exported.
  for (const name of Object.keys(env)) {
    if (
      /^(TEMPORAL_(?!CLI_PATH)|STRIPE_|RESEND_|APP_WEBHOOK_|EMAIL_|DUNNING_|API_TOKEN|LINK_SECRET|PUBLIC_BASE_URL|PORT$|WORKFLOW_BUNDLE|PAYLOAD_ENCRYPTION_KEYS|CODEC_)/.test(
        name,
      )
    ) {
      delete env[name];
    }
  }
  Object.assign(env, {
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(grpcPort),
    TEMPORAL_DEV_UI_PORT: String(uiPort),
    DATA_DIR: dataDir,
    PUBLIC_BASE_URL: `http://localhost:${port}`,
    NODE_ENV: 'development',
  });
  const child = startChild({
    name: 'npm-start',
    file: 'src/main.ts',
    env,
    readyPattern: /dunning service running/,
    logFile: join(dataDir, 'service.log'),
    readyTimeoutMs: 100_000,
  });
  await child.ready;
  const secrets = JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')) as { apiToken: string };
  return { child, env, port, uiPort, temporalAddress: `127.0.0.1:${grpcPort}`, apiToken: secrets.apiToken, dataDir };
}

beforeAll(async () => {
  if (!chromiumPath) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  cliPath = await ensureTemporalCli(() => undefined);
  // As root (CI, this machine) Chromium's own sandbox cannot start: --no-sandbox.
  [browser, service] = await Promise.all([
    chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] }),
    startService(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await service?.child.stop();
  if (service) rmSync(service.dataDir, { recursive: true, force: true });
});

describe('a case in the Temporal Web UI of `npm start`, in headless Chromium', () => {
  it(
    'shows the decrypted email template and amount; the raw history holds no customer email or name',
    { timeout: 120_000 },
    async (ctx) => {
      ctx.skip(!chromiumPath, SKIP_REASON);
      const s = service!;
      // ---- a demo case, as a newcomer makes one (`npm run demo`) -----------------------------------
      const demo = await run(
        process.execPath,
        ['--import', 'tsx', 'tools/cli/demo.ts', '--email', EMAIL, '--name', NAME, '--amount', '2900'],
        { cwd: REPO_ROOT, env: s.env, timeout: 60_000 },
      );
      const invoiceId = /invoice (in_\w+)/.exec(demo.stdout)?.[1];
      expect(invoiceId, demo.stdout).toBeDefined();
      const workflowId = `dunning-${invoiceId}`;
      await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${s.port}/api/invoices/${invoiceId}/dunning`, {
            headers: { authorization: `Bearer ${s.apiToken}` },
          });
          const status = res.ok ? ((await res.json()) as { emails: unknown[] }) : undefined;
          return status && status.emails.length >= 1 ? status : undefined;
        },
        45_000,
        'the first email of the demo case',
      );

      // ---- the case page, decoded in the browser through the codec server -------------------------
      const page = await browser!.newPage({ viewport: { width: 1400, height: 1400 } });
      const codecCalls: Array<{ url: string; status: number; origin?: string; method: string }> = [];
      page.on('response', (res) => {
        if (!res.url().includes('/codec/')) return;
        // allHeaders: the headers the browser really sent (Origin is not among the provisional ones).
        void res
          .request()
          .allHeaders()
          .then((h) =>
            codecCalls.push({ url: res.url(), status: res.status(), method: res.request().method(), origin: h.origin }),
          );
      });
      const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `web-ui-codec-${name}.png`), fullPage: true });
      await page.goto(`http://127.0.0.1:${s.uiPort}/namespaces/default/workflows/${workflowId}`);
      await expandEmailActivity(page);
      await shot('1-case');
      // The first email's activity, opened: its input (template, amount) and result, decrypted.
      const text = await page.locator('body').innerText();
      expect(text).toContain('"template": "payment_failed"');
      expect(text).toContain('"amountDue": 2900');
      expect(text).toContain('"template": "payment_failed.insufficient_funds"');
      // The case's summary and the activity's, set by the workflow: user metadata, encrypted too.
      expect(text).toContain('$29.00 USD');
      expect(text).toContain('email: payment_failed (en)');
      await page.getByText('"amountDue": 2900').first().scrollIntoViewIfNeeded();
      await shot('2-email-activity');
      // The UI called the codec server from the browser, from its own origin, and got answers.
      const decodes = codecCalls.filter((c) => c.url.endsWith('/codec/decode') && c.method === 'POST');
      expect(decodes.length).toBeGreaterThan(0);
      expect(
        decodes.every((c) => c.status === 200 && c.origin === `http://127.0.0.1:${s.uiPort}`),
        JSON.stringify(decodes),
      ).toBe(true);
      await page.close();

      // ---- the same history without the codec: the Temporal CLI's JSON (a plain client's without it) --
      const rawHistory = await historyWithoutCodec(s.temporalAddress, workflowId);
      const raw = decodedBase64Strings(rawHistory);
      expect(raw.some((t) => t.includes('binary/encrypted'))).toBe(true);
      for (const secret of [EMAIL, NAME, 'Janet', 'payment_failed.insufficient_funds']) {
        expect(
          raw.filter((t) => t.includes(secret)),
          `"${secret}" in the raw history`,
        ).toEqual([]);
      }
    },
  );
});

async function historyWithoutCodec(address: string, workflowId: string): Promise<string> {
  if (cliPath) {
    const show = await run(
      cliPath,
      ['workflow', 'show', '--address', address, '--namespace', 'default', '--workflow-id', workflowId, '-o', 'json'],
      { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
    );
    return show.stdout;
  }
  const connection = await Connection.connect({ address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    return JSON.stringify(temporal.api.history.v1.History.fromObject(history).toJSON());
  } finally {
    await connection.close();
  }
}

/** The CLI's JSON with every base64 string also read as text: a payload's bytes are base64 there. */
function decodedBase64Strings(json: string): string[] {
  const out: string[] = [json];
  for (const m of json.matchAll(/"([A-Za-z0-9+/]{8,}={0,2})"/g)) out.push(Buffer.from(m[1]!, 'base64').toString('latin1'));
  return out;
}

/** Opens the first email's activity in the timeline, so that its decrypted input and result show. */
async function expandEmailActivity(page: Page): Promise<void> {
  // The timeline's row for the activity, named by its (decrypted) summary.
  const row = page.getByText(/sendDunningEmail • email: payment_failed/).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.getByText('"amountDue": 2900').first().waitFor({ timeout: 20_000 });
}
