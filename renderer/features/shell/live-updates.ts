// Live updates: one subscription per push event for the whole app. Job progress goes to the jobs
// store (dropping stale sequence numbers); "policies changed" refreshes whatever is on screen; a
// finished job becomes an in-app notice.

import { useEffect } from 'react';
import { onEvent } from '../../api';
import { useAccounts } from '../accounts/accounts-store';
import { usePolicies } from '../policies/policies-store';
import { usePolicyDetails } from '../policy-details/policy-details-store';
import { useJobs } from '../policy-details/jobs-store';
import { useRecoveryPoints } from '../policy-details/recovery-points-store';
import { useToasts } from '../notifications/toasts-store';
import { useApp } from './app-store';

const TERMINAL = new Set(['succeeded', 'failed', 'partially_failed', 'cancelled']);

export function useLiveUpdates(): void {
  useEffect(() => {
    let policiesTimer: ReturnType<typeof setTimeout> | null = null;
    // Events can arrive in bursts (a job finishing touches several things); refresh once per burst.
    const refreshSoon = (policyId: string | null) => {
      if (policiesTimer) clearTimeout(policiesTimer);
      policiesTimer = setTimeout(() => {
        policiesTimer = null;
        void usePolicies.getState().load({ quiet: true });
        const details = usePolicyDetails.getState();
        const shown = details.policy?.id ?? details.policyId;
        if (shown && (policyId === null || policyId === shown)) {
          void details.load(shown, { quiet: true });
          void useRecoveryPoints.getState().refresh();
          void useJobs.getState().load({ quiet: true });
        }
        if (policyId === null) void useAccounts.getState().load({ quiet: true });
        if (useApp.getState().info?.workspaceReady === false) void useApp.getState().loadInfo();
      }, 150);
    };
    const offProgress = onEvent('dr:job.progress', (p) => {
      const accepted = useJobs.getState().applyProgress(p);
      if (accepted && TERMINAL.has(p.status)) refreshSoon(p.policyId);
    });
    const offPolicies = onEvent('dr:policies.changed', (p) => refreshSoon(p.policyId));
    const offStorage = onEvent('dr:storage.changed', (s) => useApp.getState().setStorage(s));
    const offFinished = onEvent('dr:job.finished', (p) => {
      useToasts.getState().push(p);
      refreshSoon(p.policyId);
    });
    return () => {
      offProgress();
      offFinished();
      offPolicies();
      offStorage();
      if (policiesTimer) clearTimeout(policiesTimer);
    };
  }, []);
}
