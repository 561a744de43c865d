// The connectivity indicator: a topbar badge while any account is offline, and a per-account cell
// (state, last successful call, Check now) for the accounts table.

import { useEffect } from 'react';
import { onEvent } from '../../api';
import { formatAbsolute } from '../../components/format';
import { useConnectivity } from './connectivity-store';

/** Keeps the connectivity store current for the whole app (mount once, in the shell). */
export function OfflineBadge() {
  const byAccount = useConnectivity((s) => s.byAccount);
  useEffect(() => {
    void useConnectivity.getState().load();
    return onEvent('dr:connectivity.changed', () => void useConnectivity.getState().load());
  }, []);
  const offline = Object.values(byAccount).filter((c) => c.status === 'offline').length;
  if (offline === 0) return null;
  return (
    <span className="offline-badge" role="status">
      Offline — {offline} cloud account{offline === 1 ? '' : 's'} unreachable; the console works from its local data
    </span>
  );
}

export function AccountConnection({ accountId }: { accountId: string }) {
  const c = useConnectivity((s) => s.byAccount[accountId]);
  const checking = useConnectivity((s) => s.checking[accountId] ?? false);
  const last = c?.lastOkAt ? `last successful call ${formatAbsolute(c.lastOkAt)}` : 'no successful call yet';
  const label = !c || c.status === 'unknown' ? 'Not checked' : c.status === 'online' ? 'Online' : 'Offline';
  return (
    <span className={`connection connection-${c?.status ?? 'unknown'}`}>
      <span className="connection-state">{label}</span>
      <span className="connection-detail"> · {last}</span>
      <button type="button" className="btn btn-ghost btn-small" disabled={checking} onClick={() => void useConnectivity.getState().check(accountId)}>
        {checking ? 'Checking…' : 'Check now'}
      </button>
    </span>
  );
}
