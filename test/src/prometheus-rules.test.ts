/**
 * deploy/prometheus/alerts.yml with the real promtool (Debian's Prometheus 2.42, from the
 * toolchain): the rules parse (`promtool check rules`), each alert behaves as its unit tests in
 * test/prometheus/alerts.test.yml say (`promtool test rules`), every alert has such a test, and
 * every metric a rule reads is one `/metrics` exposes. The scrape config that `npm run prometheus`
 * writes passes `promtool check config`. test/temporal/prometheus.test.ts fires alerts for real.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { ALERT_RULES_FILE, prometheusConfig } from '../../tools/prometheus/config';
import { ROOT } from '../support/docsCoverage';
import { exposedNames, metricNames } from '../support/exposedMetrics';

const promtool = process.env.PROMTOOL_PATH || findOnPath('promtool') || cachedToolchain().promtool;
const UNIT_TESTS = join(ROOT, 'test/prometheus/alerts.test.yml');
const run = promisify(execFile);

/** Runs promtool; its output and exit code, not a throw. */
async function promtoolRun(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(promtool!, args, { cwd: ROOT });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

export interface AlertRule {
  alert: string;
  expr: string;
}

/**
 * The alerts of a rules file as written here: `- alert: Name`, then `expr:` inline or as a folded
 * block (`>-`, lines indented deeper). The count is checked against promtool's own.
 */
export function readAlertRules(text: string): AlertRule[] {
  const rules: AlertRule[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const alert = /^\s*- alert: (\S+)\s*$/.exec(lines[i]!)?.[1];
    if (!alert) continue;
    for (let j = i + 1; j < lines.length && !/^\s*- (alert|record|name):/.test(lines[j]!); j++) {
      const m = /^(\s*)expr: (.*)$/.exec(lines[j]!);
      if (!m) continue;
      if (m[2] !== '>-' && m[2] !== '|') rules.push({ alert, expr: m[2]! });
      else {
        const body: string[] = [];
        for (let k = j + 1; k < lines.length && (lines[k]!.startsWith(`${m[1]!}  `) || !lines[k]!.trim()); k++)
          body.push(lines[k]!.trim());
        rules.push({ alert, expr: body.join(' ').trim() });
      }
      break;
    }
  }
  return rules;
}

const rules = readAlertRules(readFileSync(ALERT_RULES_FILE, 'utf8'));

describe('reading the rules file', () => {
  it('finds inline and folded expressions', () => {
    const text = [
      '  - name: g',
      '    rules:',
      '      - alert: A',
      '        expr: up == 0',
      '      - alert: B',
      '        expr: >-',
      '          sum(x)',
      '          > 1',
      '        for: 1m',
    ].join('\n');
    expect(readAlertRules(text)).toEqual([
      { alert: 'A', expr: 'up == 0' },
      { alert: 'B', expr: 'sum(x) > 1' },
    ]);
  });
});

describe('the alerts an operator must hear about', () => {
  it('are all there', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'DunningCasesFailed', // cases failing
        'DunningCasesStalled',
        'WebhookServerErrors', // webhook 5xx
        'StripeSmartRetriesOn', // Stripe still retrying
        'PayloadKeyMissing', // undecryptable rows
        'EmailBounceRateHigh', // bounced addresses
        'EmailComplaintReceived',
        'EmailBacklog', // the email backlog
      ]),
    );
  });

  it('read only metrics that /metrics exposes', async () => {
    const exposed = await exposedNames();
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      for (const name of names) expect(exposed.has(name), `${r.alert}: ${name} is not exposed`).toBe(true);
    }
  });

  it('each have a unit test in which they fire', () => {
    const tests = readFileSync(UNIT_TESTS, 'utf8');
    // An alert_rule_test naming the alert with at least one expected alert.
    const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]!));
    for (const r of rules) expect(firing.has(r.alert), `${r.alert} has no test in which it fires`).toBe(true);
  });
});

describe.skipIf(!promtool)('promtool (Debian Prometheus 2.42)', () => {
  it('checks the rules', async () => {
    const { code, out } = await promtoolRun('check', 'rules', ALERT_RULES_FILE);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(code, out).toBe(0);
  });

  it("passes the rules' unit tests", async () => {
    const { code, out } = await promtoolRun('test', 'rules', UNIT_TESTS);
    expect(code, out).toBe(0);
    expect(out).toContain('SUCCESS');
  });

  it('fails a unit test that expects an alert the rules do not raise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    const broken = readFileSync(UNIT_TESTS, 'utf8')
      .replace('../../deploy/prometheus/alerts.yml', ALERT_RULES_FILE)
      .replace(/values: '0 0 0 1 1'\n(\s+- series: 'temporal_workflow_completed)/, "values: '0 0 0 0 0'\n$1");
    writeFileSync(join(dir, 'broken.test.yml'), broken);
    const { code, out } = await promtoolRun('test', 'rules', join(dir, 'broken.test.yml'));
    expect(code).not.toBe(0);
    expect(out).toMatch(/alertname: DunningCasesFailed/);
  });

  it('checks the config `npm run prometheus` writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    writeFileSync(join(dir, 'token'), 'a-token-of-sixteen-chars');
    const file = join(dir, 'prometheus.yml');
    writeFileSync(
      file,
      prometheusConfig({
        targets: [
          { job: 'dunning-api', address: '127.0.0.1:3000' },
          { job: 'dunning-worker', address: '127.0.0.1:9091' },
        ],
        intervalSeconds: 15,
        tokenFile: join(dir, 'token'),
      }),
    );
    const { code, out } = await promtoolRun('check', 'config', file);
    expect(code, out).toBe(0);
    expect(out).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
