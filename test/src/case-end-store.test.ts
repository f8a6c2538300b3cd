/**
 * The embedded store of case end records (src/experiments/caseEndStores.ts): a write is kept once
 * per case (a retried activity writes once), records survive a reopen (a restart), and the
 * results read them back per experiment. The memory store behaves the same.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseEndRecord, CaseEndStore } from '../../domain/caseEndRecord';
import { caseEndStorePath, memoryCaseEndStore, sqliteCaseEndStore } from '../../src/experiments/caseEndStores';
import { readExperimentResults } from '../../src/experiments/experimentResults';

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

const stores: Array<[string, () => { store: CaseEndStore; reopen?: () => CaseEndStore }]> = [
  [
    'sqlite under DATA_DIR',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'case-ends-'));
      dirs.push(dir);
      const path = caseEndStorePath(join(dir, 'data'));
      return { store: sqliteCaseEndStore(path), reopen: () => sqliteCaseEndStore(path) };
    },
  ],
  ['memory', () => ({ store: memoryCaseEndStore() })],
];

describe.each(stores)('%s', (_name, make) => {
  it('writes a case once, whatever is written again', async () => {
    const { store } = make();
    expect(await store.write(record(1, 'holdout'))).toBe(true);
    // The activity retried (its first completion lost): the same case again, even with other figures.
    expect(await store.write(record(1, 'holdout', { charges: 9 }))).toBe(false);
    expect(await store.ofExperiment('exp-1')).toEqual([record(1, 'holdout')]);
    await store.close();
  });

  it('keeps each experiment’s settings, the last saved winning', async () => {
    const { store, reopen } = make();
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
    const { store, reopen } = make();
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
