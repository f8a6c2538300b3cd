/**
 * docs/production.md agrees with the code it documents, and its recipe makes a configuration that
 * production accepts: the blocks it marks `<!-- walked: … -->` are read (and the secrets block run)
 * as written. test/cluster/production-guide.test.ts walks the same blocks against a real cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseEncryptionKeys, PRODUCTION_REQUIRED } from '../../src/config';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { USED_TYPES } from '../../src/http/stripeEventSchemas';
import { STRIPE_API_VERSION } from '../../domain/stripeApiVersion';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import {
  composeEnvironments,
  dockerfileEnv,
  firstColumnNames,
  GUIDE,
  guideDotEnv,
  parseDotEnv,
  REPO_ROOT,
  runEnvBlock,
  searchAttributesFromCommand,
  setEnvLines,
  settingsForSandbox,
  stripeEndpointFromCommand,
  walkedBlock,
} from '../support/productionGuide';

const guide = readFileSync(GUIDE, 'utf8');
const sandbox = {
  publicBaseUrl: 'https://billing.example.com',
  stripeSecretKey: 'sk_test_placeholder',
  stripeWebhookSecret: 'whsec_placeholder',
  resendApiKey: 're_placeholder',
  resendWebhookSecret: 'whsec_cGxhY2Vob2xkZXI=',
};
const dataDir = mkdtempSync(join(tmpdir(), 'dunning-guide-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The configuration's problems, or none. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('docs/production.md', () => {
  it('lists exactly the keys production refuses to start without', () => {
    expect(firstColumnNames(walkedBlock(guide, 'required').text).sort()).toEqual([...PRODUCTION_REQUIRED].sort());
  });

  it('registers the search attributes the service checks for, with their types', () => {
    const block = walkedBlock(guide, 'search-attributes');
    expect(searchAttributesFromCommand(block.text)).toEqual(SEARCH_ATTRIBUTES.map(({ name, cliType }) => ({ name, cliType })));
    expect(block.text).toMatch(/--retention 35d/);
  });

  it('creates the Stripe endpoint at the pinned API version with every event the service uses', () => {
    const { apiVersion, enabledEvents } = stripeEndpointFromCommand(walkedBlock(guide, 'stripe-endpoint').text);
    expect(apiVersion).toBe(STRIPE_API_VERSION);
    expect([...enabledEvents].sort()).toEqual([...USED_TYPES].sort());
  });

  it('its secrets recipe, run as written, makes every secret production needs, strong enough', () => {
    const env = parseDotEnv(runEnvBlock(walkedBlock(guide, 'env').text));
    for (const name of ['API_TOKEN', 'LINK_SECRET', 'CODEC_TOKEN']) {
      expect(env[name], name).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(parseEncryptionKeys(env.PAYLOAD_ENCRYPTION_KEYS ?? '')).toHaveLength(1);
    expect(env.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    expect(env.GRAFANA_ADMIN_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
    // The rest of .env.example is kept: a generated .env still documents itself.
    expect(env.TEMPORAL_TASK_QUEUE).toBe('dunning');
    // Two runs make two sets of secrets (nothing fixed slipped in).
    const again = parseDotEnv(runEnvBlock(walkedBlock(guide, 'env').text));
    expect(again.API_TOKEN).not.toBe(env.API_TOKEN);
  });

  it('the secrets and the settings make a configuration production accepts, and either alone does not', () => {
    const secrets = runEnvBlock(walkedBlock(guide, 'env').text);
    const settings = settingsForSandbox(walkedBlock(guide, 'settings').text, sandbox);
    const base = { NODE_ENV: 'production', DATA_DIR: dataDir, TEMPORAL_ADDRESS: '127.0.0.1:7233' };
    expect(problemsOf({ ...base, ...parseDotEnv(setEnvLines(secrets, settings)) })).toEqual([]);
    // With the app's webhook too: its recipe makes a secret the service (and Standard Webhooks) takes.
    const withApp = parseDotEnv(guideDotEnv(guide, sandbox));
    expect(withApp.APP_WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(loadConfig({ ...base, ...withApp }).appWebhook?.url).toBe('https://app.example.com/webhooks/dunning');
    expect(problemsOf({ ...base, ...parseDotEnv(secrets) }).join('\n')).toMatch(/STRIPE_SECRET_KEY: required/);
    expect(problemsOf({ ...base, ...settings }).join('\n')).toMatch(/API_TOKEN: required/);
  });

  it('without containers: the build the image runs, started with the .env the guide made', () => {
    const run = walkedBlock(guide, 'without-containers').text;
    expect(run).toMatch(/npm run build/);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:prod']).toBe('node dist/src/main.js');
    for (const role of ['worker', 'api']) expect(run).toContain(`node --env-file=.env dist/src/main.js ${role}`);
    // The exports stand for what compose and the image set: production, and the prebuilt bundle `npm run build` writes.
    expect(run).toMatch(/export NODE_ENV=production /);
    expect(run).toMatch(/ WORKFLOW_BUNDLE_PATH=dist\/workflow-bundle\.js/);
    expect(run).toMatch(/ TEMPORAL_ADDRESS=\S+/);
    // Node reads the .env the guide made as Compose does (base64 with '=', a sender with '<…>').
    const dir = mkdtempSync(join(tmpdir(), 'dunning-guide-envfile-'));
    const file = join(dir, '.env');
    writeFileSync(file, guideDotEnv(guide, sandbox));
    const keys = ['API_TOKEN', 'PAYLOAD_ENCRYPTION_KEYS', 'EMAIL_FROM', 'APP_WEBHOOK_SECRET', 'STRIPE_SECRET_KEY'];
    const read = execFileSync(
      process.execPath,
      [`--env-file=${file}`, '-e', `console.log(JSON.stringify(${JSON.stringify(keys)}.map((k) => process.env[k])))`],
      { encoding: 'utf8', env: { PATH: process.env.PATH } },
    );
    const expected = parseDotEnv(readFileSync(file, 'utf8'));
    expect(JSON.parse(read)).toEqual(keys.map((k) => expected[k]));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a settings key the walk does not know stops it, naming the key', () => {
    expect(() => settingsForSandbox('STRIPE_SECRET_KEY=sk_live_x\nNEW_THING=1', sandbox)).toThrow(/NEW_THING/);
    expect(() => settingsForSandbox('STRIPE_SECRET_KEY=pk_live_x', sandbox)).toThrow(/STRIPE_SECRET_KEY/);
  });

  it('reads marked blocks and tables, and names a missing marker', () => {
    const md = 'x\n<!-- walked: a -->\n```sh\necho 1\n```\n<!-- walked: t -->\n| k | v |\n| - | - |\n| `A` | 1 |\n\ny';
    expect(walkedBlock(md, 'a')).toEqual({ lang: 'sh', text: 'echo 1' });
    expect(firstColumnNames(walkedBlock(md, 't').text)).toEqual(['A']);
    expect(() => walkedBlock(md, 'b')).toThrow(/walked: b/);
  });
});

const dockerCompose = findOnPath('docker-compose') ?? cachedToolchain().dockerCompose;

describe.skipIf(!dockerCompose)('the environment docker-compose.yml gives the worker and the API from the guide’s .env', () => {
  const dotEnv = guideDotEnv(guide, sandbox);
  const image = dockerfileEnv(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const services = composeEnvironments(dockerCompose!, dotEnv);

  it('runs production with the image’s prebuilt workflow bundle (an empty .env value would hide it)', () => {
    for (const name of ['worker', 'api']) {
      const env = { ...image, ...services[name] };
      expect(env.NODE_ENV, name).toBe('production');
      expect(env.WORKFLOW_BUNDLE_PATH, name).toBe('/app/dist/workflow-bundle.js');
    }
  });

  it('is a configuration production accepts', () => {
    for (const name of ['worker', 'api']) {
      const env = { ...image, ...services[name], DATA_DIR: dataDir, WORKFLOW_BUNDLE_PATH: '' };
      expect(problemsOf(env), name).toEqual([]);
    }
  });
});
