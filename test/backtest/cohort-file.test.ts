/**
 * Cohort files: the shipped base reproduces the model that was frozen in code (cohort-2, at
 * v1.0.0), every shipped variant parses and differs from the base only where it says, and a bad
 * file gets one clear message per problem naming the file and the field.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASE_COHORT_PATH, loadCohort, parseCohort } from '../../backtest/cohortFile';
import * as model from '../../backtest/cohortModel';

const DIR = join(__dirname, '..', '..', 'backtest', 'cohorts');
const read = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'));
const baseJson = () =>
  read(BASE_COHORT_PATH) as { fields: Record<string, { value: unknown; source: string; grade: string }> } & Record<
    string,
    unknown
  >;

describe('the base cohort file', () => {
  it('gives exactly what the constants in backtest/cohortModel.ts gave at v1.0.0 (cohort-2)', () => {
    // The fingerprint was taken with the same draws from the code constants at 8bfda0e, before
    // the numbers moved to base.json: 5,000 cases, and each behaviour function on a grid.
    const m = loadCohort().params;
    const T0 = Date.UTC(2026, 10, 26, 15, 0);
    const DAY = 86_400_000;
    const cohort = model.generateCohort(m, 7, 5000, T0);
    const out: unknown[] = [cohort];
    for (const c of cohort.slice(0, 500)) {
      for (let d = 0; d <= 30; d += 0.5) out.push(model.retrySuccessChance(m, c, c.failedAt + d * DAY));
      for (let k = 0; k < 6; k++)
        out.push(
          model.cardUpdateAfterEmail(m, 7, c, 'reminder', k, c.failedAt + k * 3 * DAY) ?? null,
          model.retrySucceeds(m, 7, c, c.failedAt + k * DAY, k),
          model.cardDataSucceeds(m, 7, c, k),
          model.newCardSucceeds(m, 7, c, k),
        );
    }
    for (let d = 0; d < 40; d += 0.25) out.push(model.nsfSuccessAfter(m, d * DAY), model.macForWait(d * DAY));
    for (let b = 0; b < 30; b++) out.push(model.batchFailsAt(model.cohortEpoch(T0), 7, b));
    expect(createHash('sha256').update(JSON.stringify(out)).digest('hex')).toBe(
      'c477453b60e011e6609caa0104bb878b6e40e500adde4aa46555dd353b157b20',
    );
    expect(loadCohort().name).toBe('cohort-2');
  });

  it('gives every field a source and a grade', () => {
    for (const [k, f] of Object.entries(baseJson().fields)) {
      expect(f, k).toHaveProperty('source');
      expect(['P', 'S', 'A'], k).toContain(f.grade);
    }
  });
});

describe('the shipped variants', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'base.json');

  it('are five or more, each extending the base with its reason, named under it', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const raw = read(join(DIR, f)) as { extends?: string; reason?: string; fields: Record<string, unknown> };
      expect(raw.extends, f).toBe('base.json');
      expect(raw.reason?.length, f).toBeGreaterThan(50);
      const c = loadCohort(join(DIR, f));
      expect(c.name).toBe(`cohort-2/${f.replace(/\.json$/, '')}`);
      // Only the fields the variant names differ from the base.
      const base = loadCohort().params as unknown as Record<string, unknown>;
      const mine = c.params as unknown as Record<string, unknown>;
      for (const k of Object.keys(base)) {
        if (k in raw.fields) expect(mine[k], `${f} ${k}`).not.toEqual(base[k]);
        else expect(mine[k], `${f} ${k}`).toEqual(base[k]);
      }
    }
  });

  it('cover the issue: decline mix at both ends, payday share, card updates low and high, first retry 25% and 35%', () => {
    const p = (f: string) => loadCohort(join(DIR, f)).params;
    expect(p('mix-nsf-high.json').causeShares.insufficient_funds).toBe(0.35);
    expect(p('mix-soft-high.json').causeShares.generic_decline + p('mix-soft-high.json').causeShares.do_not_honor).toBeCloseTo(
      0.7,
      9,
    );
    expect(p('pay-biweekly.json').payFrequencyShares.biweekly).toBeGreaterThan(0.5);
    expect(p('card-update-low.json').emailRecoveryScale).toBeLessThan(0.5);
    expect(p('card-update-high.json').emailRecoveryScale).toBeGreaterThan(0.5);
    expect(p('first-retry-25.json').clearing.generic_decline.clears).toBeLessThan(0.6);
    expect(p('first-retry-35.json').clearing.generic_decline.clears).toBeGreaterThan(0.6);
  });
});

describe('a bad cohort file', () => {
  const parse = (json: unknown, readBase: (p: string) => unknown = () => baseJson()) => parseCohort(json, 'x.json', readBase);
  const errors = (json: unknown, readBase?: (p: string) => unknown) => {
    const r = parse(json, readBase);
    if (r.ok) throw new Error('expected errors');
    return r.errors;
  };

  it('says which shares do not add up to 1, and names file and field', () => {
    const j = baseJson();
    (j.fields.fundingShares!.value as Record<string, number>).credit = 0.7;
    expect(errors(j)).toEqual([
      'x.json: fields.fundingShares.value: shares must add up to 1 (they add up to 1.0899999999999999)',
    ]);
  });

  it('says which field is missing, unknown, of the wrong type, or without a source or grade', () => {
    const j = baseJson();
    delete j.fields.amount;
    (j.fields as Record<string, unknown>).amounts = { value: 1, source: 's', grade: 'A' };
    (j.fields.newCardSuccess as Record<string, unknown>).value = 1.5;
    (j.fields.brandShares as Record<string, unknown>).grade = 'X';
    expect(errors(j)).toEqual([
      "x.json: fields.brandShares.grade: must be 'P' (primary), 'S' (secondary) or 'A' (assumption)",
      expect.stringMatching(/^x\.json: fields\.amounts: no such field \(fields: fundingShares, /),
    ]);
    delete (j.fields as Record<string, unknown>).amounts;
    (j.fields.brandShares as Record<string, unknown>).grade = 'A';
    expect(errors(j)).toEqual([
      'x.json: fields.amount: missing',
      'x.json: fields.newCardSuccess.value: must be a share from 0 to 1',
    ]);
  });

  it('refuses a variant without a reason, a base that cannot be read, and a cycle', () => {
    const variant = { name: 'v', description: 'd', extends: 'base.json', fields: {} };
    expect(errors(variant)).toEqual(['x.json: reason: a variant says why its values were chosen']);
    expect(errors({ ...variant, fields: { newCardSuccess: { value: 1, source: 's', grade: 'Q' } } })).toEqual([
      'x.json: reason: a variant says why its values were chosen',
      "x.json: fields.newCardSuccess.grade: must be 'P' (primary), 'S' (secondary) or 'A' (assumption)",
    ]);
    expect(
      errors({ ...variant, reason: 'r' }, () => {
        throw new Error('ENOENT');
      })[0],
    ).toMatch(/^x\.json: extends: cannot read .*base\.json: ENOENT$/);
    expect(errors({ ...variant, reason: 'r', extends: 'x.json' })[0]).toMatch(/leads back to this file \(a cycle\)/);
  });

  it('lets a variant replace a field and keeps the rest of the base', () => {
    const r = parse({
      name: 'v',
      description: 'd',
      extends: 'base.json',
      reason: 'r',
      fields: { emailRecoveryScale: { value: 0.1, source: 's', grade: 'A' } },
    });
    expect(r.ok && r.cohort.name).toBe('cohort-2/v');
    expect(r.ok && r.cohort.params.emailRecoveryScale).toBe(0.1);
    expect(r.ok && r.cohort.params.newCardSuccess).toBe(0.95);
  });

  it('loadCohort throws one error listing the problems, naming the file', () => {
    expect(() => loadCohort('/nonexistent/c.json')).toThrow(/^\/nonexistent\/c\.json: ENOENT/);
  });
});
