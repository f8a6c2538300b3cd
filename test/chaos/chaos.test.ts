/**
 * The short chaos run inside `npm test` (its own vitest project: it starts its own Temporal dev
 * server, sandboxes, worker and API processes): every kind of fault, small counts, about three
 * minutes (up to five on a loaded machine). One test per scenario line, so a failure names its
 * scenario; the figures of every line are printed either way. The full run is `npm run chaos`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runChaos, SCENARIO_NAMES, type ChaosReport } from './run';

describe('chaos (short run)', () => {
  let report: ChaosReport;
  beforeAll(async () => {
    report = await runChaos('short');
    // About three minutes; up to five when a loaded machine makes the cases close late (the settle
    // phase waits while they still close: test/chaos/run.ts).
  }, 330_000);

  // 'JSON logs': every line of every worker and API log parses as one JSON object.
  it.each([...SCENARIO_NAMES, 'whole namespace', 'JSON logs'])('%s: every invariant holds', (name) => {
    const line = report.lines.find((l) => l.startsWith(`chaos: ${name} `));
    expect(line, `no line for ${name} in:\n${report.lines.join('\n')}`).toBeDefined();
    expect(line).toMatch(/ PASS /);
  });

  it('prints the closing line of the contract', () => {
    expect(report.lines.at(-1)).toBe(`chaos: ${report.passed} passed, ${report.failed} failed`);
  });
});
