// The job view's report exports: PDF, CSV and JSON of a failover, test failover or reset job, each
// saved where the operator chooses; the saved path (or the reason it failed) is announced.

import type { ReportFormat } from '../../../shared/domain';
import { ErrorAlert } from '../../components/error-alert';
import { useReports } from './reports-store';

const FORMATS: { format: ReportFormat; label: string }[] = [
  { format: 'pdf', label: 'Export PDF' },
  { format: 'csv', label: 'Export CSV' },
  { format: 'json', label: 'Export JSON' },
];

export function ReportExports({ jobId }: { jobId: string }) {
  const busy = useReports((s) => s.busy[jobId]);
  const saved = useReports((s) => s.saved[jobId]);
  const error = useReports((s) => s.errors[jobId] ?? null);
  const exportReport = useReports((s) => s.exportReport);
  return (
    <div className="job-reports">
      <div className="report-exports" role="group" aria-label="Job report">
        <span className="muted small">Report</span>
        {FORMATS.map((f) => (
          <button key={f.format} type="button" className="btn btn-small" disabled={busy !== undefined} onClick={() => void exportReport(jobId, f.format)}>
            {busy === f.format ? 'Saving…' : f.label}
          </button>
        ))}
        <span role="status" className="muted small">
          {saved?.path ? `Saved the ${saved.format.toUpperCase()} report to ${saved.path}` : ''}
        </span>
      </div>
      <ErrorAlert error={error ? { ...error, message: `The report was not saved. ${error.message}` } : null} compact />
    </div>
  );
}
