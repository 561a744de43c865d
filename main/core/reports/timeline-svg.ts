// The report's timeline: one row per resource, one bar per step from its start to its end, coloured
// by outcome, with failed steps marked and retries counted. Scales and ticks come from d3-scale;
// the SVG is written as text in main, so the PDF needs no script and no network to draw it.
// It stays light at 1,000 resources: the bars of one outcome are one <path> (a few elements per
// chart instead of one per step, each with its own layout object), and it is as wide as an A4 page's
// printable width, so Chromium never lays the document out a second time to shrink it onto the page.

import { scaleBand, scaleUtc } from 'd3-scale';
import type { JobStepView } from '../../../shared/domain';
import { escapeHtml } from './escape';

export interface TimelineRow {
  label: string;
  steps: readonly JobStepView[];
}

export interface TimelineOptions {
  /** Job start and end (end: now for a running job). */
  from: number;
  to: number;
  /** CSS px; the default fits A4 with 12 mm side margins (186 mm = 703 px). */
  width?: number;
  /** Writes an axis tick's time in the report's zone. */
  tickLabel: (t: Date) => string;
}

/** A4 (210 mm) less 12 mm margins each side is 186 mm, 703 CSS px: a chart this wide never overflows. */
export const PRINTABLE_WIDTH = 700;

const COLORS: Record<string, string> = {
  succeeded: '#2f7d4f',
  failed: '#b42318',
  running: '#1d5fbf',
  pending: '#8a94a6',
  skipped: '#b8bfcc',
  cancelled: '#8a6d1d',
};
const OTHER = '#8a94a6';

/** One SVG for a slice of rows; the report splits long jobs into page-sized charts. */
export function timelineSvg(rows: readonly TimelineRow[], o: TimelineOptions): string {
  const width = o.width ?? PRINTABLE_WIDTH;
  const labelWidth = 180;
  const rowHeight = 14;
  const top = 22;
  const height = top + rows.length * rowHeight + 6;
  const end = Math.max(o.to, o.from + 200);
  const x = scaleUtc().domain([new Date(o.from), new Date(end)]).range([labelWidth, width - 22]);
  const y = scaleBand<number>()
    .domain(rows.map((_, i) => i))
    .range([top, top + rows.length * rowHeight])
    .paddingInner(0.25);
  const bh = y.bandwidth();
  // Bars by outcome (and stop-replication steps apart, drawn lighter): one path each.
  const bars = new Map<string, { status: string; stop: boolean; d: string[] }>();
  const crosses: string[] = [];
  const labels: string[] = [];
  const retries: string[] = [];
  const fmt = (n: number) => n.toFixed(1);
  rows.forEach((row, i) => {
    const ry = y(i) ?? 0;
    labels.push(`<text x="${labelWidth - 6}" y="${fmt(ry + bh - 2)}">${escapeHtml(truncate(row.label, 34))}</text>`);
    for (const s of row.steps) {
      if (!s.startedAt) continue;
      const x0 = x(new Date(s.startedAt));
      const x1 = Math.max(x0 + 1.5, x(new Date(s.finishedAt ? Date.parse(s.finishedAt) : end)));
      const stop = s.action === 'stopReplication';
      const key = `${s.status}${stop ? ':stop' : ''}`;
      let group = bars.get(key);
      if (!group) bars.set(key, (group = { status: s.status, stop, d: [] }));
      group.d.push(`M${fmt(x0)} ${fmt(ry)}h${fmt(x1 - x0)}v${fmt(bh)}h${fmt(x0 - x1)}z`);
      if (s.status === 'failed') {
        // A cross at the end of the bar: failures stand out in a greyscale print too.
        const cx = x1 + 4;
        const cy = ry + bh / 2;
        crosses.push(`M${fmt(cx - 2.5)} ${fmt(cy - 2.5)}l5 5m0 -5l-5 5`);
      }
      if (s.attempts > 1) retries.push(`<text x="${fmt(x1 + (s.status === 'failed' ? 10 : 3))}" y="${fmt(ry + bh - 2)}">×${s.attempts}</text>`);
    }
  });
  const counts = [...bars.values()].reduce<Record<string, number>>((m, g) => ((m[g.status] = (m[g.status] ?? 0) + g.d.length), m), {});
  const summary = Object.entries(counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" aria-label="Timeline of ${rows.length} resources${summary ? `: ${summary} steps` : ''}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, sans-serif" font-size="8">`,
  ];
  for (const t of x.ticks(6)) {
    const tx = fmt(x(t));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${height - 4}" stroke="#d0d5dd" stroke-width="0.5"/>`);
    parts.push(`<text x="${tx}" y="${top - 8}" text-anchor="middle" fill="#475467">${escapeHtml(o.tickLabel(t))}</text>`);
  }
  parts.push(`<g text-anchor="end" fill="#101828">${labels.join('')}</g>`);
  for (const g of bars.values()) {
    parts.push(
      `<path d="${g.d.join('')}" fill="${COLORS[g.status] ?? OTHER}"${g.stop ? ' fill-opacity="0.55"' : ''} data-status="${escapeHtml(g.status)}" data-bars="${g.d.length}"/>`,
    );
  }
  if (crosses.length) parts.push(`<path d="${crosses.join('')}" stroke="#b42318" stroke-width="1.2" fill="none" class="error-mark" data-marks="${crosses.length}"/>`);
  if (retries.length) parts.push(`<g fill="#8a6d1d" class="retry-mark">${retries.join('')}</g>`);
  parts.push('</svg>');
  return parts.join('');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
