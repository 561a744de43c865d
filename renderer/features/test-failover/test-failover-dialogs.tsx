// The Test failover dialog, the Reset confirmation (listing the live test resources it deletes),
// and the list behind "N test resources up" in the policy header.

import { useId } from 'react';
import type { TestResourceView } from '../../../shared/domain';
import { useNow } from '../../components/clock-store';
import { ErrorAlert } from '../../components/error-alert';
import { formatAbsolute, formatRelative, plural } from '../../components/format';
import { Modal } from '../../components/modal';
import { SkeletonBlock } from '../../components/skeleton';
import { usePolicies } from '../policies/policies-store';
import { usePolicyDetails } from '../policy-details/policy-details-store';
import { useJobs } from '../policy-details/jobs-store';
import { useApp } from '../shell/app-store';
import { CHOOSER_LIMIT, useTestFailover } from './test-failover-store';

/** Shows a just-started job where the operator can follow it. */
function followJob(policyId: string, jobId: string) {
  useJobs.getState().open(policyId);
  useJobs.getState().select(jobId);
  useApp.getState().navigate({ name: 'policy', policyId, tab: 'jobs' });
  void usePolicyDetails.getState().load(policyId, { quiet: true });
  void usePolicies.getState().load({ quiet: true });
}

export function TestFailoverDialogs({ policyName, latestRecoveryPointAt }: { policyName: string; latestRecoveryPointAt: string | null }) {
  const dialog = useTestFailover((s) => s.dialog);
  return (
    <>
      <RunDialog open={dialog === 'run'} policyName={policyName} latestRecoveryPointAt={latestRecoveryPointAt} />
      <ResetDialog open={dialog === 'reset'} policyName={policyName} />
      <ListDialog open={dialog === 'list'} policyName={policyName} />
    </>
  );
}

function RunDialog(props: { open: boolean; policyName: string; latestRecoveryPointAt: string | null }) {
  const { policyId, source, points, chosenId, pointsError, busy, error } = useTestFailover();
  const { setSource, choose, run, close } = useTestFailover.getState();
  const now = useNow();
  const chooserId = useId();
  const onRun = async () => {
    const jobId = await run();
    if (jobId && policyId) followJob(policyId, jobId);
  };
  return (
    <Modal
      open={props.open}
      onOpenChange={(o) => (o ? undefined : close())}
      title={`Test failover ${props.policyName}`}
      description={
        <p>
          Creates the protected resources in the target environment under test names, so you can check them. Test failover can be run
          many times; it never touches production replication. Use <strong>Reset</strong> to delete what it created.
        </p>
      }
      footer={
        <>
          <button type="button" className="btn" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void onRun()} disabled={busy}>
            {busy ? 'Starting…' : 'Run test failover'}
          </button>
        </>
      }
    >
      <fieldset className="fieldset">
        <legend className="field-label">Recovery point</legend>
        <div className="radio-list">
          <label className="radio-label">
            <input type="radio" name="test-source" checked={source === 'latest'} onChange={() => setSource('latest')} disabled={busy} />
            Latest successful recovery point
            {props.latestRecoveryPointAt && (
              <span className="muted tabular"> — {formatAbsolute(props.latestRecoveryPointAt, { seconds: true })}</span>
            )}
          </label>
          <label className="radio-label">
            <input type="radio" name="test-source" checked={source === 'chosen'} onChange={() => setSource('chosen')} disabled={busy} />
            A recovery point I choose
          </label>
        </div>
      </fieldset>
      {source === 'chosen' && (
        <div className="field">
          <label className="field-label" htmlFor={chooserId}>
            Successful recovery point
          </label>
          {pointsError ? (
            <ErrorAlert error={pointsError} compact />
          ) : points === null ? (
            <SkeletonBlock label="Loading recovery points" lines={1} />
          ) : points.length === 0 ? (
            <p className="muted">No successful recovery point yet. Run replication first.</p>
          ) : (
            <select id={chooserId} value={chosenId} onChange={(e) => choose(e.target.value)} disabled={busy}>
              {points.map((p) => (
                <option key={p.id} value={p.id}>
                  {formatAbsolute(p.createdAt, { seconds: true })} ({formatRelative(p.createdAt, now)})
                </option>
              ))}
            </select>
          )}
          {points && points.length >= CHOOSER_LIMIT && (
            <p className="field-hint">The newest {CHOOSER_LIMIT} successful points are listed.</p>
          )}
        </div>
      )}
      <ErrorAlert error={error} compact />
    </Modal>
  );
}

function ResetDialog(props: { open: boolean; policyName: string }) {
  const { policyId, resources, resourcesError, busy, error } = useTestFailover();
  const { reset, close, loadResources } = useTestFailover.getState();
  const onReset = async () => {
    const jobId = await reset();
    if (jobId && policyId) followJob(policyId, jobId);
  };
  return (
    <Modal
      open={props.open}
      onOpenChange={(o) => (o ? undefined : close())}
      title={`Reset test resources of ${props.policyName}`}
      description={<p>Reset deletes every resource created by this policy's test failovers. Production resources and replication are not touched.</p>}
      footer={
        <>
          <button type="button" className="btn" onClick={close} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="btn btn-danger" onClick={() => void onReset()} disabled={busy || resources === null}>
            {busy ? 'Starting…' : 'Reset'}
          </button>
        </>
      }
    >
      {resourcesError ? (
        <ErrorAlert error={resourcesError} onRetry={() => void loadResources()} compact />
      ) : resources === null ? (
        <SkeletonBlock label="Loading test resources" lines={3} />
      ) : resources.length === 0 ? (
        <p>No test resources are up. Reset has nothing to delete, but you can still run it to make sure.</p>
      ) : (
        <>
          <p>
            These <strong>{plural(resources.length, 'test resource')}</strong> will be deleted:
          </p>
          <TestResourceTable resources={resources} caption="Test resources Reset will delete" />
        </>
      )}
      <ErrorAlert error={error} compact />
    </Modal>
  );
}

function ListDialog(props: { open: boolean; policyName: string }) {
  const { policyId, resources, resourcesError } = useTestFailover();
  const { close, loadResources, openReset } = useTestFailover.getState();
  return (
    <Modal
      open={props.open}
      onOpenChange={(o) => (o ? undefined : close())}
      title={`Test resources up — ${props.policyName}`}
      description={<p>Resources created by test failovers of this policy and not yet reset.</p>}
      footer={
        <>
          {resources && resources.length > 0 && policyId && (
            <button type="button" className="btn btn-danger-outline" onClick={() => openReset(policyId)}>
              Reset…
            </button>
          )}
          <button type="button" className="btn" onClick={close}>
            Close
          </button>
        </>
      }
    >
      {resourcesError ? (
        <ErrorAlert error={resourcesError} onRetry={() => void loadResources()} compact />
      ) : resources === null ? (
        <SkeletonBlock label="Loading test resources" lines={3} />
      ) : resources.length === 0 ? (
        <p>No test resources are up.</p>
      ) : (
        <TestResourceTable resources={resources} caption="Test resources that are up" />
      )}
    </Modal>
  );
}

function TestResourceTable({ resources, caption }: { resources: TestResourceView[]; caption: string }) {
  const now = useNow();
  return (
    <div className="table-scroll plan-scroll" tabIndex={0} role="region" aria-label={caption}>
      <table className="table table-dense">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Region</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {resources.map((r) => (
            <tr key={r.id}>
              <th scope="row" className="cell-name mono" title={r.nativeId}>
                {r.name}
              </th>
              <td>{r.kind}</td>
              <td className="nowrap">{r.region}</td>
              <td className="tabular nowrap">
                {formatAbsolute(r.createdAt, { seconds: true })} <span className="muted">· {formatRelative(r.createdAt, now)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
