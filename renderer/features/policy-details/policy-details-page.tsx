// Policy details: the header (name, state, source → target, schedule, test resources up, actions:
// Run replication, Test failover, Reset, Failover) and the tabs Resources, Recovery points, Jobs.

import * as Tabs from '@radix-ui/react-tabs';
import { useEffect, useState } from 'react';
import { CLOUD_LABELS } from '../../../shared/catalog';
import { PolicyStateBadge, SimulatedBadge } from '../../components/badges';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { EnvironmentName } from '../../components/environment-name';
import { ErrorAlert } from '../../components/error-alert';
import { describeSchedule, formatAbsolute, formatRelative } from '../../components/format';
import { useNow } from '../../components/clock-store';
import { SkeletonBlock } from '../../components/skeleton';
import { useAccounts } from '../accounts/accounts-store';
import { PolicyFormDialog } from '../policies/policy-form-dialog';
import { usePolicyForm } from '../policies/policy-form-store';
import { usePolicies } from '../policies/policies-store';
import { useApp, type DetailsTab } from '../shell/app-store';
import { JOB_KIND_LABEL, JobsTab } from './jobs-tab';
import { useFailover } from '../failover/failover-store';
import { TestFailoverDialogs } from '../test-failover/test-failover-dialogs';
import { useTestFailover } from '../test-failover/test-failover-store';
import { liveJob, useJobs } from './jobs-store';
import { usePolicyDetails } from './policy-details-store';
import { RecoveryPointsTab } from './recovery-points-tab';
import { useRecoveryPoints } from './recovery-points-store';
import { RecoveryPointRef } from './recovery-point-ref';
import { ResourcesTab } from './resources-tab';
import { ProgressBar } from './progress-bar';

export function PolicyDetailsPage(props: { policyId: string; tab: DetailsTab }) {
  const { policy, loading, error, load, actionError, starting, runReplication, clearActionError } = usePolicyDetails();
  const navigate = useApp((s) => s.navigate);
  const now = useNow();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const openEdit = usePolicyForm((s) => s.openEdit);
  const loadAccounts = useAccounts((s) => s.load);
  const runningJob = useJobs((s) => (policy?.runningJobId ? s.jobs?.find((j) => j.id === policy.runningJobId) : undefined));
  const runningProgress = useJobs((s) => (policy?.runningJobId ? s.progress[policy.runningJobId] : undefined));
  const failoverJob = useJobs((s) => (policy?.failoverJobId ? s.jobs?.find((j) => j.id === policy.failoverJobId) : undefined));
  // With a point selected on the Recovery points tab, the tab's own Failover (labelled with that
  // point) is the only one: the header's would fail over from the latest point instead.
  const pointSelected = useRecoveryPoints((s) => s.policyId === props.policyId && s.selected !== null);

  useEffect(() => {
    void load(props.policyId);
    useJobs.getState().open(props.policyId);
  }, [props.policyId, load]);

  if (error && !policy) {
    return (
      <>
        <BackLink />
        <ErrorAlert error={{ ...error, message: `Could not load the policy. ${error.message}` }} onRetry={() => void load(props.policyId)} />
      </>
    );
  }
  if (!policy || (loading && policy.id !== props.policyId)) {
    return (
      <>
        <BackLink />
        <SkeletonBlock label="Loading policy" lines={4} />
      </>
    );
  }

  const running = policy.runningJobId !== null;
  const active = policy.state === 'active';
  const runDisabledReason = running ? 'A job is running for this policy; wait for it to finish.' : null;
  const live = runningJob ? liveJob(runningJob, runningProgress) : null;
  const progress = runningProgress ?? live;
  const runningKind = runningProgress?.kind ?? runningJob?.kind ?? (policy.state === 'failing_over' ? 'failover' : 'replication');

  const onEdit = async () => {
    if (!useAccounts.getState().environments) await loadAccounts({ quiet: true });
    const env = useAccounts.getState().environments?.find((e) => e.id === policy.sourceEnvironment.id);
    openEdit(policy, env?.accountId ?? '');
  };

  return (
    <>
      <BackLink />
      <div className="details-header">
        <div className="details-title">
          <h1>{policy.name}</h1>
          <PolicyStateBadge state={policy.state} />
          {policy.failedOverAt && (
            <span className="muted tabular">
              <time dateTime={policy.failedOverAt}>{formatAbsolute(policy.failedOverAt)}</time>
            </span>
          )}
          {policy.simulated && <SimulatedBadge />}
        </div>
        {/* A failed-over (or failing-over) policy is read-only: its actions are gone, not greyed out. */}
        {active && (
          <div className="details-actions">
            <button
              type="button"
              className="btn btn-primary"
              disabled={runDisabledReason !== null || starting}
              aria-describedby={runDisabledReason ? 'run-disabled-reason' : undefined}
              onClick={() => void runReplication().then((id) => (id ? useJobs.getState().load({ quiet: true }) : undefined))}
            >
              {starting ? 'Starting…' : 'Run replication'}
            </button>
            <button type="button" className="btn" onClick={() => useTestFailover.getState().openRun(policy.id)}>
              Test failover
            </button>
            <button type="button" className="btn" onClick={() => useTestFailover.getState().openReset(policy.id)}>
              Reset
            </button>
            {!(props.tab === 'recovery-points' && pointSelected) && (
              <button type="button" className="btn btn-danger" onClick={() => void useFailover.getState().openFor(policy.id)}>
                Failover
              </button>
            )}
            <span className="actions-divider" aria-hidden="true" />
            <button type="button" className="btn" onClick={() => void onEdit()}>
              Edit
            </button>
            <button type="button" className="btn btn-danger-outline" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      {active && runDisabledReason && (
        <p id="run-disabled-reason" className="action-reason">
          <span className="info-dot" aria-hidden="true">
            i
          </span>
          Run replication is unavailable: {runDisabledReason}
        </p>
      )}
      {policy.state !== 'active' && <ReadOnlyNotice state={policy.state} failedOverAt={policy.failedOverAt} />}
      <dl className="facts">
        <div>
          <dt>Source → target</dt>
          <dd>
            <EnvironmentName env={policy.sourceEnvironment} />
            <span aria-label="to"> → </span>
            <EnvironmentName env={policy.targetEnvironment} />
          </dd>
        </div>
        <div>
          <dt>Cloud</dt>
          <dd>{CLOUD_LABELS[policy.cloud]}</dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd className="tabular">
            {active ? describeSchedule(policy.schedule) : 'Stopped'}
            {active && policy.nextReplicationAt && (
              <span className="muted">
                {' '}
                · next <time dateTime={policy.nextReplicationAt}>{formatAbsolute(policy.nextReplicationAt)}</time> ({formatRelative(policy.nextReplicationAt, now)})
              </span>
            )}
          </dd>
        </div>
        {policy.failoverJobId ? (
          // After (or during) failover what matters is the point it used, which may be an older one.
          <div>
            <dt>Failed over from</dt>
            <dd className="tabular">
              {failoverJob?.recoveryPointId ? (
                <RecoveryPointRef id={failoverJob.recoveryPointId} at={failoverJob.recoveryPointAt} />
              ) : (
                <span className="muted">Loading…</span>
              )}
            </dd>
          </div>
        ) : (
        <div>
          <dt>Latest recovery point</dt>
          <dd className="tabular">
            {policy.latestRecoveryPointAt ? (
              <>
                {formatAbsolute(policy.latestRecoveryPointAt, { seconds: true })} <span className="muted">· {formatRelative(policy.latestRecoveryPointAt, now)}</span>
              </>
            ) : (
              <span className="muted">None yet</span>
            )}
          </dd>
        </div>
        )}
        <div>
          <dt>Test resources</dt>
          <dd>
            <button type="button" className="linklike tabular" onClick={() => useTestFailover.getState().openList(policy.id)}>
              {policy.liveTestResourceCount.toLocaleString('en-GB')} test {policy.liveTestResourceCount === 1 ? 'resource' : 'resources'} up
            </button>
          </dd>
        </div>
        <div>
          <dt>Webhook</dt>
          <dd className="mono cell-truncate" title={policy.webhookUrl ?? undefined}>
            {policy.webhookUrl ?? <span className="muted">None</span>}
            {policy.webhookUrl && policy.webhookSigned && <span className="muted small"> · signed</span>}
          </dd>
        </div>
      </dl>
      {/* On the Jobs tab the selected job's panel shows the same progress; one bar is enough there. */}
      {running && progress && props.tab !== 'jobs' && (
        <div className={runningKind === 'failover' ? 'running-banner running-banner-failover' : 'running-banner'}>
          <ProgressBar label={`${JOB_KIND_LABEL[runningKind]} running`} progress={progress} startedAt={runningJob?.startedAt ?? null} />
        </div>
      )}
      {actionError && (
        <div className="stack-gap">
          <ErrorAlert error={actionError} onRetry={clearActionError} retryLabel="Dismiss" />
        </div>
      )}
      <Tabs.Root
        className="tabs"
        value={props.tab}
        onValueChange={(v) => navigate({ name: 'policy', policyId: policy.id, tab: v as DetailsTab })}
        activationMode="manual"
      >
        <Tabs.List className="tab-list" aria-label="Policy details">
          <Tabs.Trigger className="tab" value="resources">
            Resources
          </Tabs.Trigger>
          <Tabs.Trigger className="tab" value="recovery-points">
            Recovery points
          </Tabs.Trigger>
          <Tabs.Trigger className="tab" value="jobs">
            Jobs
          </Tabs.Trigger>
        </Tabs.List>
        <Tabs.Content className="tab-panel" value="resources">
          <ResourcesTab policy={policy} />
        </Tabs.Content>
        <Tabs.Content className="tab-panel" value="recovery-points">
          <RecoveryPointsTab policyId={policy.id} failoverAllowed={active} />
        </Tabs.Content>
        <Tabs.Content className="tab-panel" value="jobs">
          <JobsTab policyId={policy.id} />
        </Tabs.Content>
      </Tabs.Root>
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title="Delete policy"
        confirmLabel="Delete policy"
        danger
        onConfirm={async () => {
          await usePolicyDetails.getState().deletePolicy();
          void usePolicies.getState().load({ quiet: true });
          navigate({ name: 'policies' });
        }}
      >
        <p>
          Delete <strong>{policy.name}</strong>? Its schedule stops and its {policy.resources.length} protected resources are no longer
          replicated. Recovery points and job history of this policy are deleted with it. Resources in the clouds are not touched.
        </p>
      </ConfirmDialog>
      <TestFailoverDialogs policyName={policy.name} latestRecoveryPointAt={policy.latestRecoveryPointAt} />
      <PolicyFormDialog
        onSaved={() => {
          void load(policy.id, { quiet: true });
          void usePolicies.getState().load({ quiet: true });
        }}
      />
    </>
  );
}

function ReadOnlyNotice(props: { state: 'failing_over' | 'failed_over'; failedOverAt: string | null }) {
  return (
    <div className="note note-neutral read-only-notice" role="note">
      {props.state === 'failing_over' ? (
        <p>
          <strong>Failing over.</strong> The one-time failover job is running; this policy is read-only. Follow it on the Jobs tab; if
          items fail, retry them there until the job completes.
        </p>
      ) : (
        <p>
          <strong>
            Failed over{props.failedOverAt ? ` on ${formatAbsolute(props.failedOverAt, { seconds: true })}` : ''}.
          </strong>{' '}
          This policy is read-only: its replication has stopped for good and it cannot fail over, test failover or replicate again. To
          protect the same resources again, create a new policy.
        </p>
      )}
    </div>
  );
}

function BackLink() {
  const navigate = useApp((s) => s.navigate);
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <a
        href="#/policies"
        onClick={(e) => {
          e.preventDefault();
          navigate({ name: 'policies' });
        }}
      >
        Policies
      </a>
      <span aria-hidden="true"> / </span>
      <span aria-current="page">Policy details</span>
    </nav>
  );
}
