/**
 * The experiments' results at the edge, without Temporal: the experiment file (DUNNING_EXPERIMENT)
 * and its errors; `GET /api/experiments` (token, JSON); `npm run cases -- experiments` against that
 * route; the dashboard's section; the gauges on `/metrics`. Records come from the memory store;
 * the open counts from a fixed function (the real count is visibility's: test/temporal/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../backtest/prng';
import type { CaseEndRecord } from '../../domain/caseEndRecord';
import { POLICY_1_0 } from '../../domain/policy';
import { runCases } from '../../src/cli/cases';
import type { DunningClient } from '../../src/dunningClient';
import { readExperimentFile, type RunningExperiment } from '../../src/experimentFile';
import { memoryCaseEndStore } from '../../src/experiments/caseEndStores';
import { readExperimentResults } from '../../src/experiments/experimentResults';
import type { ExperimentReport } from '../../domain/experimentResults';
import { dashboardRouter } from '../../src/http/dashboardRoute';
import { experimentsRouter } from '../../src/http/experimentsRoute';
import { Metrics } from '../../src/metrics';
import { visibilityStub } from '../support/visibilityStub';

const TOKEN = 'experiments-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'experiment-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

describe('the experiment file', () => {
  it('reads arms with their policies (paths relative to the file) and fills in the settings', () => {
    write('early.json', { ...POLICY_1_0, steps: [{ at: '0', action: 'email', template: 'payment_failed' }] });
    const r = readExperimentFile(
      write('exp.json', {
        id: 'early-2026-12',
        holdout: { weight: 1 },
        arms: [{ name: 'early', policy: 'early.json', weight: 1 }],
      }),
    );
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.experiment.plan).toEqual({
      id: 'early-2026-12',
      arms: [
        { name: 'holdout', weight: 1 },
        { name: 'early', weight: 1 },
      ],
    });
    expect(r.experiment.policies.early!.steps).toEqual([{ at: '0', action: 'email', template: 'payment_failed' }]);
    expect(r.experiment.settings).toEqual({ minimumEffect: 0.05, alpha: 0.05, power: 0.8 });
  });

  it('says what is wrong, one line per problem, naming the field', () => {
    write('bad-policy.json', {
      version: 1,
      steps: [{ at: '3x', action: 'retry' }],
      endAfter: '14d',
      endAction: 'cancel_subscription',
    });
    const r = readExperimentFile(
      write('bad.json', {
        id: 'has space',
        holdout: { weight: 0 },
        arms: [
          { name: 'holdout', policy: 'early.json', weight: 1 },
          { name: 'Early', policy: 'early.json', weight: -1 },
        ],
        power: 1.2,
        extra: true,
      }),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      'id: must be 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'holdout.weight: must be a positive number',
      'arms[0].name: "holdout" is the baseline\'s arm: name this one otherwise',
      'arms[1].name: must be 1 to 63 lowercase letters, digits, "_" or "-", starting with a letter or digit',
      'arms[1].weight: must be a positive number',
      'power: must be below 1',
      'extra: unknown key',
    ]);
    const policy = readExperimentFile(
      write('bad2.json', {
        id: 'x',
        holdout: { weight: 1 },
        arms: [
          { name: 'a', policy: 'bad-policy.json', weight: 1 },
          { name: 'a', policy: 'missing.json', weight: 1 },
        ],
      }),
    );
    expect(!policy.ok && policy.errors).toEqual([
      "arms[0].policy bad-policy.json: steps[0].at: '3x' is not a duration like '3d', '12h', '30m' or '20s'",
      'arms[1].name: "a" is named twice',
      expect.stringMatching(/^arms\[1\]\.policy: cannot read .*missing\.json as JSON/),
    ]);
    expect(readExperimentFile(write('notjson.json', '{'))).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^cannot read it as JSON/)],
    });
  });
});

// ---- the results at the edge ---------------------------------------------------------------------

const experiment: RunningExperiment = {
  plan: {
    id: 'early-2026-12',
    arms: [
      { name: 'holdout', weight: 1 },
      { name: 'early', weight: 1 },
    ],
  },
  policies: { early: POLICY_1_0 },
  settings: { minimumEffect: 0.1, alpha: 0.05, power: 0.8 },
};

function records(arm: string, n: number, rate: number, seed: number): CaseEndRecord[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const recovered = rand() < rate;
    return {
      caseId: `dunning-in_${arm}${i}`,
      invoiceId: `in_${arm}${i}`,
      customerId: `cus_${arm}${i}`,
      experiment: { experimentId: 'early-2026-12', arm },
      state: recovered ? 'recovered' : 'exhausted',
      outcome: recovered ? 'retry_succeeded' : 'cancel_subscription',
      amountDue: 2900,
      currency: 'usd',
      recoveredAmount: recovered ? 2900 : 0,
      charges: arm === 'early' ? 3 : 2,
      emails: 4,
      startedAt: '2026-12-01T00:00:00.000Z',
      endedAt: '2026-12-04T00:00:00.000Z',
      ...(recovered ? { daysToRecovery: 3 } : {}),
    } satisfies CaseEndRecord;
  });
}

let base: string;
let server: Server;
beforeAll(async () => {
  const store = memoryCaseEndStore();
  for (const r of [...records('holdout', 500, 0.55, 1), ...records('early', 500, 0.7, 2)]) await store.write(r);
  const read = () => readExperimentResults({ store, experiment, countOpen: async (_id, arm) => (arm === 'early' ? 7 : 5) });
  const metrics = new Metrics({ experiments: read });
  const app = express();
  app.use(experimentsRouter({ apiToken: TOKEN, read }));
  app.use(
    dashboardRouter({
      cases: { client: visibilityStub([]), taskQueue: 'dunning' } as unknown as DunningClient,
      apiToken: TOKEN,
      publicBaseUrl: 'http://localhost:3000',
      experiments: read,
    }),
  );
  app.get('/metrics', async (_req, res) => {
    res.type('text').send(await metrics.render());
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe('GET /api/experiments', () => {
  it('needs the token', async () => {
    expect((await fetch(`${base}/api/experiments`)).status).toBe(401);
  });

  it('answers every arm with its rate, interval, test against the holdout and sums', async () => {
    const res = await fetch(`${base}/api/experiments`, { headers: auth });
    expect(res.status).toBe(200);
    const { experiments } = (await res.json()) as { experiments: ExperimentReport[] };
    expect(experiments).toHaveLength(1);
    const x = experiments[0]!;
    expect(x.experimentId).toBe('early-2026-12');
    expect(x.running).toBe(true);
    const [holdout, early] = x.arms;
    expect(holdout).toMatchObject({ arm: 'holdout', cases: 500, open: 5, chargesPerCase: 2, emailsPerCase: 4 });
    expect(early).toMatchObject({ arm: 'early', cases: 500, open: 7, chargesPerCase: 3 });
    expect(early!.recoveredAmount).toEqual({ usd: early!.recovered * 2900 });
    expect(early!.interval!.low).toBeLessThan(early!.rate!);
    expect(early!.vsHoldout!.significant).toBe(true);
    expect(early!.vsHoldout!.pValue).toBeLessThan(0.001);
    expect(early!.daysToRecovery).toEqual({ median: 3, mean: 3 });
    // Its cases still open: the rates lean towards early recoveries until they end.
    expect(x.warnings).toEqual([expect.stringMatching(/^12 cases are still open/)]);
  });
});

describe('npm run cases -- experiments', () => {
  it('prints one table per experiment from the route', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCases(['experiments', '--api', base], {
      env: { API_TOKEN: TOKEN },
      cwd: '/',
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      now: () => Date.now(),
      fetch,
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(
      /^experiment early-2026-12 \(running\): alpha 0\.05, power 0\.8, minimum effect 10\.0 points, \d+ ended cases needed per arm/,
    );
    expect(text).toMatch(/\nholdout +500 +5 +\d+ +\d+\.\d% +\d+\.\d%–\d+\.\d% +baseline/);
    expect(text).toMatch(/\nearly +500 +7 +\d+ +\d+\.\d% +\d+\.\d%–\d+\.\d% +\+\d+\.\d pts +<0\.001 \*/);
  });
});

describe('the dashboard and the metrics', () => {
  it('the dashboard shows the experiment section', async () => {
    const html = await (await fetch(`${base}/dashboard`, { headers: auth })).text();
    expect(html).toContain('<section id="experiments"><h2>Policy experiments</h2>');
    expect(html).toContain('data-figure="exp-early-2026-12-early-cases">500<');
    expect(html).toMatch(/data-figure="exp-early-2026-12-early-p">&lt; 0\.001<\/span> significant/);
  });

  it('/metrics has a gauge per arm', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('dunning_experiment_cases{experiment="early-2026-12",arm="early"} 500');
    expect(text).toContain('dunning_experiment_open_cases{experiment="early-2026-12",arm="holdout"} 5');
    expect(text).toMatch(/dunning_experiment_p_value\{experiment="early-2026-12",arm="early"\} [0-9.e-]+/);
    expect(text).toContain('dunning_experiment_sample_too_small{experiment="early-2026-12",arm="early"} 0');
    expect(text).toMatch(
      /dunning_experiment_recovered_amount_minor_units\{experiment="early-2026-12",arm="early",currency="usd"\} \d+/,
    );
  });
});
