// First start: offers the rehearsal workspace (a local simulation, no cloud account needed) or
// the way to a real cloud account.

import { ErrorAlert } from '../../components/error-alert';
import { useApp } from '../shell/app-store';

export function WelcomePanel(props: { onCreated: () => void }) {
  const { creatingWorkspace, workspaceError, createRehearsal, requestAddAccount } = useApp();
  return (
    <section className="welcome" aria-labelledby="welcome-title">
      <h2 id="welcome-title">Welcome to Failover Console</h2>
      <p className="welcome-lead">
        Protect Azure, AWS and Google Cloud resources with resilience policies, rehearse with test failover, and fail over when a
        region is lost. Nothing is set up yet: choose how to start.
      </p>
      <div className="welcome-options">
        <div className="welcome-card welcome-card-primary">
          <h3>Rehearse on a simulated cloud</h3>
          <p>
            Creates a local rehearsal workspace: a simulated account with source and target environments and sample resources of
            every supported type. It runs entirely on this computer, needs no cloud account, and is labelled{' '}
            <strong>Simulated</strong> everywhere it appears.
          </p>
          <button
            type="button"
            className="btn btn-primary"
            disabled={creatingWorkspace}
            onClick={() => void createRehearsal().then((ok) => ok && props.onCreated())}
          >
            {creatingWorkspace ? 'Creating workspace…' : 'Create rehearsal workspace'}
          </button>
        </div>
        <div className="welcome-card">
          <h3>Connect a real cloud</h3>
          <p>
            Add an Azure subscription, AWS account or Google Cloud project with its credentials, then its environments. Credentials
            are encrypted on this computer and never shown again.
          </p>
          <button type="button" className="btn" onClick={requestAddAccount}>
            Add a cloud account
          </button>
        </div>
      </div>
      <ErrorAlert error={workspaceError} />
    </section>
  );
}
