/**
 * Visibility lists decoded row by row (src/temporal/visibilityRows.ts): a row whose memo is under a
 * key the client does not have is returned flagged, with its search attributes, and counted; the
 * rows after it (on the same page and the next) are read as usual.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DunningCustomerId, DunningInvoiceId, DunningState } from '../../domain/searchAttributes';
import { undecryptableRegistry } from '../../src/metrics';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import { listRows } from '../../src/temporal/visibilityRows';
import { visibilityStub, type StubRow } from '../support/visibilityStub';

const oldKey = { id: 'old', key: randomBytes(32) };
const newKey = { id: 'new', key: randomBytes(32) };

const row = (n: number, keys: (typeof oldKey)[]): StubRow => ({
  workflowId: `dunning-in_${n}`,
  startTime: new Date('2026-12-01T00:00:00Z'),
  searchAttributes: [
    { key: DunningInvoiceId, value: `in_${n}` },
    { key: DunningCustomerId, value: `cus_${n}` },
    { key: DunningState, value: 'active' },
  ],
  memo: { subscriptionId: `sub_${n}` },
  memoConverter: encryptingDataConverter(keys),
});

const counted = async (list: string) =>
  (await undecryptableRegistry.getSingleMetric('dunning_undecryptable_rows_total')!.get()).values.find(
    (v) => v.labels.list === list,
  )?.value ?? 0;

describe('listRows', () => {
  it('flags a row under a removed key, keeps its search attributes, counts it, and reads every other row', async () => {
    const client = visibilityStub([row(1, [newKey]), row(2, [oldKey]), row(3, [newKey])], {
      dataConverter: encryptingDataConverter([newKey]),
      pageSize: 2,
    });
    const before = await counted('test');
    const rows = [];
    for await (const r of listRows(client, { query: 'q', list: 'test' })) rows.push(r);
    expect(rows.map((r) => [r.workflowId, r.memo?.subscriptionId, r.undecryptable])).toEqual([
      ['dunning-in_1', 'sub_1', undefined],
      ['dunning-in_2', undefined, true],
      ['dunning-in_3', 'sub_3', undefined],
    ]);
    expect(rows[1]!.typedSearchAttributes.get(DunningState)).toBe('active');
    expect(rows[1]!.typedSearchAttributes.get(DunningInvoiceId)).toBe('in_2');
    expect(rows[1]!.decodeError).toMatch(/key id 'old'.*not in PAYLOAD_ENCRYPTION_KEYS/);
    expect((await counted('test')) - before).toBe(1);
  });

  it('with the old key kept after the new one, every row reads', async () => {
    const client = visibilityStub([row(1, [oldKey]), row(2, [newKey, oldKey])], {
      dataConverter: encryptingDataConverter([newKey, oldKey]),
    });
    const rows = [];
    for await (const r of listRows(client, { query: 'q', list: 'test' })) rows.push(r);
    expect(rows.map((r) => [r.memo?.subscriptionId, r.undecryptable])).toEqual([
      ['sub_1', undefined],
      ['sub_2', undefined],
    ]);
  });
});
