// The Jobs tab: every job of the policy; the selected one shows its journal steps, and a running
// one a live progress bar (fed by dr:job.progress) and, for replication, a Cancel button.

import { useEffect } from 'react';
import { resourceType } from '../../../shared/catalog';
import type { JobKind, JobView } from '../../../shared/domain';
import { JobStatusBadge, StepStatusBadge } from '../../components/badges';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatDuration, formatRelative } from '../../components/format';
import { SkeletonBlock, SkeletonRows } from '../../components/skeleton';
import { liveJob, useJobs } from './jobs-store';
import { ProgressBar } from './progress-bar';

export const JOB_KIND_LABEL: Record<JobKind, string> = {
  replication: 'Replication',
  test_failover: 'Test failover',
  reset: 'Reset',
  failover: 'Failover',
};
const TRIGGER_LABEL = { manual: 'Manual', schedule: 'Schedule', resume: 'Resumed' } as const;

function isRunning(j: JobView): boolean {
  return j.status === 'running' || j.status === 'queued';
}

export function JobsTab({ policyId }: { policyId: string }) {
  const { jobs, total, loading, error, progress, selectedJobId, select, load, loadMore } = useJobs();
  const now = useNow();

  useEffect(() => {
    useJobs.getState().open(policyId);
  }, [policyId]);

  useEffect(() => {
    // With nothing chosen, show the newest job's steps: usually the one the operator just ran.
    const s = useJobs.getState();
    const first = s.jobs?.[0];
    if (!s.selectedJobId && first) select(first.id);
  }, [jobs, select]);

  if (error && !jobs) return <ErrorAlert error={{ ...error, message: `Could not load jobs. ${error.message}` }} onRetry={() => void load()} />;

  return (
    <div className="jobs-layout">
      <div className="panel">
        <div className="table-scroll jobs-scroll">
          <table className="table">
            <caption className="visually-hidden">Jobs of this policy, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Trigger</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col" className="num">
                  Steps done / total
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
              </tr>
            </thead>
            {jobs === null || (loading && jobs.length === 0) ? (
              <SkeletonRows rows={3} columns={7} label="Loading jobs" />
            ) : jobs.length === 0 ? (
              <tbody>
                <tr>
                  <td colSpan={7} className="empty-cell">
                    <p className="empty-title">No jobs yet</p>
                    <p className="muted">Run replication to create the first recovery point.</p>
                  </td>
                </tr>
              </tbody>
            ) : (
              <tbody>
                {jobs.map((raw) => {
                  const j = liveJob(raw, progress[raw.id]);
                  const current = j.id === selectedJobId;
                  return (
                    <tr key={j.id} className={current ? 'row-current' : undefined} aria-current={current ? 'true' : undefined}>
                      <th scope="row" className="cell-name">
                        <button type="button" className="linklike" aria-pressed={current} onClick={() => select(j.id)}>
                          {JOB_KIND_LABEL[j.kind]}
                        </button>
                      </th>
                      <td>{TRIGGER_LABEL[j.trigger]}</td>
                      <td>
                        <JobStatusBadge status={j.status} />
                      </td>
                      <td className="tabular">
                        {j.startedAt ? (
                          <>
                            {formatAbsolute(j.startedAt, { seconds: true })} <span className="muted">· {formatRelative(j.startedAt, now)}</span>
                          </>
                        ) : (
                          <span className="muted">Not started</span>
                        )}
                      </td>
                      <td className="num tabular">{formatDuration(j.startedAt, j.finishedAt, now) ?? '—'}</td>
                      <td className="num tabular">
                        {j.stepsDone} / {j.stepsTotal}
                      </td>
                      <td className={`num tabular${j.stepsFailed > 0 ? ' text-bad' : ''}`}>{j.stepsFailed}</td>
                    </tr>
                  );
                })}
              </tbody>
            )}
          </table>
        </div>
        {jobs && jobs.length < total && (
          <div className="panel-footer">
            <button type="button" className="btn" onClick={() => void loadMore()}>
              Show more jobs ({jobs.length} of {total})
            </button>
          </div>
        )}
      </div>
      <JobPanel />
    </div>
  );
}

function JobPanel() {
  const { details, detailsLoading, detailsError, selectedJobId, progress, cancelling, cancelError, cancel, reloadDetails } = useJobs();
  const now = useNow();
  if (!selectedJobId) return null;
  if (detailsLoading && !details) return <SkeletonBlock label="Loading job steps" lines={4} />;
  if (detailsError && !details) return <ErrorAlert error={detailsError} onRetry={() => void reloadDetails()} />;
  if (!details || details.id !== selectedJobId) return null;
  const job = liveJob(details, progress[details.id]);
  const running = isRunning(job);
  return (
    <section className="panel job-panel" aria-labelledby="job-panel-title">
      <div className="panel-header">
        <h2 id="job-panel-title" className="panel-title">
          {JOB_KIND_LABEL[job.kind]} job
        </h2>
        <JobStatusBadge status={job.status} />
        <span className="muted small tabular">
          {job.startedAt ? `started ${formatAbsolute(job.startedAt, { seconds: true })}` : 'queued'}
          {job.finishedAt && ` · finished ${formatAbsolute(job.finishedAt, { seconds: true })}`}
          {` · ${formatDuration(job.startedAt, job.finishedAt, now) ?? '—'}`}
        </span>
        <span className="toolbar-spacer" />
        {running && job.kind === 'replication' && (
          <button type="button" className="btn btn-danger-outline" disabled={!!cancelling[job.id]} onClick={() => void cancel(job.id)}>
            {cancelling[job.id] ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      {running && <ProgressBar label={`${JOB_KIND_LABEL[job.kind]} progress`} done={job.stepsDone} failed={job.stepsFailed} total={job.stepsTotal} />}
      {job.error && <p className="note note-bad">{job.error}</p>}
      <ErrorAlert error={cancelError} compact />
      <div className="table-scroll steps-scroll" tabIndex={0} role="region" aria-label="Steps of the selected job">
        <table className="table table-dense">
          <caption className="visually-hidden">Steps of the selected job</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
              <th scope="col">Action</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Started</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {details.steps.length === 0 ? (
              <tr>
                <td colSpan={8} className="empty-cell">
                  No steps recorded yet.
                </td>
              </tr>
            ) : (
              details.steps.map((s) => (
                <tr key={s.id}>
                  <td className="num tabular muted">{s.seq}</td>
                  <th scope="row" className="cell-name">
                    {s.resourceName ?? <span className="muted">—</span>}
                    {s.error && (
                      <p className="cell-error">
                        {s.error}
                        {s.errorCode && <span className="muted"> ({s.errorCode})</span>}
                      </p>
                    )}
                  </th>
                  <td className="nowrap">{s.type ? resourceType(s.type).label : '—'}</td>
                  <td>{s.action}</td>
                  <td>
                    <StepStatusBadge status={s.status} />
                  </td>
                  <td className="num tabular">{s.attempts}</td>
                  <td className="tabular">{s.startedAt ? formatAbsolute(s.startedAt, { seconds: true }).split(', ')[1] : '—'}</td>
                  <td className="num tabular">{formatDuration(s.startedAt, s.finishedAt, now) ?? '—'}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
