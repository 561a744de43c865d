// Exports: a job's report as PDF, CSV or JSON and the audit log as CSV or JSON, written where the
// operator chooses. Choosing the file and printing the PDF are ports (Electron's save dialog and
// printToPDF in the app; a chosen path and Playwright's Chromium in tests); everything else is here.

import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { AuditEntry, ExportResult, ReportFormat } from '../../../shared/domain';
import type { AuditFilter } from '../../db/audit-repo';
import type { Repos } from '../../db/repos';
import type { WebhooksRepo } from '../../db/webhooks-repo';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import { precondition } from '../errors';
import { timeFormatterOf } from '../settings-service';
import { buildJobReport, type JobReport } from './job-report';
import { reportCsv } from './report-csv';
import { reportHtml } from './report-html';
import { reportJson } from './report-json';

export interface SaveRequest {
  /** A file name to offer, e.g. "failover-Payments-2026-12-01.pdf". */
  defaultName: string;
  format: ReportFormat;
}

export interface ReportOutput {
  /** Where to write; null when the operator cancelled. */
  choosePath(req: SaveRequest): Promise<string | null>;
  /** Chromium prints a self-contained HTML page to PDF (A4, backgrounds on). */
  printPdf?(html: string): Promise<Uint8Array>;
}

export interface ReportsServiceDeps {
  repos: Repos;
  webhooks: WebhooksRepo;
  audit: AuditLog;
  clock: Clock;
  app: { version: string; platform: string };
  output?: ReportOutput;
}

const AUDIT_EXPORT_LIMIT = 1000;

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'policy';

/** Writes next to the target and renames: a crash never leaves half a report under its name. */
function writeAtomically(path: string, data: string | Uint8Array): number {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.part`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as { code?: string }).code;
    throw precondition(
      code === 'EACCES' || code === 'EPERM'
        ? `The console may not write to ${path}; choose another folder.`
        : code === 'ENOENT'
          ? `The folder for ${path} does not exist; choose another one.`
          : `The file ${path} could not be written (${code ?? 'error'}); choose another place.`,
    );
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

export class ReportsService {
  constructor(private readonly d: ReportsServiceDeps) {}

  /** The report model, with times to be shown in the operator's zone. */
  build(jobId: string): JobReport {
    return buildJobReport(this.d, jobId, this.d.clock.iso(), timeFormatterOf(this.d.repos.settings).zone);
  }

  render(report: JobReport, format: 'csv' | 'json' | 'html'): string {
    return format === 'csv' ? reportCsv(report) : format === 'json' ? reportJson(report) : reportHtml(report);
  }

  async exportJob(jobId: string, format: ReportFormat): Promise<ExportResult> {
    const report = this.build(jobId);
    const output = this.requireOutput();
    if (format === 'pdf' && !output.printPdf) throw precondition('PDF printing is not available in this console; export CSV or JSON instead.');
    const day = (report.job.startedAt ?? report.job.createdAt).slice(0, 10);
    const path = await output.choosePath({ defaultName: `${report.job.kind.replace('_', '-')}-${safeName(report.policy.name)}-${day}.${format}`, format });
    if (path === null) return { path: null, bytes: 0 };
    const data = format === 'pdf' ? await output.printPdf!(reportHtml(report)) : this.render(report, format);
    const bytes = writeAtomically(path, data);
    this.d.audit.record('operator', 'report.export', report.job.id, `job ${report.job.id}: ${format.toUpperCase()} report saved to ${path}`);
    return { path, bytes };
  }

  async exportAudit(filter: Omit<AuditFilter, 'offset' | 'limit'>, format: 'csv' | 'json'): Promise<ExportResult> {
    const output = this.requireOutput();
    const entries: AuditEntry[] = [];
    for (let offset = 0; ; offset += AUDIT_EXPORT_LIMIT) {
      const page = this.d.repos.audit.list({ ...filter, offset, limit: AUDIT_EXPORT_LIMIT });
      entries.push(...page.items);
      if (page.items.length < AUDIT_EXPORT_LIMIT) break;
    }
    const path = await output.choosePath({ defaultName: `audit-log-${this.d.clock.iso().slice(0, 10)}.${format}`, format });
    if (path === null) return { path: null, bytes: 0 };
    const verdict = this.d.repos.audit.verify();
    const head = this.d.repos.audit.head();
    const data =
      format === 'json'
        ? `${JSON.stringify({ format: 'failover-console.audit-log/v1', exportedAt: this.d.clock.iso(), filter, chain: { verified: verdict.ok, headId: head?.id ?? null, headHash: head?.hash ?? null, ...(verdict.ok ? {} : { brokenId: verdict.brokenId, reason: verdict.reason }) }, entries: entries.map(({ refs: _refs, ...e }) => e) }, null, 2)}\n`
        : stringify(
            entries.map((e) => ({ ...e, refs: undefined })),
            {
              header: true,
              columns: ['id', 'at', 'actor', 'actorLabel', 'operatorName', 'osUser', 'host', 'action', 'policyId', 'policyName', 'jobId', 'subjectId', 'detail', 'prevHash', 'hash'],
              quoted_match: /^[=+\-@\t\r]/,
            },
          );
    const bytes = writeAtomically(path, data);
    this.d.audit.record('operator', 'audit.export', null, `${entries.length} entries as ${format.toUpperCase()} to ${path}`);
    return { path, bytes };
  }

  private requireOutput(): ReportOutput {
    if (!this.d.output) throw precondition('Exports are not available in this console: it has no way to ask where to save.');
    return this.d.output;
  }
}
