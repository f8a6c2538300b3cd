/**
 * Writes one back-test's report files: the JSON of the summaries, the HTML page (table, chart,
 * calibration lines) and the chart alone as a static SVG (docs/backtest.md embeds docs/backtest-2000.svg).
 * Shared by the CLI (backtest/cli.ts) and the run-time benchmark (bench/backtest.ts), so that a
 * measured run leaves the same files as a plain one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MODEL_VERSION } from './cohortModel';
import type { NetworkRules } from './networkRules';
import { htmlReport, recoveryChartSvg, type PolicySummary } from './report';
import type { BacktestResult } from './run';

export interface ReportFiles {
  json: string;
  html: string;
  svg: string;
}

export function writeReports(
  result: BacktestResult,
  summaries: PolicySummary[],
  calibration: string[],
  rules: NetworkRules,
  opts: { cases: number; dir?: string; svgDir?: string },
): ReportFiles {
  const dir = resolve(opts.dir ?? join(process.env.DATA_DIR || '.data', 'backtest'));
  mkdirSync(dir, { recursive: true });
  const stem = `backtest-seed${result.seed}-n${opts.cases}`;
  const json = join(dir, `${stem}.json`);
  writeFileSync(
    json,
    JSON.stringify(
      {
        seed: result.seed,
        cases: opts.cases,
        batch: result.batch,
        startedAt: new Date(result.startedAt).toISOString(),
        wallMs: result.wallMs,
        simulatedDays: result.simulatedMs / 86_400_000,
        drive: result.drive,
        rulesVersion: rules.checkedOn,
        modelVersion: MODEL_VERSION,
        calibration,
        policies: summaries,
      },
      null,
      2,
    ),
  );
  const html = join(dir, `${stem}.html`);
  writeFileSync(html, htmlReport(result, summaries, calibration));
  const svgDir = resolve(opts.svgDir ?? dir);
  mkdirSync(svgDir, { recursive: true });
  const svg = join(svgDir, `backtest-${opts.cases}.svg`);
  writeFileSync(svg, recoveryChartSvg(summaries, `${opts.cases} cases per policy, seed ${result.seed}, model ${MODEL_VERSION}`));
  return { json, html, svg };
}
