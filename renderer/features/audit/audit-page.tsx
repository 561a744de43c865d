// The Audit log page: who did what and when, paged.

import { BackupsPanel } from '../backups/backups-panel';
import { useEffect } from 'react';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatRelative } from '../../components/format';
import { TableBodyState } from '../../components/table-body-state';
import { AUDIT_PAGE, useAudit } from './audit-store';

export function AuditPage() {
  const { entries, total, offset, loading, error, load } = useAudit();
  const now = useNow();
  useEffect(() => {
    void load(0);
  }, [load]);
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + (entries?.length ?? 0), total);
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="page-subtitle">Every change made through this console, newest first.</p>
        </div>
      </div>
      {error && <ErrorAlert error={{ ...error, message: `Could not load the audit log. ${error.message}` }} onRetry={() => void load(offset)} />}
      <div className="panel">
        <div className="table-scroll">
          <table className="table">
            <caption className="visually-hidden">Audit log entries</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Subject</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <TableBodyState rows={entries} columns={5} loading={!error} loadingRows={6} loadingLabel="Loading audit log" empty="Nothing recorded yet." busy={loading}>
              {(e) => (
                <tr key={e.id}>
                  <td className="tabular nowrap">
                    <time dateTime={e.at}>{formatAbsolute(e.at, { seconds: true })}</time>{' '}
                    <span className="muted">· {formatRelative(e.at, now)}</span>
                  </td>
                  <td>{e.actor}</td>
                  <th scope="row" className="cell-name mono">
                    {e.action}
                  </th>
                  <td className="mono cell-truncate" title={e.subjectId ?? undefined}>
                    {e.subjectId ?? <span className="muted">—</span>}
                  </td>
                  <td>{e.detail}</td>
                </tr>
              )}
            </TableBodyState>
          </table>
        </div>
        <div className="panel-footer pager">
          <span className="muted tabular" aria-live="polite">
            {total === 0 ? 'No entries' : `${from.toLocaleString('en-GB')}–${to.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')}`}
          </span>
          <span className="toolbar-spacer" />
          <button type="button" className="btn btn-small" disabled={offset === 0 || loading} onClick={() => void load(Math.max(0, offset - AUDIT_PAGE))}>
            Newer
          </button>
          <button type="button" className="btn btn-small" disabled={offset + AUDIT_PAGE >= total || loading} onClick={() => void load(offset + AUDIT_PAGE)}>
            Older
          </button>
        </div>
      </div>
      <BackupsPanel />
    </>
  );
}
