/**
 * docker-compose.yml, checked by the real `docker-compose config` (Debian's 1.29 parses without a
 * Docker engine; scripts/toolchain.ts provisions it) with .env.example as the stack's .env, plus
 * the values compose cannot do without (it has no default for them, on purpose).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';

const root = resolve(__dirname, '../..');
const dockerCompose = findOnPath('docker-compose') ?? cachedToolchain().dockerCompose;

/** The contract's Environment table plus the task queue and PORT named elsewhere in it. */
const CONTRACT_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TASK_QUEUE',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_BASE',
  'RESEND_API_KEY',
  'RESEND_BASE_URL',
  'RESEND_WEBHOOK_SECRET',
  'EMAIL_FROM',
  'EMAIL_REPLY_TO',
  'API_TOKEN',
  'LINK_SECRET',
  'PUBLIC_BASE_URL',
  'DUNNING_POLICY',
  'DATA_DIR',
  'PORT',
  'APP_WEBHOOK_URL',
  'APP_WEBHOOK_SECRET',
];
/** Left commented out in .env.example: an empty URL is invalid, and compose sets TEMPORAL_ADDRESS. */
const COMMENTED_OUT = ['TEMPORAL_ADDRESS', 'STRIPE_API_BASE', 'RESEND_BASE_URL', 'APP_WEBHOOK_URL'];

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | null>;
  /** `published`/`target` objects, or `host_ip:published:target/proto` strings for a bound host address. */
  ports?: Array<{ published: number | string; target: number | string } | string>;
  depends_on?: Record<string, { condition: string }>;
}

// On a developer's machine without apt the check is skipped; in CI the toolchain must provide it.
it.runIf(process.env.CI === 'true')('CI has a Compose implementation to check docker-compose.yml with', () => {
  expect(dockerCompose, 'docker-compose (npm test provisions it with apt-get)').toBeDefined();
});

describe.skipIf(!dockerCompose)('docker-compose.yml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunning-compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What compose refuses to start without (no default: a default password is everybody's). */
  const REQUIRED = { GRAFANA_ADMIN_PASSWORD: 'grafana-password-for-the-test', METRICS_TOKEN: 'metrics-token-for-the-test-0123' };

  /** `docker-compose config` has no JSON output in 1.29: its YAML is read by the python3 PyYAML that docker-compose itself runs on. */
  function composeConfig(required: Partial<typeof REQUIRED>): string {
    cpSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    cpSync(join(root, 'deploy'), join(dir, 'deploy'), { recursive: true });
    cpSync(join(root, '.env.example'), join(dir, '.env'));
    appendFileSync(
      join(dir, '.env'),
      Object.entries(required)
        .map(([k, v]) => `\n${k}=${v}`)
        .join('') + '\n',
    );
    return execFileSync(dockerCompose!, ['config'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
  function resolvedConfig(): { services: Record<string, ComposeService> } {
    const yaml = composeConfig(REQUIRED);
    const json = execFileSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
      input: yaml,
      encoding: 'utf8',
    });
    return JSON.parse(json);
  }
  const { services } = resolvedConfig();
  const published = (name: string) =>
    (services[name]?.ports ?? []).map((p) => (typeof p === 'string' ? p.replace(/\/tcp$/, '') : `${p.published}:${p.target}`));

  it.each(Object.keys(REQUIRED))('refuses to start without %s, naming it', (name) => {
    const others = Object.fromEntries(Object.entries(REQUIRED).filter(([k]) => k !== name));
    expect(() => composeConfig(others)).toThrow(new RegExp(`set ${name} in \\.env`));
  });

  it("publishes nothing but the API's port beyond this machine's loopback", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of published(name)) {
        if (name !== 'api') expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
      }
      expect(service.ports ?? [], name).not.toContainEqual(expect.stringMatching(/^0\.0\.0\.0:/));
    }
  });

  it('has the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'api',
        'grafana',
        'postgres',
        'prometheus',
        'temporal',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
    );
  });

  it('publishes the API on 3000, the Web UI on 8233 and Temporal on 7233 (those two on loopback)', () => {
    expect(published('api')).toEqual(['3000:3000']);
    expect(published('temporal-ui')).toEqual(['127.0.0.1:8233:8080']);
    expect(published('temporal')).toEqual(['127.0.0.1:7233:7233']);
    expect(published('postgres')).toEqual([]);
  });

  it('documents every contract variable in .env.example', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    for (const name of CONTRACT_VARIABLES) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });

  it.each(['worker', 'api'])('gives %s every contract variable, TEMPORAL_ADDRESS pointing at the temporal service', (name) => {
    const service = services[name]!;
    expect(service.build).toBeDefined();
    expect(service.command).toEqual([name]);
    const env = service.environment ?? {};
    for (const variable of CONTRACT_VARIABLES.filter((v) => !COMMENTED_OUT.includes(v) || v === 'TEMPORAL_ADDRESS')) {
      expect(env, variable).toHaveProperty(variable);
    }
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.NODE_ENV).toBe('production');
    expect(service.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
  });

  it("points the Web UI at the API's codec server, with credentials, and allows its origin there", () => {
    const ui = services['temporal-ui']!.environment ?? {};
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe('http://localhost:3000/codec');
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(services.api!.environment?.CODEC_ALLOWED_ORIGINS).toBe('http://localhost:8233');
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    for (const name of ['PAYLOAD_ENCRYPTION_KEYS', 'CODEC_TOKEN']) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it("turns on the server's priority-aware matcher (activity priorities)", () => {
    const dynamic = readFileSync(join(root, 'deploy/temporal/dynamicconfig.yaml'), 'utf8');
    expect(dynamic).toMatch(/^matching\.useNewMatcher:\n {2}- value: true/m);
  });

  /** Bind mounts by target: docker-compose 1.29 prints them as `source:target:mode`. */
  const mounts = (name: string): Record<string, string> =>
    Object.fromEntries(
      ((services[name] as { volumes?: string[] }).volumes ?? []).map((v) => {
        const [source, target] = v.split(':');
        return [target, source];
      }),
    );

  it("runs Prometheus on the repository's scrape config, scraping the API's PORT and the worker's METRICS_PORT", () => {
    expect(mounts('prometheus')['/etc/prometheus']).toBe(join(dir, 'deploy/prometheus'));
    const config = readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8');
    expect(config).toMatch(new RegExp(`names: \\[api\\]\\s+type: A\\s+port: ${services.api!.environment?.PORT}\\b`));
    expect(config).toMatch(
      new RegExp(`names: \\[worker\\]\\s+type: A\\s+port: ${services.worker!.environment?.METRICS_PORT}\\b`),
    );
    expect(published('prometheus')).toEqual(['127.0.0.1:9090:9090']);
    // Both jobs send METRICS_TOKEN, which compose writes where the config reads it.
    expect(config.match(/credentials_file: \/prometheus\/metrics-token$/gm)).toHaveLength(2);
    expect(services.prometheus!.environment?.METRICS_TOKEN).toBe(REQUIRED.METRICS_TOKEN);
    expect(services.prometheus!.command?.join('\n')).toMatch(/> \/prometheus\/metrics-token\n/);
  });

  it('runs Grafana with the data source and the dashboard provisioned from deploy/grafana', () => {
    expect(mounts('grafana')['/etc/grafana/provisioning']).toBe(join(dir, 'deploy/grafana/provisioning'));
    expect(mounts('grafana')['/etc/grafana/dashboards']).toBe(join(dir, 'deploy/grafana/dashboards'));
    const provider = readFileSync(join(root, 'deploy/grafana/provisioning/dashboards/dunning.yml'), 'utf8');
    expect(provider).toMatch(/path: \/etc\/grafana\/dashboards$/m);
    const datasource = readFileSync(join(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    expect(datasource).toMatch(/url: http:\/\/prometheus:9090$/m);
    expect(datasource).toMatch(/uid: prometheus$/m);
    expect(published('grafana')).toEqual(['127.0.0.1:3300:3000']);
    expect(services.grafana!.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe(REQUIRED.GRAFANA_ADMIN_PASSWORD);
  });

  it('creates every contract search attribute at start-up', () => {
    const setup = services['temporal-setup']!;
    const declared = (setup.environment?.SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    expect(declared.sort()).toEqual(SEARCH_ATTRIBUTES.map((a) => `${a.name}=${a.cliType}`).sort());
    expect(setup.command?.join('\n')).toContain('temporal operator search-attribute create');
  });
});
