/**
 * The lint rules that hold the layers apart (eslint.config.mjs) fail on a forbidden import, and
 * let the allowed ones through. Runs ESLint on snippets placed (virtually) in each folder.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  // Snippets are not files of the TypeScript project: lint them without type information.
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
});

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId?.endsWith('no-restricted-imports') || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['workflows/x.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;", /no Node built-ins/],
    ['workflows/x.ts', "import { randomUUID } from 'crypto';\nexport const f = randomUUID;", /no Node built-ins/],
    ['workflows/x.ts', "import Stripe from 'stripe';\nexport const s = Stripe;", /I\/O packages/],
    [
      'workflows/x.ts',
      "import { createActivities } from '../activities';\nexport const a = createActivities;",
      /activity types only/,
    ],
    [
      'workflows/x.ts',
      "import { loadConfig } from '../src/config';\nexport const c = loadConfig;",
      /never import the service code/,
    ],
    ['domain/x.ts', "import { z } from 'zod';\nexport const s = z;", /I\/O packages/],
    [
      'domain/x.ts',
      "import type { DunningActivities } from '../activities';\nexport type A = DunningActivities;",
      /bottom layer/,
    ],
    ['domain/x.ts', "import { dunningWorkflow } from '../workflows/dunning';\nexport const w = dunningWorkflow;", /bottom layer/],
    [
      'activities/x.ts',
      "import { dunningWorkflow } from '../workflows/dunning';\nexport const w = dunningWorkflow;",
      /never import workflows/,
    ],
    [
      'activities/x.ts',
      "import type { cardRetryBudgetWorkflow } from '../workflows/cardBudget';\nexport type W = typeof cardRetryBudgetWorkflow;",
      /never import workflows/,
    ],
    [
      'activities/email/x.ts',
      "import { retryLinkUrl } from '../../src/links/updateLinkToken';\nexport const r = retryLinkUrl;",
      /never import the service code/,
    ],
    [
      'activities/x.ts',
      "import type { DunningClient } from '../src/dunningClient';\nexport type C = DunningClient;",
      /never import the service code/,
    ],
    ['workflows/x.ts', "import type { Config } from '../src/config';\nexport type C = Config;", /never import the service code/],
    ['src/x.ts', "import { startStripeSandbox } from './dev/sandbox/stripe';\nexport const s = startStripeSandbox;", /dev-only/],
  ])('%s: %s is refused', async (file, code, message) => {
    const found = await problems(file, code);
    expect(found.length, `${file}: ${code}`).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it.each([
    ['workflows/x.ts', "import type { DunningActivities } from '../activities';\nexport type A = DunningActivities;"],
    ['workflows/x.ts', "import { classifyDecline } from '../domain/declines';\nexport const c = classifyDecline;"],
    [
      'activities/x.ts',
      "import type { CardBudgetWorkflow } from '../domain/cardBudgetMessages';\nexport type W = CardBudgetWorkflow;",
    ],
    ['src/x.ts', "import { sameSecret } from '../activities/secrets';\nexport const s = sameSecret;"],
    ['activities/x.ts', "import { classifyDecline } from '../domain/declines';\nexport const c = classifyDecline;"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});

// Who may import the dev-only rooms: sandbox/ (the sandboxes) and tools/ (the tooling).
describe('import boundaries of sandbox/ and tools/', () => {
  it.each([
    ['src/x.ts', "import { startStripeSandbox } from '../sandbox/stripe';\nexport const s = startStripeSandbox;", /dev-only/],
    ['src/main.ts', "import { startStripeSandbox } from '../sandbox/stripe';\nexport const s = startStripeSandbox;", /dev-only/],
    ['src/http/x.ts', "import { freePort } from '../../tools/toolchain/ports';\nexport const f = freePort;", /dev-only/],
    ['domain/x.ts', "import type { ChargeRecord } from '../sandbox/stripe';\nexport type C = ChargeRecord;", /dev-only/],
    ['src/http/x.ts', "export const load = () => import('../../sandbox/stripe');", /dev-only/],
    ['activities/x.ts', "export const load = () => import('../tools/temporal/devServer');", /dev-only/],
    [
      'sandbox/x.ts',
      "import { freePort } from '../tools/toolchain/ports';\nexport const f = freePort;",
      /sandbox\/ imports only/,
    ],
    [
      'sandbox/stripe/x.ts',
      "import { signedWebhook } from '../../test/support/signedWebhook';\nexport const s = signedWebhook;",
      /sandbox\/ imports only/,
    ],
    [
      'tools/x.ts',
      "import { fuzzedDeliveries } from '../test/support/fuzzEvents';\nexport const f = fuzzedDeliveries;",
      /tools\//,
    ],
    ['tools/chaos/x.ts', "import { run } from '../../bench/run';\nexport const r = run;", /tools\//],
    [
      'sandbox/stripe/x.ts',
      "import { createStripeClient } from '../../src/providers/stripe';\nexport const c = createStripeClient;",
      /not the service/,
    ],
    ['bench/x.ts', "import { mapLimit } from '../test/chaos/driver';\nexport const m = mapLimit;", /never import test/],
    ['backtest/x.ts', "export const env = () => import('../test/setup/timeSkipping');", /never import test/],
  ])('%s: %s is refused', async (file, code, message) => {
    const found = await problems(file, code);
    expect(found.length, `${file}: ${code}`).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it.each([
    ['src/main.ts', "export const load = () => import('../sandbox/stripe');"],
    ['src/main.ts', "export const load = () => import('../tools/temporal/devServer');"],
    [
      'sandbox/stripe/x.ts',
      "import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';\nexport const v = STRIPE_API_VERSION;",
    ],
    ['tools/x.ts', "import { startStripeSandbox } from '../sandbox/stripe';\nexport const s = startStripeSandbox;"],
    ['bench/x.ts', "import { mapLimit } from '../tools/chaos/driver';\nexport const m = mapLimit;"],
    ['backtest/x.ts', "export const env = () => import('../tools/temporal/timeSkipping');"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
