/**
 * The layers of the production code, from the bottom: domain/ (pure, deterministic) →
 * workflows/ and activities/ → src/ (the service). No import points up a layer, and no file
 * reaches itself through its imports: in domain/ above all, which the workflows replay. ESLint
 * (eslint.config.mjs, test/lint/boundaries.test.ts) refuses an up-import where it is written;
 * this test reads the whole graph, type-only imports included, so nothing slips past a pattern,
 * and finds cycles, which no pattern can.
 *
 * LAYERS_ROOT points it at another checkout (to show what it refuses in an older one).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CardBudgetWorkflow } from '../../domain/cardBudgetMessages';
import type { cardRetryBudgetWorkflow } from '../../workflows/cardBudget';
import { cycles, importGraph, type ImportEdge } from './importGraph';

const root = process.env.LAYERS_ROOT ?? new URL('../..', import.meta.url).pathname;
const edges = importGraph(root);
const layerOf = (file: string) => file.split('/')[0]!;

/** What each layer may import besides itself; `types` only as types (gone once compiled). */
const MAY_IMPORT: Record<string, { code: string[]; types: string[] }> = {
  domain: { code: [], types: [] },
  // Workflows name their activities' types for proxyActivities, and run none of their code.
  workflows: { code: ['domain'], types: ['activities'] },
  activities: { code: ['domain'], types: [] },
  src: { code: ['domain', 'workflows', 'activities'], types: [] },
};

function refused(e: ImportEdge): boolean {
  const [from, to] = [layerOf(e.from), layerOf(e.to)];
  if (from === to) return false;
  const rule = MAY_IMPORT[from]!;
  return !rule.code.includes(to) && !(e.typeOnly && rule.types.includes(to));
}

describe('layers', () => {
  it('has files to read', () => {
    expect(edges.filter((e) => e.from.startsWith('domain/')).length).toBeGreaterThan(20);
  });

  it('no import points up a layer (nor across, from activities/ to workflows/)', () => {
    const up = edges.filter(refused).map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    expect(up).toEqual([]);
  });

  it('domain/ has no import cycle', () => {
    expect(cycles(edges, (f) => f.startsWith('domain/'))).toEqual([]);
  });

  it('the production code has no import cycle', () => {
    expect(cycles(edges, () => true)).toEqual([]);
  });

  it('the card ledger signature in domain/ is the workflow’s (activities start it by this type)', () => {
    expectTypeOf<typeof cardRetryBudgetWorkflow>().toEqualTypeOf<CardBudgetWorkflow>();
  });

  it('finds a cycle and an up-import where there is one', () => {
    const made: ImportEdge[] = [
      { from: 'domain/a.ts', to: 'domain/b.ts', typeOnly: true },
      { from: 'domain/b.ts', to: 'domain/a.ts', typeOnly: false },
    ];
    expect(cycles(made, () => true)).toEqual([['domain/a.ts', 'domain/b.ts']]);
    expect(refused({ from: 'activities/x.ts', to: 'workflows/y.ts', typeOnly: true })).toBe(true);
    expect(refused({ from: 'activities/x.ts', to: 'src/y.ts', typeOnly: false })).toBe(true);
    expect(refused({ from: 'workflows/x.ts', to: 'activities/index.ts', typeOnly: true })).toBe(false);
    expect(refused({ from: 'workflows/x.ts', to: 'activities/index.ts', typeOnly: false })).toBe(true);
  });
});
