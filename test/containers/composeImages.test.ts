/**
 * The local container run (scripts/containers) against the files it reads: every image that
 * docker-compose.yml names is one it can make here, or is Grafana, which the local run leaves out
 * with its compose profile; the Dockerfile's FROM lines are Node images it makes; the run's .env
 * is .env.example with the generated values. The run itself (`npm run stack:containers --
 * journey`) is not part of `npm test`: see docs/production/containers-local.md.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeImages, dockerfileNodeMajors, imageSpec, qualified } from '../../scripts/containers/composeImages';
import { localRunEnv, renderEnv } from '../../scripts/containers/envFile';

const root = resolve(__dirname, '../..');
const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

/** The `profiles:` line of each service that has one (compose's services are two-space indented). */
function profiles(): Record<string, string> {
  const out: Record<string, string> = {};
  let service = '';
  for (const line of compose.split('\n')) {
    const s = /^ {2}([a-z][\w-]*):\s*$/.exec(line);
    if (s) service = s[1]!;
    const p = /^ {4}profiles:\s*(.+)$/.exec(line);
    if (p && service) out[service] = p[1]!.trim();
  }
  return out;
}

describe('the images of docker-compose.yml, made locally', () => {
  it('knows how to make every pinned image, Grafana alone left out', () => {
    const specs = composeImages(join(root, 'docker-compose.yml'));
    expect(specs.map((s) => s.kind).sort()).toEqual(
      ['postgres', 'prometheus', 'service', 'skipped', 'temporal-admin-tools', 'temporal-server', 'temporal-ui'].sort(),
    );
    expect(specs.find((s) => s.kind === 'skipped')?.tag).toMatch(/^docker\.io\/grafana\/grafana:/);
  });

  it('puts Grafana, and only Grafana, in a profile: the local run starts every other service', () => {
    expect(profiles()).toEqual({ grafana: '[grafana]' });
  });

  it('pins a PostgreSQL that Debian packages (15 in bookworm, 17 in trixie)', () => {
    const pg = composeImages(join(root, 'docker-compose.yml')).find((s) => s.kind === 'postgres');
    expect([15, 17]).toContain(pg?.kind === 'postgres' ? pg.major : undefined);
  });

  it('refuses an image it cannot make instead of substituting one', () => {
    expect(() => imageSpec('redis:7')).toThrow(/redis:7: scripts\/containers does not know how to make it/);
    expect(() => imageSpec('temporalio/server:latest')).toThrow(/does not know/);
  });

  it('tags with the names podman resolves the short names to', () => {
    expect(qualified('postgres:17')).toBe('docker.io/library/postgres:17');
    expect(qualified('temporalio/ui:2.49.1')).toBe('docker.io/temporalio/ui:2.49.1');
    expect(qualified('quay.io/x/y:1')).toBe('quay.io/x/y:1');
  });

  it('makes the Node images the Dockerfile builds and runs on', () => {
    const majors = dockerfileNodeMajors(join(root, 'Dockerfile'));
    expect(majors.length).toBeGreaterThan(0);
    for (const m of majors) expect(m).toBeGreaterThanOrEqual(20);
  });
});

describe('the worker container', () => {
  // Found by the local run: .env.example's `WORKFLOW_BUNDLE_PATH=` (empty), passed by env_file,
  // overrode the image's ENV, and every worker start failed looking for dist/workflows/index.ts.
  it("sets the image's prebuilt workflow bundle in compose, where env_file cannot empty it", () => {
    const image = /WORKFLOW_BUNDLE_PATH=(\S+)/.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(image).toBe('/app/dist/workflow-bundle.js');
    const worker = /^ {2}worker:\n([\s\S]*?)(?=^ {2}[a-z][\w-]*:\s*$)/m.exec(compose)?.[1] ?? '';
    expect(worker).toMatch(new RegExp(`^ {6}WORKFLOW_BUNDLE_PATH: ${image}$`, 'm'));
  });
});

describe("the local run's .env", () => {
  it('is .env.example with the secrets filled in and the providers at the host sandboxes', () => {
    const env = localRunEnv({ stripeUrl: 'http://192.0.2.2:1234', outboxUrl: 'http://192.0.2.2:5678', webhookSecret: 'whsec_x' });
    const values = Object.fromEntries(
      env.text
        .split('\n')
        .filter((l) => /^[A-Z]/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(values).toMatchObject({
      API_TOKEN: env.apiToken,
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
      STRIPE_API_BASE: 'http://192.0.2.2:1234',
      RESEND_BASE_URL: 'http://192.0.2.2:5678',
      EMAIL_FROM: 'Billing <billing@example.com>',
    });
    expect(values.STRIPE_SECRET_KEY).toMatch(/^sk_test_/);
    expect(values.RESEND_API_KEY).toMatch(/^re_/);
    expect(values.API_TOKEN!.length).toBeGreaterThanOrEqual(32);
    expect(values.PAYLOAD_ENCRYPTION_KEYS).toMatch(/^local-\d{6}:[A-Za-z0-9+/]{43}=$/);
    // Set once each, the commented-out example lines included.
    for (const key of ['STRIPE_API_BASE', 'API_TOKEN']) {
      expect(env.text.split('\n').filter((l) => l.startsWith(`${key}=`))).toHaveLength(1);
    }
  });

  it('replaces a key in place (its commented-out line if it has no other) and appends what the example lacks', () => {
    expect(renderEnv('# A=example\nA=\n# B=x\n', { A: '1', B: '2', C: '3' })).toBe(
      '# A=example\nA=1\nB=2\n\n\n# --- Set by scripts/containers for the local run ---\nC=3',
    );
  });
});
