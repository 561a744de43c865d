// The Jobs tab: every job of the policy; the selected one names its recovery point and shows its
// journal steps (failed and running first, searchable and filterable, each with the point it used
// and what it is doing now), progress in resources with elapsed time and an estimate, a stall
// warning, Retry failed items, and for failover the resource mapping and webhook deliveries. The
// page is the one scroll container: no table here scrolls on its own.

import { useEffect, useId, useMemo, useState } from 'react';
import { resourceType } from '../../../shared/catalog';
import type { JobDetails, JobKind, JobStepView, JobView, StepStatus } from '../../../shared/domain';
import { Badge, JobStatusBadge, StepStatusBadge } from '../../components/badges';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatDuration, formatRelative } from '../../components/format';
import { LongId } from '../../components/long-id';
import { TableScroll } from '../../components/table-scroll';
import { SkeletonBlock } from '../../components/skeleton';
import { TableBodyState } from '../../components/table-body-state';
import { actionLabel, adviceFor, stalledMinutes, waitingFor } from './job-insights';
import { liveJob, useJobs } from './jobs-store';
import { ProgressBar, progressUnits } from './progress-bar';
import { RecoveryPointRef } from './recovery-point-ref';
import { ReportExports } from '../reports/report-exports';

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
        <TableScroll label="Jobs table">
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
                  Done / total
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
              </tr>
            </thead>
            <TableBodyState
              rows={loading && jobs?.length === 0 ? null : jobs}
              columns={7}
              loading
              loadingRows={3}
              loadingLabel="Loading jobs"
              empty={
                <>
                  <p className="empty-title">No jobs yet</p>
                  <p className="muted">Run replication to create the first recovery point.</p>
                </>
              }
            >
              {(raw) => {
                const j = liveJob(raw, progress[raw.id]);
                const current = j.id === selectedJobId;
                return (
                  <tr key={j.id} className={current ? 'row-current' : undefined} aria-current={current ? 'true' : undefined}>
                    <th scope="row" className="cell-name">
                      <button type="button" className="linklike" aria-pressed={current} onClick={() => select(j.id)}>
                        {JOB_KIND_LABEL[j.kind]}
                        {/* "Failover job", so it is never mistaken for the Failover action. */}
                        <span className="visually-hidden"> job</span>
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
                    <DoneCells job={j} />
                  </tr>
                );
              }}
            </TableBodyState>
          </table>
        </TableScroll>
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

/** "58 / 60 resources" and the failed count, in resources when the job has any (steps otherwise). */
function DoneCells({ job }: { job: JobView }) {
  const u = progressUnits(job);
  return (
    <>
      <td className="num tabular nowrap">
        {u.done} / {u.total} <span className="muted small">{u.many}</span>
      </td>
      <td className={`num tabular${u.failed > 0 ? ' text-bad' : ''}`}>{u.failed}</td>
    </>
  );
}

/** Which recovery point a job used (failover, test failover) or created (replication). */
function JobPoint({ job }: { job: JobView }) {
  if (!job.recoveryPointId || job.kind === 'reset') return null;
  return (
    <p className="job-point" data-testid="job-recovery-point">
      <span className="muted">{job.kind === 'replication' ? 'Creates recovery point' : 'Recovery point'}</span>{' '}
      <RecoveryPointRef id={job.recoveryPointId} at={job.recoveryPointAt} />
    </p>
  );
}

function JobPanel() {
  const { details, detailsLoading, detailsError, selectedJobId, progress, cancelling, cancelError, cancel, reloadDetails } = useJobs();
  const { lastEventAt, retrying, retryError, retried, retryFailed } = useJobs();
  const now = useNow();
  if (!selectedJobId) return null;
  if (detailsLoading && !details) return <SkeletonBlock label="Loading job steps" lines={4} />;
  if (detailsError && !details) return <ErrorAlert error={detailsError} onRetry={() => void reloadDetails()} />;
  if (!details || details.id !== selectedJobId) return null;
  const job = liveJob(details, progress[details.id]);
  const running = isRunning(job);
  const stalled = stalledMinutes(job, details.steps, lastEventAt[job.id], now);
  const failedSteps = details.steps.filter((s) => s.status === 'failed').length;
  const canRetry = !running && (failedSteps > 0 || job.stepsFailed > 0);
  // The core says which jobs may be cancelled (a failover never is); the live status says it still runs.
  const cancellable = running && job.cancellable;
  return (
    <section className="panel job-panel" aria-labelledby="job-panel-title">
      <div className="panel-header">
        {/* Focus lands here after a failover starts (its Failover button is gone by then). */}
        <h2 id="job-panel-title" className="panel-title" tabIndex={-1}>
          {JOB_KIND_LABEL[job.kind]} job
        </h2>
        <JobStatusBadge status={job.status} />
        <span className="muted small tabular">
          {job.startedAt ? `started ${formatAbsolute(job.startedAt, { seconds: true })}` : 'queued'}
          {job.finishedAt && ` · finished ${formatAbsolute(job.finishedAt, { seconds: true })}`}
          {` · ${formatDuration(job.startedAt, job.finishedAt, now) ?? '—'}`}
        </span>
        <span className="toolbar-spacer" />
        {canRetry && (
          <button type="button" className="btn btn-primary" disabled={retrying} onClick={() => void retryFailed(job.id)}>
            {retrying ? 'Retrying…' : 'Retry failed items'}
          </button>
        )}
        {cancellable && (
          <button type="button" className="btn btn-danger-outline" disabled={!!cancelling[job.id]} onClick={() => void cancel(job.id)}>
            {cancelling[job.id] ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      <JobPoint job={job} />
      {job.kind !== 'replication' && <ReportExports jobId={job.id} />}
      {(running || job.stepsTotal > 0) && (
        <ProgressBar label={`${JOB_KIND_LABEL[job.kind]} progress`} progress={job} startedAt={job.startedAt} finishedAt={job.finishedAt} />
      )}
      {stalled !== null && (
        <p className="note note-warn" role="status">
          <span aria-hidden="true">⚠ </span>
          No progress for {stalled} {stalled === 1 ? 'minute' : 'minutes'}. The cloud may be throttling or a long operation is still
          running; the job carries on by itself. If it stays stuck, check the provider’s status and the network.
        </p>
      )}
      {job.error && <p className="note note-bad">{job.error}</p>}
      {canRetry && job.kind === 'failover' && (
        <p className="note note-info">
          Retrying failed items continues this failover from its journal; it is not a second failover.
        </p>
      )}
      {retried !== null && (
        <p className="note note-ok" role="status">
          {retried === 0 ? 'No failed items were left to retry.' : `${retried} failed ${retried === 1 ? 'item was' : 'items were'} sent back to work.`}
        </p>
      )}
      <ErrorAlert error={retryError ? { ...retryError, message: `Retry failed items did not start. ${retryError.message}` } : null} compact />
      <ErrorAlert error={cancelError} compact />
      <StepsSection details={details} showPoints={job.kind === 'failover' || job.kind === 'test_failover'} />
      {job.kind === 'failover' && <MappingsSection />}
      {(job.kind === 'failover' || job.kind === 'test_failover') && <WebhooksSection />}
    </section>
  );
}

const STEP_STATUS_OPTIONS: { value: StepStatus | ''; label: string }[] = [
  { value: '', label: 'All statuses' },
  { value: 'failed', label: 'Failed' },
  { value: 'running', label: 'Running' },
  { value: 'pending', label: 'Pending' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'skipped', label: 'Skipped' },
  { value: 'cancelled', label: 'Cancelled' },
];

/** Failed rows first (someone has to act on them), then running, then waiting, then finished; journal order within. */
const STATUS_RANK: Record<StepStatus, number> = { failed: 0, running: 1, pending: 2, cancelled: 3, skipped: 4, succeeded: 5 };

export function orderSteps(steps: readonly JobStepView[]): JobStepView[] {
  return [...steps].sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.seq - b.seq);
}

/** Steps whose resource, type, action or error contains the text (case-insensitive) and that have the status. */
export function filterSteps(steps: readonly JobStepView[], query: string, status: StepStatus | ''): JobStepView[] {
  const q = query.trim().toLowerCase();
  return steps.filter((s) => {
    if (status && s.status !== status) return false;
    if (!q) return true;
    const hay = [s.resourceName ?? '', s.type ? resourceType(s.type).label : '', s.action, s.error ?? '', s.activity ?? ''].join(' ').toLowerCase();
    return hay.includes(q);
  });
}

function StepsSection({ details, showPoints }: { details: JobDetails; showPoints: boolean }) {
  const now = useNow();
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState<StepStatus | ''>('');
  const filterId = useId();
  const shown = useMemo(() => orderSteps(filterSteps(details.steps, query, status)), [details.steps, query, status]);
  const columns = showPoints ? 10 : 9;
  return (
    <section className="job-section" aria-label="Steps of the selected job">
      <div className="section-toolbar">
        <h3 id={`${filterId}-title`} className="job-section-title">
          Steps
        </h3>
        <label className="search">
          <span className="visually-hidden">Search steps</span>
          <input type="search" placeholder="Search resource, type, action or error" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <label className="inline-field">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as StepStatus | '')}>
            {STEP_STATUS_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <span className="counter tabular" aria-live="polite" data-testid="steps-count">
          {shown.length === details.steps.length ? `${details.steps.length} steps` : `${shown.length} of ${details.steps.length} steps`}
        </span>
      </div>
      <TableScroll label="Steps table">
        <table className="table table-dense">
          <caption className="visually-hidden">Steps of the selected job, failed and running first</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                #
              </th>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
              <th scope="col">Action</th>
              <th scope="col">Status</th>
              {showPoints && <th scope="col">Recovery point used</th>}
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col" className="num">
                Duration
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 ? (
              <tr>
                <td colSpan={columns} className="empty-cell">
                  {details.steps.length === 0 ? 'No steps recorded yet.' : 'No step matches the search or the status filter.'}
                </td>
              </tr>
            ) : (
              shown.map((s) => {
                const waiting = waitingFor(s, details.steps);
                const advice = s.status === 'failed' ? adviceFor(s.errorCode) : null;
                const latest = s.type ? resourceType(s.type).usesLatestPoint : false;
                return (
                  <tr key={s.id} className={s.status === 'failed' ? 'row-failed' : s.status === 'running' ? 'row-running' : undefined}>
                    <td className="num tabular muted">{s.seq}</td>
                    <th scope="row" className="cell-name">
                      {s.resourceName ?? <span className="muted">—</span>}
                      {s.status === 'running' && (
                        <p className="cell-activity" data-testid="step-activity">
                          {s.activity ?? 'Working…'}
                        </p>
                      )}
                      {s.error && (
                        <p className="cell-error">
                          {s.error}
                          {s.errorCode && <span className="muted"> ({s.errorCode})</span>}
                        </p>
                      )}
                      {advice && <p className="cell-advice">{advice}</p>}
                      {s.warnings.length > 0 && (
                        <ul className="cell-warnings" aria-label={`${s.action === 'stopReplication' ? 'Left in the source' : 'Not carried to the target'}: ${s.resourceName ?? 'step'}`}>
                          {s.warnings.map((w) => (
                            <li key={w}>{w}</li>
                          ))}
                        </ul>
                      )}
                      {waiting && <p className="cell-waiting">{waiting}</p>}
                      {s.status === 'running' && s.activity && <p className="cell-activity">{s.activity}</p>}
                    </th>
                    <td className="nowrap">{s.type ? resourceType(s.type).label : '—'}</td>
                    <td>{actionLabel(s.action)}</td>
                    <td>{waiting && s.status === 'pending' ? <Badge tone="warn">Waiting</Badge> : <StepStatusBadge status={s.status} />}</td>
                    {showPoints && (
                      <td className="tabular nowrap">
                        {s.recoveryPointId ? (
                          <>
                            {latest && (
                              <>
                                <Badge tone="info" title="This type always fails over from the latest successful recovery point">
                                  Latest
                                </Badge>{' '}
                              </>
                            )}
                            <span title={s.recoveryPointId}>{s.recoveryPointAt ? formatAbsolute(s.recoveryPointAt, { seconds: true }) : s.recoveryPointId}</span>
                          </>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    )}
                    <td className="num tabular">{s.attempts}</td>
                    <td className="tabular nowrap">{s.startedAt ? timeOfDay(s.startedAt) : '—'}</td>
                    <td className="tabular nowrap">{s.finishedAt ? timeOfDay(s.finishedAt) : '—'}</td>
                    <td className="num tabular">{formatDuration(s.startedAt, s.finishedAt, now) ?? '—'}</td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

/** "21:32:07": the date and offset are in the job's header, so step rows show the time of day only. */
function timeOfDay(iso: string): string {
  return formatAbsolute(iso, { seconds: true }).split(' ')[1] ?? iso;
}

function MappingsSection() {
  const { mappings, mappingsError, reloadDetails } = useJobs();
  return (
    <section className="job-section" aria-label="Resource mapping: source to target">
      <h3 id="job-mappings-title" className="job-section-title">
        Resource mapping
      </h3>
      <ErrorAlert error={mappingsError} onRetry={() => void reloadDetails()} compact />
      {mappings === null ? (
        !mappingsError && <SkeletonBlock label="Loading resource mapping" lines={2} />
      ) : mappings.length === 0 ? (
        <p className="muted">No resources mapped yet.</p>
      ) : (
        <TableScroll label="Resource mapping table">
          <table className="table table-dense">
            <caption className="visually-hidden">Resource mapping: source to target</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Source id</th>
                <th scope="col">Target id</th>
              </tr>
            </thead>
            <tbody>
              {mappings.map((m, i) => (
                <tr key={`${m.sourceId}-${m.targetId}-${i}`}>
                  <th scope="row" className="cell-name">
                    {m.name}
                    {m.reused && (
                      <>
                        {' '}
                        <Badge tone="info" title="Already existed in the target (a replica, or a same-named IAM item) and was reused rather than created">
                          Reused
                        </Badge>
                      </>
                    )}
                  </th>
                  <td className="nowrap">{m.kind}</td>
                  <td className="cell-id">
                    <LongId value={m.sourceId} label="source id" />
                  </td>
                  <td className="cell-id">
                    <LongId value={m.targetId} label="target id" prefix="→ " />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

const WEBHOOK_STATUS = {
  pending: ['info', 'Pending'],
  delivered: ['ok', 'Delivered'],
  failed: ['bad', 'Failed'],
} as const;

function WebhooksSection() {
  const { webhooks, webhooksError, reloadDetails } = useJobs();
  const now = useNow();
  if (webhooks !== null && webhooks.length === 0 && !webhooksError) {
    return (
      <section className="job-section" aria-label="Webhook deliveries">
        <h3 id="job-webhooks-title" className="job-section-title">
          Webhook
        </h3>
        <p className="muted">No webhook delivery for this job.</p>
      </section>
    );
  }
  return (
    <section className="job-section" aria-label="Webhook deliveries">
      <h3 id="job-webhooks-title" className="job-section-title">
        Webhook
      </h3>
      <ErrorAlert error={webhooksError} onRetry={() => void reloadDetails()} compact />
      {webhooks === null ? (
        !webhooksError && <SkeletonBlock label="Loading webhook deliveries" lines={1} />
      ) : (
        <TableScroll label="Webhook deliveries table">
          <table className="table table-dense">
            <caption className="visually-hidden">Webhook deliveries</caption>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Last response</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((w) => {
                const [tone, text] = WEBHOOK_STATUS[w.status];
                return (
                  <tr key={w.id}>
                    <th scope="row" className="cell-id">
                      <LongId value={w.url} label="webhook URL" />
                      {w.signed && <span className="muted small"> · signed</span>}
                    </th>
                    <td>
                      <Badge tone={tone}>{text}</Badge>
                    </td>
                    <td className="num tabular">{w.attempts}</td>
                    <td>
                      {w.lastStatus !== null && <span className="tabular">HTTP {w.lastStatus}</span>}
                      {w.lastError && <p className="cell-error">{w.lastError}</p>}
                      {w.lastStatus === null && !w.lastError && <span className="muted">—</span>}
                    </td>
                    <td className="tabular small">
                      {w.deliveredAt
                        ? `delivered ${formatAbsolute(w.deliveredAt, { seconds: true })}`
                        : w.nextAttemptAt
                          ? `next attempt ${formatRelative(w.nextAttemptAt, now)}`
                          : `queued ${formatRelative(w.createdAt, now)}`}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
