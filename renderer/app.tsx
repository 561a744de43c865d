// The root component: loads what the app knows about itself, keeps the route in step with the
// address hash, wires live updates, and shows the page for the current route.

import { Fragment, useEffect } from 'react';
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
import { SettingsPage } from './features/settings/settings-page';
import { useSettings } from './features/settings/settings-store';
import { PassphraseGate } from './features/disaster-room/passphrase-gate';
import { WorkspacePage } from './features/disaster-room/workspace-page';

export function App() {
  const route = useApp((s) => s.route);
  const theme = useApp((s) => s.theme);
  const infoError = useApp((s) => s.infoError);
  // Pages re-render from scratch when the display time zone changes, so no time keeps the old zone.
  const zoneVersion = useSettings((s) => s.zoneVersion);

  useThemeEffect(theme);
  useLiveUpdates();

  useEffect(() => {
    void useApp.getState().loadInfo();
    void useSettings.getState().load();
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
    const titles = { policies: 'Policies', policy: 'Policy details', accounts: 'Accounts', audit: 'Audit log', workspace: 'Workspace', settings: 'Settings' } as const;
    document.title = `${titles[route.name]} — Failover Console`;
  }, [route.name]);

  return (
    <AppShell tray={<Toasts />}>
      {infoError && (
        <ErrorAlert
          error={{ ...infoError, message: `The console could not start properly. ${infoError.message}` }}
          onRetry={() => void useApp.getState().loadInfo()}
        />
      )}
      <Fragment key={zoneVersion}>
        {route.name === 'policies' && <PoliciesPage />}
        {route.name === 'policy' && <PolicyDetailsPage key={route.policyId} policyId={route.policyId} tab={route.tab} />}
        {route.name === 'accounts' && <AccountsPage />}
        {route.name === 'audit' && <AuditPage />}
        {route.name === 'workspace' && <WorkspacePage />}
        {route.name === 'settings' && <SettingsPage />}
      </Fragment>
      {/* Failover is offered from the list and from a policy's details; one confirmation serves both. */}
      <FailoverDialog />
      <PassphraseGate />
    </AppShell>
  );
}
