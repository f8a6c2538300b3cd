/**
 * The stores of case end records (src/experiments/caseEndStores.ts, postgresCaseEndStore.ts): the
 * same contract over memory, the embedded SQLite file and a real PostgreSQL server (a throwaway
 * one, test/support/throwawayPostgres.ts), so they cannot drift: a write is kept once per case (a
 * retried activity writes once), records survive a reopen (a restart), and the results read them
 * back per experiment. Then what only PostgreSQL has: a server that is down, processes that share
 * it, the pool closed on stop, the password kept out of what is logged.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CaseEndRecord, CaseEndStore } from '../../domain/caseEndRecord';
import { recordCaseEnd } from '../../activities/caseEnd';
import { caseEndStorePath, memoryCaseEndStore, sqliteCaseEndStore } from '../../src/experiments/caseEndStores';
import { describeDatabaseUrl, isPostgresUnreachable, postgresCaseEndStore } from '../../src/experiments/postgresCaseEndStore';
import { readExperimentResults } from '../../src/experiments/experimentResults';
import { noPostgresReason, startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwawayPostgres';

const record = (n: number, arm: string | undefined, over: Partial<CaseEndRecord> = {}): CaseEndRecord => ({
  caseId: `dunning-in_${n}`,
  invoiceId: `in_${n}`,
  customerId: `cus_${n}`,
  ...(arm ? { experiment: { experimentId: 'exp-1', arm } } : {}),
  state: 'recovered',
  outcome: 'retry_succeeded',
  amountDue: 1000,
  currency: 'usd',
  recoveredAmount: 1000,
  charges: 1,
  emails: 2,
  startedAt: '2026-12-01T00:00:00.000Z',
  endedAt: `2026-12-0${(n % 8) + 2}T00:00:00.000Z`,
  daysToRecovery: 1,
  ...over,
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// One server for the file, a fresh database per test: each starts empty, as a new file does.
let server: ThrowawayPostgres | undefined;
const noPostgres = noPostgresReason();
beforeAll(async () => {
  if (!noPostgres) server = await startThrowawayPostgres();
});
afterAll(async () => {
  await server?.destroy();
});
let databases = 0;
const freshDatabase = () => server!.createDatabase(`case_ends_${++databases}`);

type PgStore = ReturnType<typeof postgresCaseEndStore>;
type Made = { store: CaseEndStore; reopen?: () => CaseEndStore };
const stores: Array<[string, () => Promise<Made>]> = [
  [
    'sqlite under DATA_DIR',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'case-ends-'));
      dirs.push(dir);
      const path = caseEndStorePath(join(dir, 'data'));
      return { store: sqliteCaseEndStore(path), reopen: () => sqliteCaseEndStore(path) };
    },
  ],
  ['memory', async () => ({ store: memoryCaseEndStore() })],
  [
    'postgres',
    async () => {
      const url = await freshDatabase();
      return { store: postgresCaseEndStore(url), reopen: () => postgresCaseEndStore(url) };
    },
  ],
];

describe.each(stores)('%s', (name, make) => {
  beforeEach((ctx) => {
    if (name === 'postgres' && noPostgres) ctx.skip(noPostgres);
  });

  it('writes a case once, whatever is written again', async () => {
    const { store } = await make();
    expect(await store.write(record(1, 'holdout'))).toBe(true);
    // The activity retried (its first completion lost): the same case again, even with other figures.
    expect(await store.write(record(1, 'holdout', { charges: 9 }))).toBe(false);
    expect(await store.ofExperiment('exp-1')).toEqual([record(1, 'holdout')]);
    await store.close();
  });

  it('keeps each experiment’s settings, the last saved winning', async () => {
    const { store, reopen } = await make();
    expect(await store.experimentSettings('exp-1')).toBeUndefined();
    await store.saveExperiment('exp-1', { minimumEffect: 0.1, alpha: 0.05, power: 0.8 });
    await store.saveExperiment('exp-1', { minimumEffect: 0.3, alpha: 0.01, power: 0.9 });
    expect(await store.experimentSettings('exp-1')).toEqual({ minimumEffect: 0.3, alpha: 0.01, power: 0.9 });
    await store.close();
    if (reopen) {
      const again = reopen();
      expect(await again.experimentSettings('exp-1')).toEqual({ minimumEffect: 0.3, alpha: 0.01, power: 0.9 });
      await again.close();
    }
  });

  it('lists records per experiment and the experiments that have any', async () => {
    const { store, reopen } = await make();
    await store.write(record(1, 'holdout'));
    await store.write(record(2, 'early', { state: 'exhausted', recoveredAmount: 0, daysToRecovery: undefined }));
    await store.write(record(3, undefined));
    await store.write({
      ...record(4, 'holdout'),
      experiment: { experimentId: 'exp-0', arm: 'holdout' },
      endedAt: '2026-11-01T00:00:00.000Z',
    });
    expect(await store.experimentIds()).toEqual(['exp-0', 'exp-1']);
    expect((await store.ofExperiment('exp-1')).map((r) => r.caseId)).toEqual(['dunning-in_1', 'dunning-in_2']);
    if (reopen) {
      await store.close();
      const again = reopen();
      expect((await again.ofExperiment('exp-1')).map((r) => r.caseId)).toEqual(['dunning-in_1', 'dunning-in_2']);
      expect(await again.write(record(1, 'holdout'))).toBe(false);
      await again.close();
    } else await store.close();
  });
  it('reads in the order of the end, then the case id byte by byte (Stripe ids mix cases)', async () => {
    const { store } = await make();
    const at = '2026-12-03T00:00:00.000Z';
    for (const id of ['in_b', 'in_B', 'in_a', 'in_A'])
      await store.write({ ...record(1, 'holdout'), caseId: `dunning-${id}`, invoiceId: id, endedAt: at });
    await store.write({ ...record(2, 'holdout'), endedAt: '2026-12-02T23:59:59.999Z' });
    expect((await store.ofExperiment('exp-1')).map((r) => r.caseId)).toEqual([
      'dunning-in_2',
      'dunning-in_A',
      'dunning-in_B',
      'dunning-in_a',
      'dunning-in_b',
    ]);
    await store.close();
  });

  it('gives a record back as written, fields absent stay absent', async () => {
    const { store } = await make();
    const lost = record(7, 'early', {
      state: 'exhausted',
      outcome: 'policy_exhausted',
      recoveredAmount: 0,
      daysToRecovery: undefined,
      amountDue: 123_456_789,
      currency: 'jpy',
    });
    delete lost.daysToRecovery;
    const won = record(8, 'early', { daysToRecovery: 2.718281828459045, endedAt: '2026-12-10T00:00:00.000Z' });
    await store.write(lost);
    await store.write(won);
    const back = await store.ofExperiment('exp-1');
    expect(back).toEqual([lost, won]);
    expect(Object.keys(back[0]!)).not.toContain('daysToRecovery');
    await store.close();
  });
});

describe('the SQLite store, opened only when needed', () => {
  it('creates no file until something is written: DATA_DIR stays empty without an experiment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'case-ends-'));
    dirs.push(dir);
    const path = caseEndStorePath(join(dir, 'data'));
    const store = sqliteCaseEndStore(path);
    expect(await store.ofExperiment('exp-1')).toEqual([]);
    expect(await store.experimentIds()).toEqual([]);
    expect(await store.experimentSettings('exp-1')).toBeUndefined();
    await store.close();
    expect(existsSync(join(dir, 'data'))).toBe(false);
    const writer = sqliteCaseEndStore(path);
    expect(await writer.write(record(1, 'holdout'))).toBe(true);
    // Another process (the API) reads what the worker wrote.
    const reader = sqliteCaseEndStore(path);
    expect((await reader.ofExperiment('exp-1')).map((r) => r.caseId)).toEqual(['dunning-in_1']);
    await writer.close();
    await reader.close();
  });
});

describe('readExperimentResults', () => {
  it('shows the running experiment first, before any case ended, then the stopped ones with records', async () => {
    const store = memoryCaseEndStore();
    await store.write({ ...record(4, 'holdout'), experiment: { experimentId: 'exp-0', arm: 'holdout' } });
    await store.write({ ...record(5, 'holdout'), experiment: { experimentId: 'exp-00', arm: 'holdout' } });
    await store.saveExperiment('exp-0', { minimumEffect: 0.2, alpha: 0.1, power: 0.9 });
    const results = await readExperimentResults({
      store,
      experiment: {
        plan: {
          id: 'exp-1',
          arms: [
            { name: 'holdout', weight: 1 },
            { name: 'early', weight: 1 },
          ],
        },
        policies: {},
        settings: { minimumEffect: 0.1, alpha: 0.05, power: 0.8 },
      },
      countOpen: async (id, arm) => (id === 'exp-1' && arm === 'early' ? 3 : 0),
    });
    expect(results.map((r) => [r.experimentId, r.running, r.arms.map((a) => [a.arm, a.cases, a.open])])).toEqual([
      [
        'exp-1',
        true,
        [
          ['holdout', 0, 0],
          ['early', 0, 3],
        ],
      ],
      ['exp-0', false, [['holdout', 1, 0]]],
      ['exp-00', false, [['holdout', 1, 0]]],
    ]);
    expect(results.map((r) => r.settings)).toEqual([
      { minimumEffect: 0.1, alpha: 0.05, power: 0.8 }, // the running one's, from its file
      { minimumEffect: 0.2, alpha: 0.1, power: 0.9 }, // a stopped one's, as it last ran
      { minimumEffect: 0.05, alpha: 0.05, power: 0.8 }, // unknown: the defaults
    ]);
  });
});

describe.skipIf(noPostgres)('the PostgreSQL store (CASE_END_DATABASE_URL)', () => {
  it('fails while the server is down, so the activity fails and Temporal retries it; loses nothing once it is back', async () => {
    const url = await freshDatabase();
    const warnings: string[] = [];
    const warn = (msg: string, meta: Record<string, unknown>) => warnings.push(`${msg} ${JSON.stringify(meta)}`);
    const worker = postgresCaseEndStore(url, { warn });
    expect(await recordCaseEnd(worker, record(1, 'holdout'))).toEqual({ written: true });

    await server!.stopServer();
    const failed = await recordCaseEnd(worker, record(2, 'holdout')).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Thrown, not swallowed: the activity fails, and the workflow's retry policy tries again.
    expect(failed).toBeInstanceOf(Error);
    expect(isPostgresUnreachable(failed)).toBe(true);
    // A store first used while the server is down (an API started then) fails the same way.
    const api = postgresCaseEndStore(url, { warn });
    await expect(api.ofExperiment('exp-1')).rejects.toSatisfy(isPostgresUnreachable);

    await server!.start();
    // The retry writes it; a retry of a write that had landed writes nothing twice.
    expect(await recordCaseEnd(worker, record(2, 'holdout'))).toEqual({ written: true });
    expect(await recordCaseEnd(worker, record(1, 'holdout'))).toEqual({ written: false });
    expect((await api.ofExperiment('exp-1')).map((r) => r.caseId)).toEqual(['dunning-in_1', 'dunning-in_2']);
    await Promise.all([worker.close(), api.close()]);
    // What it logged about the lost connections names the database, never the password.
    expect(warnings.join('\n')).not.toContain(server!.password);
  });

  it('serves processes on other machines: several start at once on an empty database (the schema made once), one writes, others read', async () => {
    const url = await freshDatabase();
    const processes = [0, 1, 2, 3].map(() => postgresCaseEndStore(url));
    await Promise.all(processes.map((p) => p.ready()));
    const [worker, api, otherWorker] = processes as [PgStore, PgStore, PgStore];
    // Two workers race on the same case (a retried activity on another worker): one row.
    const wrote = await Promise.all([worker.write(record(1, 'holdout')), otherWorker.write(record(1, 'holdout'))]);
    expect(wrote.sort()).toEqual([false, true]);
    await worker.saveExperiment('exp-1', { minimumEffect: 0.1, alpha: 0.05, power: 0.8 });
    expect(await api.experimentSettings('exp-1')).toEqual({ minimumEffect: 0.1, alpha: 0.05, power: 0.8 });
    expect(await api.experimentIds()).toEqual(['exp-1']);
    await Promise.all(processes.map((p) => p.close()));
  });

  it('closes its pool on stop: no connection left on the server', async () => {
    const url = await freshDatabase();
    const store = postgresCaseEndStore(url);
    await Promise.all([1, 2, 3].map((n) => store.write(record(n, 'holdout'))));
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    const open = async () =>
      Number(
        (
          await admin.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'dunning-case-ends' AND datname = $1",
            [new URL(url).pathname.slice(1)],
          )
        ).rows[0].n,
      );
    try {
      expect(await open()).toBeGreaterThan(0);
      await store.close();
      await store.close(); // stopping twice is harmless
      for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await open()).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('a refusing database (wrong password, no such database) is not "unreachable": the start stops; no message holds the password', async () => {
    const wrong = server!.url.replace(encodeURIComponent(server!.password), 'not-the-password');
    const refused = await postgresCaseEndStore(wrong)
      .ready()
      .catch((err: unknown) => err as Error);
    expect(refused).toBeInstanceOf(Error);
    expect(isPostgresUnreachable(refused)).toBe(false);
    const missing = postgresCaseEndStore(server!.urlOf('no_such_db'));
    const noDb = await missing.ready().catch((err: unknown) => err as Error);
    expect(noDb).toBeInstanceOf(Error);
    expect(isPostgresUnreachable(noDb)).toBe(false);
    await missing.close();
    for (const err of [refused, noDb]) {
      const said = `${(err as Error).message} ${(err as Error).stack}`;
      expect(said).not.toContain('not-the-password');
      expect(said).not.toContain(server!.password);
    }
    expect(describeDatabaseUrl(server!.url)).toBe(`postgres://dunning@127.0.0.1:${server!.port}/postgres`);
  });

  it('the start checks it: a process given a refusing database stops, naming the variable and the database, never the password', async () => {
    const wrongPassword = `wrong-${server!.password}`;
    const url = server!.url.replace(encodeURIComponent(server!.password), encodeURIComponent(wrongPassword));
    const dir = mkdtempSync(join(tmpdir(), 'case-ends-start-'));
    dirs.push(dir);
    // The API alone: no dev server, no sandboxes; the store is checked before it listens or reaches Temporal.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'api'], {
      env: {
        ...process.env,
        DATA_DIR: dir,
        PORT: '0',
        TEMPORAL_ADDRESS: '127.0.0.1:9',
        STRIPE_API_BASE: 'http://127.0.0.1:9',
        CASE_END_DATABASE_URL: url,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const said = r.stdout + r.stderr;
    expect(r.status, said).toBe(1);
    expect(said).toContain(
      `CASE_END_DATABASE_URL (postgres://dunning@127.0.0.1:${server!.port}/postgres): password authentication failed`,
    );
    expect(said).not.toContain(wrongPassword);
    expect(said).not.toContain(encodeURIComponent(wrongPassword));
  });
});

describe('describeDatabaseUrl', () => {
  it('keeps the user, host, port and database; drops the password and the query', () => {
    expect(describeDatabaseUrl('postgresql://app:s3cr%40t@db.internal:6432/dunning?sslmode=require&password=x')).toBe(
      'postgresql://app@db.internal:6432/dunning',
    );
    expect(describeDatabaseUrl('postgres://db/dunning')).toBe('postgres://db/dunning');
    expect(describeDatabaseUrl('not a url s3cret')).not.toContain('s3cret');
  });
});
