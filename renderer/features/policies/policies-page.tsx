// The Policies page: every resilience policy with where it replicates, its state, its latest
// recovery point and its schedule; the way into Create policy and into each policy's details.

import { useEffect } from 'react';
import type { PolicySummary } from '../../../shared/domain';
import { PolicyStateBadge, SimulatedBadge } from '../../components/badges';
import { EnvironmentName } from '../../components/environment-name';
import { ErrorAlert } from '../../components/error-alert';
import { describeSchedule, formatAbsolute, formatRelative } from '../../components/format';
import { useNow } from '../../components/clock-store';
import { TableBodyState } from '../../components/table-body-state';
import { useAccounts } from '../accounts/accounts-store';
import { useFailover } from '../failover/failover-store';
import { useApp } from '../shell/app-store';
import { WelcomePanel } from '../workspace/welcome-panel';
import { PolicyFormDialog } from './policy-form-dialog';
import { usePolicyForm } from './policy-form-store';
import { usePolicies } from './policies-store';

export function PoliciesPage() {
  const { policies, loading, error, load } = usePolicies();
  const info = useApp((s) => s.info);
  const navigate = useApp((s) => s.navigate);
  const openCreate = usePolicyForm((s) => s.openCreate);
  const loadAccounts = useAccounts((s) => s.load);

  useEffect(() => {
    void load({ quiet: policies !== null });
    // Only on arrival; live events refresh it afterwards.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const showWelcome = info !== null && !info.workspaceReady && (policies?.length ?? 0) === 0;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Policies</h1>
          <p className="page-subtitle">Resilience policies protect resources from a source environment to a target environment.</p>
        </div>
        {!showWelcome && (
          <button type="button" className="btn btn-primary" onClick={openCreate}>
            Create policy
          </button>
        )}
      </div>
      {showWelcome ? (
        <WelcomePanel
          onCreated={() => {
            void load({ quiet: true });
            void loadAccounts({ quiet: true });
          }}
        />
      ) : error ? (
        <ErrorAlert error={{ ...error, message: `Could not load policies. ${error.message}` }} onRetry={() => void load()} />
      ) : (
        <PoliciesTable policies={policies} loading={loading || policies === null} onOpen={(id) => navigate({ name: 'policy', policyId: id, tab: 'resources' })} onCreate={openCreate} />
      )}
      <PolicyFormDialog
        onSaved={(p) => {
          void load({ quiet: true });
          navigate({ name: 'policy', policyId: p.id, tab: 'resources' });
        }}
      />
    </>
  );
}

function PoliciesTable(props: { policies: PolicySummary[] | null; loading: boolean; onOpen: (id: string) => void; onCreate: () => void }) {
  const now = useNow();
  const { policies } = props;
  return (
    <div className="panel">
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Resilience policies</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Source → Target</th>
              <th scope="col">State</th>
              <th scope="col">Latest recovery point</th>
              <th scope="col" className="num">
                Resources
              </th>
              <th scope="col">Schedule / next run</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <TableBodyState
            rows={policies}
            columns={7}
            loading={props.loading}
            loadingRows={4}
            loadingLabel="Loading policies"
            empty={
              <>
                <p className="empty-title">No policies yet</p>
                <p>A policy protects resources from a source environment to a target environment and replicates them on a schedule.</p>
                <button type="button" className="btn btn-primary" onClick={props.onCreate}>
                  Create policy
                </button>
              </>
            }
          >
            {(p) => (
              <tr key={p.id}>
                <th scope="row" className="cell-name">
                  <a
                    href={`#/policies/${encodeURIComponent(p.id)}/resources`}
                    onClick={(e) => {
                      e.preventDefault();
                      props.onOpen(p.id);
                    }}
                  >
                    {p.name}
                  </a>
                  {p.simulated && (
                    <>
                      {' '}
                      <SimulatedBadge />
                    </>
                  )}
                </th>
                <td>
                  <EnvironmentName env={p.sourceEnvironment} />
                  <span className="arrow" aria-label="to">
                    {' → '}
                  </span>
                  <EnvironmentName env={p.targetEnvironment} />
                </td>
                <td>
                  <PolicyStateBadge state={p.state} />
                  {p.runningJobId && p.state === 'active' && <span className="muted small"> · job running</span>}
                  {p.state === 'failed_over' && <span className="muted small"> · read-only</span>}
                </td>
                <td className="tabular">
                  {p.latestRecoveryPointAt ? (
                    <time dateTime={p.latestRecoveryPointAt}>
                      {formatAbsolute(p.latestRecoveryPointAt)} <span className="muted">· {formatRelative(p.latestRecoveryPointAt, now)}</span>
                    </time>
                  ) : (
                    <span className="muted">None yet</span>
                  )}
                </td>
                <td className="num tabular">{p.resourceCount.toLocaleString('en-GB')}</td>
                <td className="tabular">
                  {p.state !== 'active' ? (
                    <span className="muted">Stopped</span>
                  ) : (
                    <>
                      {describeSchedule(p.schedule)}
                      {p.nextReplicationAt && (
                        <span className="muted">
                          {' '}
                          · next {formatAbsolute(p.nextReplicationAt).split(', ')[1]} ({formatRelative(p.nextReplicationAt, now)})
                        </span>
                      )}
                    </>
                  )}
                </td>
                <td className="cell-actions">
                  {/* Failover is offered only while it is possible; a failed-over policy says so in State. */}
                  {p.state === 'active' && (
                    <button
                      type="button"
                      className="btn btn-small btn-danger-outline"
                      onClick={() => void useFailover.getState().openFor(p.id)}
                    >
                      Failover
                    </button>
                  )}
                </td>
              </tr>
            )}
          </TableBodyState>
        </table>
      </div>
    </div>
  );
}
