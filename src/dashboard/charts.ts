/**
 * The dashboard's charts as inline SVG strings: no script, no CDN, so the page works offline and
 * under a strict Content-Security-Policy. Every text is escaped; every chart has a <title> and
 * an aria-label saying in words what it shows.
 */
import escapeHtml from 'escape-html';

const RECOVERED = '#2e7d32';
const EXHAUSTED = '#c62828';
const NEUTRAL = '#1565c0';

export interface OutcomeBar {
  label: string;
  recovered: number;
  exhausted: number;
}

/**
 * One horizontal bar per row, green for recovered and red for exhausted, the rate at its end:
 * which decline categories (or steps) win money back, at a glance.
 */
export function outcomeBars(title: string, rows: readonly OutcomeBar[]): string {
  if (rows.length === 0) return '';
  const labelW = 150;
  const barW = 300;
  const rowH = 26;
  const width = labelW + barW + 70;
  const height = rows.length * rowH + 8;
  const max = Math.max(...rows.map((r) => r.recovered + r.exhausted), 1);
  const bars = rows
    .map((r, i) => {
      const y = 4 + i * rowH;
      const won = (r.recovered / max) * barW;
      const lost = (r.exhausted / max) * barW;
      const total = r.recovered + r.exhausted;
      const rate = total ? `${Math.round((r.recovered / total) * 100)}%` : '–';
      return (
        `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(r.label)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${won.toFixed(1)}" height="${rowH - 8}" fill="${RECOVERED}"><title>${r.recovered} recovered</title></rect>` +
        `<rect x="${(labelW + won).toFixed(1)}" y="${y + 3}" width="${lost.toFixed(1)}" height="${rowH - 8}" fill="${EXHAUSTED}"><title>${r.exhausted} exhausted</title></rect>` +
        `<text x="${(labelW + won + lost + 6).toFixed(1)}" y="${y + 16}">${escapeHtml(rate)}</text>`
      );
    })
    .join('');
  const summary = rows.map((r) => `${r.label}: ${r.recovered} recovered, ${r.exhausted} exhausted`).join('; ');
  return svg(width, height, title, summary, bars);
}

/** Columns per hour from now: when the next 24 hours' steps fall. */
export function hourColumns(title: string, byHour: readonly number[]): string {
  const colW = 18;
  const plotH = 80;
  const width = byHour.length * colW + 40;
  const height = plotH + 30;
  const max = Math.max(...byHour, 1);
  const cols = byHour
    .map((n, h) => {
      const hgt = (n / max) * plotH;
      const x = 30 + h * colW;
      const tick = h % 6 === 0 ? `<text x="${x}" y="${plotH + 24}">+${h}h</text>` : '';
      return `<rect x="${x}" y="${(plotH - hgt + 4).toFixed(1)}" width="${colW - 4}" height="${hgt.toFixed(1)}" fill="${NEUTRAL}"><title>${n} in hour ${h + 1}</title></rect>${tick}`;
    })
    .join('');
  const axis = `<line x1="28" y1="${plotH + 4}" x2="${width - 8}" y2="${plotH + 4}" stroke="#888"/><text x="0" y="14">${max}</text>`;
  const summary = `${byHour.reduce((a, b) => a + b, 0)} steps in the next 24 hours, by hour`;
  return svg(width, height, title, summary, axis + cols);
}

function svg(width: number, height: number, title: string, summary: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `aria-label="${escapeHtml(`${title}: ${summary}`)}" font-family="system-ui, sans-serif" font-size="12">` +
    `<title>${escapeHtml(title)}</title>${body}</svg>`
  );
}
