// The report's timeline: one row per resource, one bar per step from its start to its end, coloured
// by outcome, with failed steps marked and retries counted. Scales and ticks come from d3-scale;
// the SVG is written as text in main, so the PDF needs no script and no network to draw it.

import { scaleBand, scaleUtc } from 'd3-scale';
import type { JobStepView } from '../../../shared/domain';
import { escapeHtml } from './escape';

export interface TimelineRow {
  label: string;
  steps: JobStepView[];
}

export interface TimelineOptions {
  /** Job start and end (end: now for a running job). */
  from: number;
  to: number;
  width?: number;
  /** Writes an axis tick's time in the report's zone. */
  tickLabel: (t: Date) => string;
  /** Writes a step's start and end for its tooltip. */
  timeLabel: (iso: string) => string;
}

const COLORS: Record<string, string> = {
  succeeded: '#2f7d4f',
  failed: '#b42318',
  running: '#1d5fbf',
  pending: '#8a94a6',
  skipped: '#b8bfcc',
  cancelled: '#8a6d1d',
};

const ACTION_WORDS: Record<string, string> = {
  failover: 'failover',
  stopReplication: 'stop replication',
  testFailover: 'test failover',
  reset: 'reset',
};

/** One SVG for a slice of rows; the report splits long jobs into page-sized charts. */
export function timelineSvg(rows: readonly TimelineRow[], o: TimelineOptions): string {
  const width = o.width ?? 720;
  const labelWidth = 190;
  const rowHeight = 14;
  const top = 22;
  const height = top + rows.length * rowHeight + 6;
  const end = Math.max(o.to, o.from + 1000);
  const x = scaleUtc().domain([new Date(o.from), new Date(end)]).range([labelWidth, width - 10]);
  const y = scaleBand<number>()
    .domain(rows.map((_, i) => i))
    .range([top, top + rows.length * rowHeight])
    .paddingInner(0.25);
  const ticks = x.ticks(6);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" aria-label="Timeline of ${rows.length} resources" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, sans-serif" font-size="8">`,
  );
  for (const t of ticks) {
    const tx = x(t).toFixed(1);
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${height - 4}" stroke="#d0d5dd" stroke-width="0.5"/>`);
    parts.push(`<text x="${tx}" y="${top - 8}" text-anchor="middle" fill="#475467">${escapeHtml(o.tickLabel(t))}</text>`);
  }
  rows.forEach((row, i) => {
    const ry = y(i) ?? 0;
    const bh = y.bandwidth();
    parts.push(`<text x="${labelWidth - 6}" y="${(ry + bh - 2).toFixed(1)}" text-anchor="end" fill="#101828">${escapeHtml(truncate(row.label, 34))}</text>`);
    for (const s of row.steps) {
      if (!s.startedAt) continue;
      const x0 = x(new Date(s.startedAt));
      const x1 = Math.max(x0 + 1.5, x(new Date(s.finishedAt ?? new Date(end).toISOString())));
      const color = COLORS[s.status] ?? '#8a94a6';
      const title = `${ACTION_WORDS[s.action] ?? s.action}: ${s.status}, ${o.timeLabel(s.startedAt)}${s.finishedAt ? ` to ${o.timeLabel(s.finishedAt)}` : ''}${
        s.attempts > 1 ? `, ${s.attempts} attempts` : ''
      }${s.error ? `: ${s.error}` : ''}`;
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${ry.toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${bh.toFixed(1)}" rx="1.5" fill="${color}"${
          s.action === 'stopReplication' ? ' fill-opacity="0.55"' : ''
        } data-status="${s.status}"><title>${escapeHtml(title)}</title></rect>`,
      );
      if (s.status === 'failed') {
        // A cross at the end of the bar: failures stand out in a greyscale print too.
        const cx = x1 + 4;
        const cy = ry + bh / 2;
        parts.push(`<path d="M${(cx - 2.5).toFixed(1)} ${(cy - 2.5).toFixed(1)}l5 5m0 -5l-5 5" stroke="#b42318" stroke-width="1.2" class="error-mark"/>`);
      }
      if (s.attempts > 1) {
        parts.push(
          `<text x="${(x1 + (s.status === 'failed' ? 10 : 3)).toFixed(1)}" y="${(ry + bh - 2).toFixed(1)}" fill="#8a6d1d" class="retry-mark">×${s.attempts}</text>`,
        );
      }
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
