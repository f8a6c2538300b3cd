/**
 * stripe-mock: Stripe's own API mock (OpenAPI-driven), a Stripe-compatible endpoint for tests
 * via `STRIPE_API_BASE=http://127.0.0.1:12111`.
 */
import { resolveGoTool, type GoTool } from './goInstall';
import type { Log } from './process';
import { provision } from './provision';

export const STRIPE_MOCK: GoTool = {
  label: 'stripe-mock',
  pkg: 'github.com/stripe/stripe-mock',
  version: 'v0.203.0',
  binary: 'stripe-mock',
  dirName: 'stripe-mock-v0.203.0',
};

/** `STRIPE_MOCK_PATH` → PATH → cached build → `go install` → undefined. */
export function ensureStripeMock(log: Log): Promise<string | undefined> {
  return provision('stripeMock', () =>
    resolveGoTool(
      STRIPE_MOCK,
      { envVar: 'STRIPE_MOCK_PATH', whenMissing: 'tests that need it will skip or use another fake' },
      log,
    ),
  );
}
