// The Failover confirmation (R4-R6): the recovery point's time first, then what will happen to
// each resource, the warnings, the test resources to be reset and the webhook. OK needs a
// deliberate tick, because failover is one-time and cannot be undone.

import { useId, useState } from 'react';
import { Field } from '../../components/field';
import { resourceType } from '../../../shared/catalog';
import type { FailoverPlan } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { LEASE_OVERRIDE_PATH } from '../../../shared/offline';
import { Badge } from '../../components/badges';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatRelative, plural } from '../../components/format';
import { Modal, focusWhenReady } from '../../components/modal';
import { SkeletonBlock } from '../../components/skeleton';
import { TableScroll } from '../../components/table-scroll';
import { usePolicies } from '../policies/policies-store';
import { usePolicyDetails } from '../policy-details/policy-details-store';
import { useJobs } from '../policy-details/jobs-store';
import { useApp } from '../shell/app-store';
import { useFailover } from './failover-store';

export function FailoverDialog() {
  const { open, policyId, recoveryPointId, plan, preparing, prepareError, acknowledged, starting, startError } = useFailover();
  const { setAcknowledged, start, close, openFor } = useFailover.getState();
  const navigate = useApp((s) => s.navigate);
  const knownName = usePolicies((s) => s.policies?.find((p) => p.id === policyId)?.name);
  const detailsName = usePolicyDetails((s) => (s.policy?.id === policyId ? s.policy.name : undefined));
  const name = plan?.policyName ?? knownName ?? detailsName;
  const ackId = useId();
  const fromSelected = recoveryPointId !== null;

  /** After OK, or after a start without the lease: the console follows the job. */
  const follow = (jobId: string | null) => {
    if (!jobId || !policyId) return;
    // Follow the job where it runs; the live events keep the page and the list current.
    useJobs.getState().open(policyId);
    useJobs.getState().select(jobId);
    navigate({ name: 'policy', policyId, tab: 'jobs' });
    // The Failover button that opened this is gone now (the policy is read-only): focus the job.
    focusWhenReady('#job-panel-title');
    void usePolicyDetails.getState().load(policyId, { quiet: true });
    void usePolicies.getState().load({ quiet: true });
  };
  const onOk = async () => follow(await start());

  const seeMoreDetails = () => {
    if (!policyId) return;
    close();
    navigate({ name: 'policy', policyId, tab: 'recovery-points' });
  };

  return (
    <Modal
      open={open}
      onOpenChange={(o) => (o ? undefined : close())}
      title={name ? `Fail over ${name}` : 'Failover'}
      size="large"
      returnFocus={() => useFailover.getState().startedJobId !== null}
      description={
        <p>
          Failover is a one-time job for this policy. If you click <strong>OK</strong>, a failover job runs based on the recovery point
          below.
        </p>
      }
      footer={
        <>
          {/* The deliberate act sits next to OK, so it is never scrolled out of sight. */}
          {plan && (
            <label className="checkbox-label ack" htmlFor={ackId}>
              <input
                id={ackId}
                type="checkbox"
                checked={acknowledged}
                disabled={starting}
                onChange={(e) => setAcknowledged(e.target.checked)}
              />
              I understand that failover of {plan.policyName} is one-time and cannot be undone
            </label>
          )}
          <button type="button" className="btn" onClick={close} disabled={starting}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={!plan || !acknowledged || starting}
            aria-describedby={plan && !acknowledged ? `${ackId}-why` : undefined}
            onClick={() => void onOk()}
          >
            {/* The name stays "OK" while busy too, so a person (and a test) finds the same button. */}
            OK
          </button>
        </>
      }
    >
      {preparing && <SkeletonBlock label="Preparing the failover plan" lines={6} />}
      {prepareError && (
        <ErrorAlert
          error={{ ...prepareError, message: `Failover cannot be prepared. ${prepareError.message}` }}
          onRetry={policyId ? () => void openFor(policyId, recoveryPointId) : undefined}
        />
      )}
      {plan && (
        <PlanBody
          plan={plan}
          fromSelected={fromSelected}
          onSeeMoreDetails={seeMoreDetails}
        />
      )}
      {plan && !acknowledged && (
        <p className="visually-hidden" id={`${ackId}-why`}>
          OK is enabled once you tick “I understand”.
        </p>
      )}
      {starting && (
        <p className="note" role="status">
          Starting failover…
        </p>
      )}
      <ErrorAlert
        error={startError ? { ...withoutOverrideMark(startError), message: `Failover did not start. ${startError.message}` } : null}
        onRetry={policyId && startError ? () => void openFor(policyId, recoveryPointId) : undefined}
        retryLabel="Prepare again"
        compact
      />
      {offersLeaseOverride(startError) && <LeaseOverride onStarted={follow} />}
    </Modal>
  );
}

/** The core marks a refusal the lease override can lift (target unreachable, or no lease possible there). */
function offersLeaseOverride(error: DrErrorData | null): boolean {
  return error?.details?.some((d) => d.path === LEASE_OVERRIDE_PATH) ?? false;
}

/** The mark is for the form below, not a line of the alert. */
function withoutOverrideMark(error: DrErrorData): DrErrorData {
  const details = error.details?.filter((d) => d.path !== LEASE_OVERRIDE_PATH);
  return details && details.length > 0 ? { ...error, details } : { code: error.code, message: error.message };
}

/** Start without the target's lease: only for a stated reason, which the audit log keeps. */
function LeaseOverride(props: { onStarted: (jobId: string | null) => void }) {
  const [reason, setReason] = useState('');
  const starting = useFailover((s) => s.starting);
  return (
    <form
      className="lease-override"
      aria-label="Start without the failover lease"
      onSubmit={(e) => {
        e.preventDefault();
        void useFailover.getState().startWithoutLease(reason.trim()).then(props.onStarted);
      }}
    >
      <Field label="Why start without the lease" hint="Only when you are sure no other console is failing this policy over. Recorded in the audit log.">
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} />
      </Field>
      <button type="submit" className="btn btn-danger" disabled={starting || reason.trim().length < 5}>
        Start without the lease
      </button>
    </form>
  );
}

function PlanBody(props: { plan: FailoverPlan; fromSelected: boolean; onSeeMoreDetails: () => void }) {
  const { plan } = props;
  const now = useNow();
  const point = plan.recoveryPoint;
  const isLatest = point.id === plan.latestRecoveryPoint.id;
  const latestUsers = plan.resources.filter((r) => r.usesLatestPoint);
  return (
    <>
      <section className="failover-point" aria-labelledby="failover-point-label">
        <p id="failover-point-label" className="failover-point-label">
          {props.fromSelected ? 'Selected recovery point' : 'Latest recovery point'}
        </p>
        <p className="failover-point-time tabular">
          <time dateTime={point.createdAt} data-testid="failover-point-time">
            {formatAbsolute(point.createdAt, { seconds: true })}
          </time>
          <span className="muted"> · {formatRelative(point.createdAt, now)}</span>
        </p>
        {!isLatest && (
          <p className="small muted">
            The latest successful recovery point is {formatAbsolute(plan.latestRecoveryPoint.createdAt, { seconds: true })}.
          </p>
        )}
        {!props.fromSelected && (
          <p className="small">
            To fail over from another recovery point,{' '}
            <button type="button" className="linklike" onClick={props.onSeeMoreDetails}>
              see more details
            </button>
            .
          </p>
        )}
      </section>

      {plan.warnings.length > 0 && (
        <div className="note note-warn">
          <p className="note-title">
            <span aria-hidden="true">⚠ </span>Before you continue
          </p>
          <ul className="warning-list">
            {plan.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}

      {latestUsers.length > 0 && !isLatest && (
        <p className="note note-info">
          {plural(latestUsers.length, 'resource')} ({latestUsers.map((r) => r.name).join(', ')}) always use the latest successful recovery
          point, whichever point is selected.
        </p>
      )}

      {/* No scroll box of its own: the dialog body is the one scroll container, so no row is cut. */}
      <TableScroll label="What failover does for each resource" className="plan-table">
        <table className="table table-dense">
          <caption className="visually-hidden">What failover does for each resource</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
              <th scope="col">Failover</th>
              <th scope="col">Recovery point used</th>
            </tr>
          </thead>
          <tbody>
            {plan.resources.map((r) => (
              <tr key={r.protectedResourceId}>
                <th scope="row" className="cell-name">
                  {r.name}
                </th>
                <td className="nowrap">{resourceType(r.type).label}</td>
                <td className="plan-action">{r.action}</td>
                <td className="tabular">
                  {r.usesLatestPoint ? (
                    <>
                      <Badge tone="info">Latest</Badge> <span className="nowrap">{formatAbsolute(r.recoveryPointAt, { seconds: true })}</span>
                    </>
                  ) : (
                    <span className="nowrap">{formatAbsolute(r.recoveryPointAt, { seconds: true })}</span>
                  )}
                  {r.note && <p className="small muted">{r.note}</p>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>

      <dl className="review-list">
        <dt>Test resources</dt>
        <dd>
          {plan.testResourcesToReset.length === 0 ? (
            'None up; nothing to reset.'
          ) : (
            <details>
              <summary>
                {plural(plan.testResourcesToReset.length, 'test resource')} will be reset (deleted) first
              </summary>
              <ul className="plain-list">
                {plan.testResourcesToReset.map((t) => (
                  <li key={t.id}>
                    <span className="mono">{t.name}</span> <span className="muted small">{t.kind}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </dd>
        <dt>Webhook</dt>
        <dd>
          {plan.webhookUrl ? (
            <>
              Job details will be POSTed to <span className="mono">{plan.webhookUrl}</span>
            </>
          ) : (
            'None configured'
          )}
        </dd>
        <dt>Confirmation valid until</dt>
        <dd className="tabular">{formatAbsolute(plan.expiresAt, { seconds: true })}</dd>
      </dl>
    </>
  );
}
