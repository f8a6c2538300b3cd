/**
 * The edge's checks against seeded fuzzed events, in process (fast; the same deliveries go
 * over HTTP in test/temporal/webhook-fuzz.test.ts): never a throw, and every event taken or
 * refused as the rules of issue #7 say (test/support/fuzzEvents.ts states them per field).
 */
import { describe, expect, it } from 'vitest';
import { interpretStripeEvent } from '../../src/http/stripeEvents';
import { fuzzedDeliveries } from '../support/fuzzEvents';

describe('fuzzed events, in process', () => {
  it.each([101, 202, 303])('seed %i: 2,000 signed bodies, each taken or refused as expected', (seed) => {
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (const d of fuzzedDeliveries(seed, 2000, 0)) {
      let body: unknown;
      try {
        body = JSON.parse(d.payload);
      } catch {
        if (d.expect !== 'not_json') wrong.push(`${d.label}: not JSON, expected ${d.expect}`);
        continue;
      }
      const r = interpretStripeEvent(body);
      const got = r.kind === 'invalid' ? 'quarantined' : 'taken';
      seen.add(d.expect);
      if (got !== d.expect) wrong.push(`${d.label}: ${got}, expected ${d.expect} (${d.payload.slice(0, 200)})`);
      if (r.kind === 'invalid') {
        expect(r.problem.reason.length).toBeLessThanOrEqual(1000);
        expect(r.problem.field.length).toBeLessThanOrEqual(100);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(seen).toEqual(new Set(['quarantined', 'taken']));
  });
});
