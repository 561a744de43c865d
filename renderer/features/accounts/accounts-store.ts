// Cloud accounts and their environments. Secrets go out in create requests and never come back:
// the store only ever holds names and metadata.

import { create } from 'zustand';
import type { AccountCreateInput, AccountView, EnvironmentCreateInput, EnvironmentView } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import type { ResponseOf } from '../../../shared/ipc/contract';
import { call, toErrorData } from '../../api';
import { useApp } from '../shell/app-store';

export type ConnectionTest = { state: 'testing' } | { state: 'done'; result: ResponseOf<'dr:accounts.test'> } | { state: 'error'; error: DrErrorData };

interface AccountsState {
  accounts: AccountView[] | null;
  environments: EnvironmentView[] | null;
  loading: boolean;
  error: DrErrorData | null;
  tests: Record<string, ConnectionTest>;
  load: (opts?: { quiet?: boolean }) => Promise<void>;
  createAccount: (input: AccountCreateInput) => Promise<AccountView>;
  deleteAccount: (accountId: string) => Promise<void>;
  testAccount: (accountId: string) => Promise<void>;
  createEnvironment: (input: EnvironmentCreateInput) => Promise<EnvironmentView>;
  deleteEnvironment: (environmentId: string) => Promise<void>;
}

/**
 * The workspace is ready once it has an account (main decides): asks again after accounts change —
 * after an addition only while it is not ready yet (more accounts change nothing), after a removal
 * always (the last one may have gone).
 */
function refreshWorkspaceReadiness(change: 'added' | 'removed'): Promise<void> {
  const info = useApp.getState().info;
  if (!info || (change === 'added' && info.workspaceReady !== false)) return Promise.resolve();
  return useApp.getState().loadInfo();
}

export const useAccounts = create<AccountsState>()((set, get) => ({
  accounts: null,
  environments: null,
  loading: false,
  error: null,
  tests: {},

  async load(opts = {}) {
    if (!opts.quiet) set({ loading: true, error: null });
    try {
      const [accounts, environments] = await Promise.all([
        call('dr:accounts.list', {}),
        call('dr:environments.list', {}),
      ]);
      set({ accounts, environments, loading: false, error: null });
    } catch (err) {
      set({ loading: false, error: toErrorData(err) });
    }
  },

  async createAccount(input) {
    const account = await call('dr:accounts.create', input);
    // The first account makes the workspace ready: the Policies page then offers Create policy, not the welcome.
    await Promise.all([get().load({ quiet: true }), refreshWorkspaceReadiness('added')]);
    return account;
  },

  async deleteAccount(accountId) {
    await call('dr:accounts.delete', { accountId });
    await Promise.all([get().load({ quiet: true }), refreshWorkspaceReadiness('removed')]);
  },

  async testAccount(accountId) {
    set({ tests: { ...get().tests, [accountId]: { state: 'testing' } } });
    try {
      const result = await call('dr:accounts.test', { accountId });
      set({ tests: { ...get().tests, [accountId]: { state: 'done', result } } });
    } catch (err) {
      set({ tests: { ...get().tests, [accountId]: { state: 'error', error: toErrorData(err) } } });
    }
  },

  async createEnvironment(input) {
    const env = await call('dr:environments.create', input);
    await get().load({ quiet: true });
    return env;
  },

  async deleteEnvironment(environmentId) {
    await call('dr:environments.delete', { environmentId });
    await get().load({ quiet: true });
  },
}));
