/**
 * The dashboard's section on policy experiments: per arm the ended and open cases, recovered
 * count, rate with its 95 % interval, the difference to the holdout and its p-value, recovered
 * amount, charges and emails per case, days to recovery, and the warnings (too small a sample).
 * Every value escaped; figures the browser test reads carry `data-figure` attributes.
 */
import escapeHtml from 'escape-html';
import { formatAmount } from '../../domain/presentation';
import { daysLabel, type ArmResult } from '../../domain/experimentResults';
import type { ExperimentReport } from '../../domain/experimentResults';

const e = (s: unknown) => escapeHtml(String(s ?? ''));
const pct = (x: number | undefined, digits = 1) => (x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | undefined, digits = 2) => (x === undefined ? '–' : x.toFixed(digits));
const fig = (name: string, value: string | number) => `<span data-figure="${e(name)}">${e(value)}</span>`;

function pValue(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function armRow(x: ExperimentReport, a: ArmResult): string {
  const id = `exp-${x.experimentId}-${a.arm}`;
  const diff = a.vsHoldout
    ? `${a.vsHoldout.difference >= 0 ? '+' : ''}${(a.vsHoldout.difference * 100).toFixed(1)} pts`
    : a.arm === 'holdout'
      ? 'baseline'
      : '–';
  const p = a.vsHoldout
    ? `<span class="${a.vsHoldout.significant ? 'sig' : 'muted'}">${fig(`${id}-p`, pValue(a.vsHoldout.pValue))}${a.vsHoldout.significant ? ' significant' : ''}</span>`
    : '';
  const amounts =
    Object.entries(a.recoveredAmount)
      .sort(([c1], [c2]) => c1.localeCompare(c2))
      .map(([cur, v]) => `<span class="amount">${e(formatAmount(v, cur, 'en'))}</span>`)
      .join(' ') || '<span class="muted">none</span>';
  const ci = a.interval ? `${pct(a.interval.low)}–${pct(a.interval.high)}` : '–';
  // The interval as a bar on a 0–100 % scale, the rate as a tick: arms compare at a glance.
  const bar = a.interval
    ? `<span class="ci" title="95% interval ${e(ci)}"><span style="left:${(a.interval.low * 100).toFixed(1)}%;width:${((a.interval.high - a.interval.low) * 100).toFixed(1)}%"></span><i style="left:${((a.rate ?? 0) * 100).toFixed(1)}%"></i></span>`
    : '';
  return `<tr data-arm="${e(a.arm)}"><td>${e(a.arm)}</td><td class="num">${fig(`${id}-cases`, a.cases)}</td><td class="num">${e(a.open ?? '–')}</td>
<td class="num">${fig(`${id}-recovered`, a.recovered)}</td><td class="num">${fig(`${id}-rate`, pct(a.rate))}</td><td>${e(ci)} ${bar}</td>
<td class="num">${e(diff)}</td><td>${p}</td><td>${amounts}</td><td class="num">${e(num(a.chargesPerCase))}</td><td class="num">${e(num(a.emailsPerCase))}</td>
<td class="num">${e(a.daysToRecovery ? `${daysLabel(a.daysToRecovery.median)} (${daysLabel(a.daysToRecovery.mean)})` : '–')}</td></tr>`;
}

function experimentBlock(x: ExperimentReport): string {
  const s = x.settings;
  const warnings = x.warnings.map((w) => `<p class="warn" data-warning>${e(w)}</p>`).join('');
  return `<div class="experiment" data-experiment="${e(x.experimentId)}"><h3>${e(x.experimentId)} ${x.running ? '<span class="state active">running</span>' : '<span class="muted">stopped</span>'}</h3>
${warnings}
<table><thead><tr><th>arm</th><th>ended</th><th>open</th><th>recovered</th><th>rate</th><th>95% interval</th><th>vs holdout</th><th>p-value</th><th>recovered amount</th><th>charges / case</th><th>emails / case</th><th>time to recovery, median (mean)</th></tr></thead>
<tbody>${x.arms.map((a) => armRow(x, a)).join('')}</tbody></table>
<p class="muted definition">Rate = recovered ÷ ended cases of the arm (cancelled ones included). Two-sided two-proportion z-test against the holdout at alpha ${e(s.alpha)};
${e(x.neededPerArm)} ended cases per arm show a difference of ${e((s.minimumEffect * 100).toFixed(1))} points with power ${e(s.power)}. Read the result once that size is reached: stopping at the first small p-value finds differences that are not there.</p></div>`;
}

/** The section; empty when there is no experiment, a line when the results could not be read. */
export function experimentsSection(experiments: ExperimentReport[] | undefined, unavailable?: string): string {
  if (unavailable) return `<section id="experiments"><h2>Policy experiments</h2><p class="warn">${e(unavailable)}</p></section>`;
  if (!experiments?.length) return '';
  return `<section id="experiments"><h2>Policy experiments</h2>${experiments.map(experimentBlock).join('')}</section>`;
}

export const EXPERIMENTS_STYLE = `.ci{display:inline-block;position:relative;width:8rem;height:.7rem;background:#f1f1f1;border-radius:3px;vertical-align:middle}
.ci span{position:absolute;top:0;bottom:0;background:#90caf9;border-radius:3px}.ci i{position:absolute;top:-2px;bottom:-2px;width:2px;background:#0d47a1}
.sig{color:#2e7d32;font-weight:600}.experiment h3{font-size:.95rem;margin:.8rem 0 .3rem}`;
