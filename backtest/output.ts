/**
 * Writes one back-test's report files: the JSON of the summaries, the HTML page (table, chart,
 * calibration lines) and the chart alone as a static SVG (docs/backtest.md embeds docs/backtest-2000.svg).
 * Shared by the CLI (backtest/cli.ts) and the run-time benchmark (bench/backtest.ts), so that a
 * measured run leaves the same files as a plain one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PolicyAcrossSeeds } from './acrossSeeds';
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
  const stem = `backtest-${slug(result.cohort)}seed${result.seed}-n${opts.cases}`;
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
        modelVersion: result.cohort,
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
  const svg = join(svgDir, `backtest-${slug(result.cohort)}${opts.cases}.svg`);
  writeFileSync(svg, recoveryChartSvg(summaries, `${opts.cases} cases per policy, seed ${result.seed}, model ${result.cohort}`));
  return { json, html, svg };
}

/** File names of the base cohort stay as they were; a variant's carry its name. */
const slug = (cohort: string) => (cohort.includes('/') ? `${cohort.replace(/[^A-Za-z0-9.-]+/g, '-')}-` : '');

/** The table across seeds as JSON, and its chart: recovered % by day, the mean over the seeds. */
export function writeAcrossSeeds(
  cohort: string,
  seeds: number[],
  cases: number,
  across: PolicyAcrossSeeds[],
  opts: { dir?: string; svgDir?: string },
): { json: string; svg: string } {
  const dir = resolve(opts.dir ?? join(process.env.DATA_DIR || '.data', 'backtest'));
  mkdirSync(dir, { recursive: true });
  const stem = `backtest-${slug(cohort)}seeds${seeds.join('_')}-n${cases}`;
  const json = join(dir, `${stem}.json`);
  writeFileSync(json, JSON.stringify({ modelVersion: cohort, seeds, cases, policies: across }, null, 2));
  const svgDir = resolve(opts.svgDir ?? dir);
  mkdirSync(svgDir, { recursive: true });
  const svg = join(svgDir, `${stem}.svg`);
  const asSummaries = across.map((p) => ({
    name: p.name,
    recoveryRate: p.recoveredShare.mean,
    cumulativeByDay: p.cumulativeByDay,
  }));
  writeFileSync(svg, recoveryChartSvg(asSummaries, `${cohort}: ${cases} cases per policy, mean of seeds ${seeds.join(', ')}`));
  return { json, svg };
}
