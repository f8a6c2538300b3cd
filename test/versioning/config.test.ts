/** The Worker Deployment Versioning settings (src/config.ts, docs/releases.md). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const load = (env: Record<string, string>) =>
  loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'dunning-versioning-')), ...env });

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const PRODUCTION = {
  NODE_ENV: 'production',
  API_TOKEN: randomBytes(32).toString('hex'),
  LINK_SECRET: randomBytes(32).toString('hex'),
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  RESEND_API_KEY: 're_x',
  PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
};

describe('worker versioning settings', () => {
  it('on by default: the deployment is named for the task queue, the build id is left to the bundle', () => {
    expect(load({}).temporal.versioning).toEqual({ deploymentName: 'dunning', buildId: undefined, setCurrent: 'always' });
    expect(load({ TEMPORAL_TASK_QUEUE: 'billing' }).temporal.versioning?.deploymentName).toBe('billing');
  });

  it('a new build makes itself current in production too, unless the operator ramps releases', () => {
    // Deployments replace workers in place: a build left waiting would leave no worker for the cases.
    expect(load(PRODUCTION).temporal.versioning?.setCurrent).toBe('always');
    expect(load({ ...PRODUCTION, WORKER_SET_CURRENT_VERSION: 'first' }).temporal.versioning?.setCurrent).toBe('first');
  });

  it('takes a name and build id given, and turns off', () => {
    expect(load({ WORKER_DEPLOYMENT_NAME: 'dunning-eu', WORKER_BUILD_ID: 'v1.0.0+abc' }).temporal.versioning).toMatchObject({
      deploymentName: 'dunning-eu',
      buildId: 'v1.0.0+abc',
    });
    expect(load({ WORKER_VERSIONING: 'off' }).temporal.versioning).toBeUndefined();
  });

  it('refuses what the server would refuse, by name', () => {
    expect(problemsOf({ WORKER_DEPLOYMENT_NAME: 'dunning.eu' })).toEqual([
      'WORKER_DEPLOYMENT_NAME: WORKER_DEPLOYMENT_NAME must be letters, digits, _ or - (no dots), at most 200',
    ]);
    expect(problemsOf({ TEMPORAL_TASK_QUEUE: 'dunning.eu' })).toEqual([
      'WORKER_DEPLOYMENT_NAME: required when TEMPORAL_TASK_QUEUE (dunning.eu) is not a valid deployment name (letters, digits, _ or -)',
    ]);
    expect(problemsOf({ TEMPORAL_TASK_QUEUE: 'dunning.eu', WORKER_VERSIONING: 'off' })).toEqual([]);
    expect(problemsOf({ WORKER_BUILD_ID: 'has space' })[0]).toMatch(/^WORKER_BUILD_ID: /);
    expect(problemsOf({ WORKER_SET_CURRENT_VERSION: 'yes' })).toEqual([
      'WORKER_SET_CURRENT_VERSION: WORKER_SET_CURRENT_VERSION must be one of always, first, never',
    ]);
    expect(problemsOf({ WORKER_VERSIONING: 'true' })).toEqual(['WORKER_VERSIONING: WORKER_VERSIONING must be on or off']);
  });
});
