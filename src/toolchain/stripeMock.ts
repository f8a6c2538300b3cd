/**
 * stripe-mock: Stripe's own API mock (OpenAPI-driven), a Stripe-compatible endpoint for tests
 * via `STRIPE_API_BASE=http://127.0.0.1:12111`.
 */
import { cacheDir, isUsable, recordTool, type ToolRecord } from './cache';
import { goInstall, goToolPath, type GoTool } from './goInstall';
import { findOnPath, type Log } from './process';

export const STRIPE_MOCK: GoTool = {
  label: 'stripe-mock',
  pkg: 'github.com/stripe/stripe-mock',
  version: 'v0.203.0',
  binary: 'stripe-mock',
  dirName: 'stripe-mock-v0.203.0',
};

/** `STRIPE_MOCK_PATH` → PATH → cached build → `go install` → undefined. */
export async function ensureStripeMock(log: Log): Promise<string | undefined> {
  const record = await resolveStripeMock(log);
  recordTool('stripeMock', record);
  return record?.path;
}

async function resolveStripeMock(log: Log): Promise<ToolRecord | undefined> {
  const fromEnv = process.env.STRIPE_MOCK_PATH;
  if (fromEnv) {
    log(`stripe-mock: using STRIPE_MOCK_PATH=${fromEnv}`);
    return { path: fromEnv, version: 'unknown', source: 'env' };
  }
  const onPath = findOnPath('stripe-mock');
  if (onPath) {
    log(`stripe-mock: using ${onPath} from PATH`);
    return { path: onPath, version: 'unknown', source: 'path' };
  }
  const cached: ToolRecord = { path: goToolPath(cacheDir(), STRIPE_MOCK), version: STRIPE_MOCK.version, source: 'cache' };
  if (isUsable(cached)) {
    log(`stripe-mock: using cached build ${cached.path}`);
    return cached;
  }
  if (await goInstall(cacheDir(), STRIPE_MOCK, log)) return cached;
  log('stripe-mock: not available; tests that need it will skip or use another fake');
  return undefined;
}
