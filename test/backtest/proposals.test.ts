/**
 * The proposed policies are valid policy files (as the service reads them) and keep to what their
 * design says: never more planned retries in a class than the fixed schedule's eight, none for the
 * classes where the same card must not be retried, every retry inside the 14-day case.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, resolvePolicy } from '../../domain/policy';
import { DECLINE_CATEGORIES } from '../../domain/types';
import { parsePolicy } from '../../src/policyFile';

const DIR = join(__dirname, '..', '..', 'policies', 'proposals');

describe('policies/proposals', () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.json'))) {
    it(`${f} is a valid policy file`, () => {
      const r = parsePolicy(JSON.parse(readFileSync(join(DIR, f), 'utf8')));
      expect(r.ok ? [] : r.errors).toEqual([]);
    });
  }

  for (const f of ['principled.json', 'principled-v2.json']) {
    it(`${f}: at most 8 retries per class, none for hard declines, all before the end`, () => {
      const r = parsePolicy(JSON.parse(readFileSync(join(DIR, f), 'utf8')));
      if (!r.ok) throw new Error(r.errors.join('; '));
      for (const category of DECLINE_CATEGORIES) {
        const p = resolvePolicy(r.policy, { category, currency: 'usd', amountDue: 2900 });
        const retries = p.steps.filter((s) => s.action === 'retry');
        if (['payment_method', 'never_retry', 'authentication'].includes(category)) expect(retries, category).toEqual([]);
        else expect(retries.length, category).toBeLessThanOrEqual(8);
        for (const s of retries) expect(parseDuration(s.at)).toBeLessThan(p.endAfterMs);
        expect(p.steps.filter((s) => s.action !== 'retry').map((s) => s.at)).toEqual(['0', '2d', '5d', '9d', '12d']);
      }
    });
  }
});
