// The report as one self-contained HTML page (inline CSS, inlined fonts, SVG charts, no script),
// which Chromium prints to PDF: Electron's printToPDF in the app, Playwright's page.pdf() in tests.
// Built for a print of 1,000 resources in well under 3 s: the page is laid out for print only (on
// screen it shows a one-line note), so Chromium lays the document out once, for the printed page,
// instead of also for the screen, again once the fonts arrive, and again after printing; tables have
// fixed column widths (no measuring of every cell first); nothing is wider than the printable page
// (which would make Chromium lay it all out a second time to shrink it); the timeline is a few paths.

import { createHash } from 'node:crypto';
import { describeTimeZone, formatTime } from '../../../shared/time-format';
import { escapeHtml as h } from './escape';
import { reportFontCss } from './fonts';
import type { JobReport } from './job-report';
import { timelineSvg, type TimelineRow } from './timeline-svg';
import type { JobStepView, ResourceMappingView } from '../../../shared/domain';

/** Rows per chart: one chart fits a printed page, and a page break never cuts a chart. */
const ROWS_PER_CHART = 60;
/** A webhook body longer than this is shown in part in the PDF (the JSON export has it whole). */
const BODY_PREVIEW = 4000;

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'not finished';
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

function elapsedLabel(ms: number, spanMs: number): string {
  if (spanMs < 2_000) return `+${(ms / 1000).toFixed(2)} s`;
  if (spanMs < 10_000) return `+${(ms / 1000).toFixed(1)} s`;
  if (spanMs < 180_000) return `+${Math.round(ms / 1000)} s`;
  if (spanMs < 3 * 3_600_000) return `+${Math.round(ms / 60_000)} min`;
  return `+${(ms / 3_600_000).toFixed(1)} h`;
}

const STATUS_WORDS: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  partially_failed: 'Partially failed',
  running: 'Running',
  queued: 'Queued',
  cancelled: 'Cancelled',
  pending: 'Pending',
  skipped: 'Skipped',
  delivered: 'Delivered',
};

const CSS = `
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
body { font-family: 'Inter', sans-serif; font-size: 9pt; color: #101828; margin: 0; }
h1 { font-size: 16pt; font-weight: 600; margin: 0 0 2mm; }
h2 { font-size: 11pt; font-weight: 600; margin: 6mm 0 2mm; border-bottom: 0.5pt solid #d0d5dd; padding-bottom: 1mm; break-after: avoid; }
h2 + p.sub { break-after: avoid; }
.sub { color: #475467; margin: 0 0 4mm; }
table { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 1.5mm; border-bottom: 0.3pt solid #eaecf0; }
th { font-weight: 600; color: #344054; background: #f9fafb; }
tr { break-inside: avoid; }
dl.summary { display: grid; grid-template-columns: 38mm 1fr; gap: 1mm 4mm; margin: 0; }
dl.summary dt { color: #475467; }
dl.summary dd { margin: 0; }
.mono { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 7.5pt; word-break: break-all; }
.ok { color: #2f7d4f; font-weight: 600; }
.bad { color: #b42318; font-weight: 600; }
.chart { break-inside: avoid; margin: 2mm 0 4mm; }
svg.timeline { display: block; max-width: 100%; height: auto; }
.screen-note { font-size: 11pt; margin: 2em; }
.screen-note b { font-weight: 600; }
@media screen { body > :not(.screen-note) { display: none; } }
@media print { .screen-note { display: none; } }
.legend span { display: inline-block; margin-right: 4mm; }
.legend i { display: inline-block; width: 3mm; height: 2mm; margin-right: 1mm; vertical-align: middle; }
pre { white-space: pre-wrap; word-break: break-all; background: #f9fafb; padding: 2mm; margin: 1mm 0 0; }
.figure { font-size: 14pt; font-weight: 600; }
.figures { display: flex; gap: 10mm; margin: 2mm 0 4mm; }
`;

/**
 * The mapping under the protected resource each item belongs to, in the order they were mapped: one
 * table row per resource rather than per item keeps a 3,000-item mapping to 1,000 rows, the one
 * part of the page whose size decides how long Chromium takes to lay it out and print it.
 */
function mappingGroups(r: JobReport): { label: string; items: ResourceMappingView[] }[] {
  const names = new Map(r.resources.map((x) => [x.protectedResourceId, x.name]));
  const groups = new Map<string | null, { label: string; items: ResourceMappingView[] }>();
  for (const m of r.mappings) {
    const key = m.protectedResourceId;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { label: (key && names.get(key)) ?? 'Not tied to a protected resource', items: [] }));
    g.items.push(m);
  }
  return [...groups.values()];
}

/** Fixed column widths in percent: the table is laid out from these, without measuring every cell. */
const cols = (...pct: number[]) => `<colgroup>${pct.map((p) => `<col style="width:${p}%">`).join('')}</colgroup>`;

export function reportHtml(r: JobReport): string {
  const zone = r.timeZone;
  const t = (iso: string | null) => (iso ? formatTime(iso, zone) : '—');
  const tSec = (iso: string) => formatTime(iso, zone, { seconds: true });
  const title = `${r.kindLabel} report: ${r.policy.name}`;
  const env = (e: JobReport['policy']['source']) =>
    `${h(e.name)} (${h(e.region)}${e.scope ? `, ${h(e.scope)}` : ''})${e.account ? `, account ${h(e.account)}` : ''}`;
  const failed = r.steps.filter((s) => s.status === 'failed' || s.attempts > 1 || s.error);

  // Steps by resource in one pass (a filter per resource is a million comparisons at 1,000).
  const byResource = new Map<string, JobStepView[]>(r.resources.map((x) => [x.protectedResourceId, []]));
  const other: JobStepView[] = [];
  for (const s of r.steps) {
    const mine = s.protectedResourceId ? byResource.get(s.protectedResourceId) : undefined;
    if (mine) mine.push(s);
    else other.push(s);
  }
  const rows: TimelineRow[] = r.resources.map((res) => ({ label: res.name, steps: byResource.get(res.protectedResourceId) ?? [] }));
  if (other.length) rows.unshift({ label: 'Test resources (reset)', steps: other });
  const from = Date.parse(r.job.startedAt ?? r.job.createdAt);
  const to = Date.parse(r.job.finishedAt ?? r.generatedAt);
  const spanMs = to - from;
  // Ticks count from the job's start: unambiguous in any zone, and readable for a 2-second job too.
  const tick = (d: Date) => elapsedLabel(d.getTime() - from, spanMs);
  const charts: string[] = [];
  // The explanation and legend go inside the first chart's box, so a page never ends on them alone.
  const legend = `<p class="sub">Each bar is a step, from its start to its end, counted from the job's start at ${h(tSec(r.job.startedAt ?? r.job.createdAt))}.</p>
<div class="legend"><span><i style="background:#2f7d4f"></i>succeeded</span><span><i style="background:#b42318"></i>failed (✕)</span><span><i style="background:#1d5fbf"></i>running</span><span><i style="background:#8a94a6"></i>other</span><span>lighter: stop replication</span><span>×n: attempts</span></div>`;
  for (let i = 0; i < rows.length; i += ROWS_PER_CHART) {
    charts.push(`<div class="chart">${i === 0 ? legend : ''}${timelineSvg(rows.slice(i, i + ROWS_PER_CHART), { from, to, tickLabel: tick })}</div>`);
  }

  const deliveries = r.webhookDeliveries.map((w) => {
    const sha = createHash('sha256').update(w.body, 'utf8').digest('hex');
    const preview = w.body.length > BODY_PREVIEW ? `${w.body.slice(0, BODY_PREVIEW)}… (${w.body.length.toLocaleString('en')} characters; whole in the JSON report)` : w.body;
    return `<tr><td>${h(w.url)}</td><td>${h(STATUS_WORDS[w.status] ?? w.status)}</td><td>${w.attempts}</td><td>${w.lastStatus ?? '—'}</td>
      <td>${t(w.deliveredAt)}</td><td>${w.signed ? 'HMAC-SHA256' : 'no'}</td></tr>
      <tr><td colspan="6"><div class="mono">body SHA-256 ${sha}</div>${w.lastError ? `<div class="bad">${h(w.lastError)}</div>` : ''}<pre class="mono">${h(preview)}</pre></td></tr>`;
  });

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${h(title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:">
<style>${reportFontCss()}${CSS}</style></head>
<body>
<p class="screen-note"><b>${h(title)}</b>: this page is laid out for printing; the PDF report holds it all.</p>
<h1>${h(title)}</h1>
<p class="sub">${h(STATUS_WORDS[r.job.status] ?? r.job.status)} · job ${h(r.job.id)} · written ${h(t(r.generatedAt))} by Failover Console ${h(r.app.version)} · times in ${h(describeTimeZone(zone, new Date(r.generatedAt)))}</p>
<div class="figures">
  <div><div>Achieved RPO</div><div class="figure" data-figure="rpo">${h(r.rpoSeconds === null ? '—' : formatDuration(r.rpoSeconds))}</div><div class="sub">job start minus the recovery point's time</div></div>
  <div><div>Measured RTO</div><div class="figure" data-figure="rto">${h(formatDuration(r.rtoSeconds))}</div><div class="sub">job start to end</div></div>
  <div><div>Resources</div><div class="figure">${r.resources.length}</div><div class="sub">${r.resources.filter((x) => x.status === 'failed').length} failed</div></div>
</div>
<dl class="summary">
  <dt>Policy</dt><dd>${h(r.policy.name)} (${h(r.policy.cloud)} on ${h(r.policy.provider)}${r.policy.provider === 'sim' ? ', simulated' : ''})</dd>
  <dt>Source</dt><dd>${env(r.policy.source)}</dd>
  <dt>Target</dt><dd>${env(r.policy.target)}</dd>
  <dt>Recovery point</dt><dd>${r.recoveryPoint ? `${h(t(r.recoveryPoint.createdAt))} <span class="mono">${h(r.recoveryPoint.id)}</span>` : 'none (reset)'}</dd>
  <dt>Started</dt><dd>${h(t(r.job.startedAt))}</dd>
  <dt>Finished</dt><dd>${h(t(r.job.finishedAt))}</dd>
  <dt>Operator</dt><dd>${h(r.operator.actorLabel)}</dd>
  <dt>Machine</dt><dd>${h(r.operator.host ?? 'not recorded')}</dd>
  <dt>Audit chain head</dt><dd><span class="mono">${h(r.audit.headHash || 'empty')}</span> (entry ${r.audit.headId ?? '—'}) <span class="${r.audit.verified ? 'ok' : 'bad'}">${h(r.audit.verifyMessage)}</span></dd>
  ${r.job.error ? `<dt>Error</dt><dd class="bad">${h(r.job.error)}</dd>` : ''}
</dl>

<h2>Recovery point used per resource</h2>
<p class="sub">Each resource's point by its time${r.recoveryPoint ? `; a point other than the job's (${h(r.recoveryPoint.id)}) is named by its id too` : ''}.</p>
<table>${cols(31, 15, 32, 10, 12)}<thead><tr><th>Resource</th><th>Type</th><th>Recovery point</th><th>RPO</th><th>Outcome</th></tr></thead><tbody>
${r.resources
  .map(
    (x) =>
      `<tr><td>${h(x.name)}<br><span class="mono">${h(x.nativeId)}</span></td><td>${h(x.typeLabel)}</td><td>${x.recoveryPointAt ? h(tSec(x.recoveryPointAt)) : '—'}${
        x.recoveryPointId && x.recoveryPointId !== r.recoveryPoint?.id ? `<br><span class="mono">${h(x.recoveryPointId)}</span>` : ''
      }${x.why ? `<br>${h(x.why)}` : ''}</td><td>${h(x.rpoSeconds === null ? '—' : formatDuration(x.rpoSeconds))}</td><td${x.status === 'failed' ? ' class="bad"' : ''}>${h(STATUS_WORDS[x.status] ?? x.status)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>

<h2>Timeline</h2>
${charts.length ? charts.join('\n') : '<p>This job has no steps.</p>'}

<h2>Errors and retries</h2>
${
  failed.length === 0
    ? '<p>No step failed or needed a retry.</p>'
    : `<table>${cols(20, 13, 12, 9, 46)}<thead><tr><th>Resource</th><th>Step</th><th>Outcome</th><th>Attempts</th><th>Error</th></tr></thead><tbody>
${failed.map((s) => `<tr><td>${h(s.resourceName ?? '—')}</td><td>${h(s.action)}</td><td>${h(STATUS_WORDS[s.status] ?? s.status)}</td><td>${s.attempts}</td><td>${h(s.error ?? '')}${s.errorCode ? ` <span class="mono">${h(s.errorCode)}</span>` : ''}</td></tr>`).join('\n')}
</tbody></table>`
}

<h2>Resource mapping</h2>
${
  r.mappings.length === 0
    ? '<p>This job mapped no resources.</p>'
    : `<p class="sub">${r.mappings.length.toLocaleString('en')} items mapped, under the protected resource they belong to (a VM's disks and network interfaces with it): kind and name, then source → target.</p>
<table>${cols(24, 76)}<thead><tr><th>Resource</th><th>Mapped in the target</th></tr></thead><tbody>
${mappingGroups(r)
  .map((g) => `<tr><td>${h(g.label)}</td><td>${g.items.map((m) => `${h(m.kind)} · ${h(m.name)}${m.reused ? ' (reused)' : ''}<br><span class="mono">${h(m.sourceId)} → ${h(m.targetId)}</span>`).join('<br>')}</td></tr>`)
  .join('\n')}
</tbody></table>`
}

<h2>Webhook deliveries</h2>
${
  deliveries.length === 0
    ? `<p>${r.policy.webhookUrl ? 'No delivery was made for this job.' : 'The policy has no webhook URL.'}</p>`
    : `<table>${cols(38, 12, 10, 8, 20, 12)}<thead><tr><th>URL</th><th>Status</th><th>Attempts</th><th>HTTP</th><th>Delivered</th><th>Signed</th></tr></thead><tbody>${deliveries.join('\n')}</tbody></table>`
}
</body></html>`;
}
