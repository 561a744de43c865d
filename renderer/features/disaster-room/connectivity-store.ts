// Connectivity per cloud account (main's connectivity monitor): the topbar's offline badge and the
// accounts table's Connection column read it; a push event keeps it current.

import { create } from 'zustand';
import type { ConnectivityView } from '../../../shared/offline';
import { call } from '../../api';

interface ConnectivityState {
  byAccount: Record<string, ConnectivityView>;
  checking: Record<string, boolean>;
  load: () => Promise<void>;
  check: (accountId: string) => Promise<void>;
}

export const useConnectivity = create<ConnectivityState>()((set, get) => ({
  byAccount: {},
  checking: {},
  async load() {
    try {
      const list = await call('dr:connectivity.list', {});
      set({ byAccount: Object.fromEntries(list.map((c) => [c.accountId, c])) });
    } catch {
      // The indicator is advisory; the pages show their own errors.
    }
  },
  async check(accountId) {
    set({ checking: { ...get().checking, [accountId]: true } });
    try {
      const c = await call('dr:connectivity.check', { accountId });
      set({ byAccount: { ...get().byAccount, [accountId]: c } });
    } catch {
      await get().load();
    } finally {
      set({ checking: { ...get().checking, [accountId]: false } });
    }
  },
}));
