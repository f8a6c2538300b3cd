/** The bench's one table: phase, what, measured, ratio, target. */
export type Row = [phase: string, what: string, measured: string, ratio: number | string, target: string];

const HEADER: Row = ['phase', 'what', 'measured', 'ratio', 'target'];

export function formatTable(rows: readonly Row[]): string {
  const all = [HEADER, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? (Number.isNaN(c) ? '-' : c.toFixed(2)) : c)));
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(all[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}
