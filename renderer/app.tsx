// The root component: loads what the app knows about itself, keeps the route in step with the
// address hash, wires live updates, and shows the page for the current route.

import { useEffect } from 'react';
import { ErrorAlert } from './components/error-alert';
import { startClock } from './components/clock-store';
import { AccountsPage } from './features/accounts/accounts-page';
import { AuditPage } from './features/audit/audit-page';
import { FailoverDialog } from './features/failover/failover-dialog';
import { Toasts } from './features/notifications/toasts';
import { PoliciesPage } from './features/policies/policies-page';
import { PolicyDetailsPage } from './features/policy-details/policy-details-page';
import { useAccounts } from './features/accounts/accounts-store';
import { AppShell } from './features/shell/app-shell';
import { useApp } from './features/shell/app-store';
import { useLiveUpdates } from './features/shell/live-updates';
import { useThemeEffect } from './features/shell/theme';
import { PassphraseGate } from './features/disaster-room/passphrase-gate';
import { WorkspacePage } from './features/disaster-room/workspace-page';

export function App() {
  const route = useApp((s) => s.route);
  const theme = useApp((s) => s.theme);
  const infoError = useApp((s) => s.infoError);

  useThemeEffect(theme);
  useLiveUpdates();

  useEffect(() => {
    void useApp.getState().loadInfo();
    // Accounts feed the rehearsal badge on every page.
    void useAccounts.getState().load({ quiet: true });
    const stopClock = startClock();
    const onHash = () => useApp.getState().syncFromHash();
    window.addEventListener('hashchange', onHash);
    return () => {
      stopClock();
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  useEffect(() => {
    // Each page's heading says where you are; the window title says it too.
    const titles = { policies: 'Policies', policy: 'Policy details', accounts: 'Accounts', audit: 'Audit log', workspace: 'Workspace' } as const;
    document.title = `${titles[route.name]} — Failover Console`;
  }, [route.name]);

  return (
    <AppShell>
      {infoError && (
        <ErrorAlert
          error={{ ...infoError, message: `The console could not start properly. ${infoError.message}` }}
          onRetry={() => void useApp.getState().loadInfo()}
        />
      )}
      {route.name === 'policies' && <PoliciesPage />}
      {route.name === 'policy' && <PolicyDetailsPage key={route.policyId} policyId={route.policyId} tab={route.tab} />}
      {route.name === 'accounts' && <AccountsPage />}
      {route.name === 'audit' && <AuditPage />}
      {route.name === 'workspace' && <WorkspacePage />}
      {/* Failover is offered from the list and from a policy's details; one confirmation serves both. */}
      <FailoverDialog />
      <PassphraseGate />
      <Toasts />
    </AppShell>
  );
}
