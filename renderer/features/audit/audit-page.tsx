// The Audit log page: who did what and when, with names instead of ids, filtered by policy, actor
// and kind; Verify walks the hash chain and names the first broken entry; exports save CSV or JSON.

import { BackupsPanel } from '../backups/backups-panel';
import { useEffect, useId, useState } from 'react';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { Field } from '../../components/field';
import { formatAbsolute, formatRelative } from '../../components/format';
import { TableBodyState } from '../../components/table-body-state';
import { TableScroll } from '../../components/table-scroll';
import { namedDetail, subjectName } from './audit-names';
import { AUDIT_PAGE, useAudit } from './audit-store';

const OPERATOR_NAME_MAX = 80;

const KIND_LABELS: Record<string, string> = {
  account: 'Accounts',
  audit: 'Audit log',
  environment: 'Environments',
  failover: 'Failover',
  job: 'Job status changes',
  policy: 'Policies',
  replication: 'Replication',
  report: 'Reports',
  settings: 'Settings',
  testFailover: 'Test failover and reset',
  webhook: 'Webhooks',
};

export function AuditPage() {
  const s = useAudit();
  const { entries, total, offset, loading, error, load, loadFacets, loadOperator, filters, facets, verdict } = s;
  const now = useNow();
  useEffect(() => {
    void load(0);
    void loadFacets();
    void loadOperator();
  }, [load, loadFacets, loadOperator]);
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + (entries?.length ?? 0), total);
  const filtered = Boolean(filters.policyId || filters.actor || filters.kind);
  const brokenId = verdict && !verdict.ok ? verdict.brokenId : null;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Audit log</h1>
          <p className="page-subtitle">Every change made through this console and every job status change, newest first, in a hash chain.</p>
        </div>
        <div className="page-actions">
          <button type="button" className="btn" disabled={s.verifying} onClick={() => void s.verify()}>
            {s.verifying ? 'Verifying…' : 'Verify'}
          </button>
          <button type="button" className="btn" disabled={s.exporting} onClick={() => void s.exportLog('csv')}>
            Export CSV
          </button>
          <button type="button" className="btn" disabled={s.exporting} onClick={() => void s.exportLog('json')}>
            Export JSON
          </button>
        </div>
      </div>
      <div role="status" className={verdict ? `alert ${verdict.ok ? 'alert-ok' : 'alert-error'}` : 'alert-empty'}>
        {verdict && (
          <div className="alert-body">
            <p className="alert-title">{verdict.ok ? 'The audit chain verifies' : 'The audit chain is broken'}</p>
            <p className="alert-message">{verdict.message}</p>
            {verdict.ok && verdict.headHash && (
              <p className="alert-message mono cell-wrap">
                Head: entry {verdict.headId}, SHA-256 {verdict.headHash}
              </p>
            )}
          </div>
        )}
      </div>
      <div role="status" className={s.exported?.path ? 'alert alert-ok' : 'alert-empty'}>
        {s.exported?.path && (
          <div className="alert-body">
            <p className="alert-message">
              Saved {s.exported.bytes.toLocaleString('en-GB')} bytes to <span className="mono">{s.exported.path}</span>
            </p>
          </div>
        )}
      </div>
      <ErrorAlert error={s.actionError} />
      <OperatorPanel />
      {error && <ErrorAlert error={{ ...error, message: `Could not load the audit log. ${error.message}` }} onRetry={() => void load(offset)} />}
      <div className="panel">
        <div className="panel-header toolbar" role="group" aria-label="Audit log filters">
          <FilterSelect label="Policy" value={filters.policyId} onChange={(v) => s.setFilter('policyId', v)} all="All policies" options={(facets?.policies ?? []).map((p) => ({ value: p.id, label: p.name }))} />
          <FilterSelect label="Actor" value={filters.actor} onChange={(v) => s.setFilter('actor', v)} all="All actors" options={(facets?.actors ?? []).map((a) => ({ value: a, label: a }))} />
          <FilterSelect label="Kind" value={filters.kind} onChange={(v) => s.setFilter('kind', v)} all="All kinds" options={(facets?.kinds ?? []).map((k) => ({ value: k, label: KIND_LABELS[k] ?? k }))} />
          {filtered && (
            <button type="button" className="btn btn-small" onClick={() => s.clearFilters()}>
              Clear filters
            </button>
          )}
        </div>
        <TableScroll label="Audit log entries">
        <table className="table audit-table">
          <caption className="visually-hidden">Audit log entries</caption>
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Subject</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <TableBodyState
            rows={entries}
            columns={6}
            loading={!error}
            loadingRows={6}
            loadingLabel="Loading audit log"
            empty={filtered ? 'No entry matches these filters.' : 'Nothing recorded yet.'}
            busy={loading}
          >
            {(e) => (
              <tr key={e.id} className={e.id === brokenId ? 'row-broken' : undefined} aria-label={e.id === brokenId ? `Entry ${e.id}, broken` : undefined}>
                <td className="tabular">{e.id}</td>
                <td className="tabular nowrap">
                  <time dateTime={e.at}>{formatAbsolute(e.at, { seconds: true })}</time>{' '}
                  <span className="muted">· {formatRelative(e.at, now)}</span>
                </td>
                <td>
                  {e.actorLabel}
                  {e.host && <div className="muted">on {e.host}</div>}
                </td>
                <th scope="row" className="cell-name mono">
                  {e.action}
                </th>
                <td className="cell-wrap">{subjectName(e) ?? <span className="muted">—</span>}</td>
                <td className="cell-wrap">
                  {namedDetail(e).map((p, i) =>
                    p.id ? (
                      <span key={i} className="audit-ref" title={p.id}>
                        {p.text}
                      </span>
                    ) : (
                      <span key={i}>{p.text}</span>
                    ),
                  )}
                </td>
              </tr>
            )}
          </TableBodyState>
        </table>
        </TableScroll>
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

function FilterSelect(props: { label: string; value: string; all: string; options: { value: string; label: string }[]; onChange: (v: string) => void }) {
  return (
    <label className="inline-field">
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.all}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Who the entries made here name: the OS user and machine, and an optional operator name. */
function OperatorPanel() {
  const { operator, savingOperator, operatorError, saveOperator } = useAudit();
  const [name, setName] = useState<string | null>(null);
  const [tooLong, setTooLong] = useState<string | null>(null);
  const id = useId();
  if (!operator) return null;
  const value = name ?? operator.operatorName ?? '';
  const changed = value.trim() !== (operator.operatorName ?? '');
  return (
    <form
      className="panel operator-panel"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim().length > OPERATOR_NAME_MAX) {
          setTooLong(`The operator name is ${value.trim().length} characters; use at most ${OPERATOR_NAME_MAX}.`);
          return;
        }
        void saveOperator(value).then((ok) => ok && setName(null));
      }}
    >
      <h2 id={`${id}-title`} className="panel-title">
        Recorded as
      </h2>
      <p className="muted">
        Entries made here name the OS user <strong>{operator.osUser}</strong> on <strong>{operator.host}</strong>
        {operator.operatorName ? (
          <>
            {' '}
            and the operator <strong>{operator.operatorName}</strong>
          </>
        ) : null}
        .
      </p>
      {/* Kept whole, counted, and refused with a sentence past the limit: never cut as typed or pasted. */}
      <div className="operator-field">
        <Field label="Operator name" optional limit={{ length: value.length, max: OPERATOR_NAME_MAX }} error={tooLong ?? undefined}>
          <input type="text" value={value} onChange={(e) => { setName(e.target.value); setTooLong(null); }} />
        </Field>
        <button type="submit" className="btn" disabled={!changed || savingOperator}>
          Save
        </button>
      </div>
      <ErrorAlert error={operatorError} compact />
    </form>
  );
}
