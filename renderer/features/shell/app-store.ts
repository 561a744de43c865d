// App-wide state: what the core says about itself (app.info), where the operator is (a hash route,
// so Back works and tests can deep-link), and the colour theme.

import { create } from 'zustand';
import type { DrErrorData } from '../../../shared/errors';
import type { ResponseOf } from '../../../shared/ipc/contract';
import { call, toErrorData } from '../../api';

export type AppInfo = ResponseOf<'dr:app.info'>;
export type StorageState = AppInfo['storage'];
export type DetailsTab = 'resources' | 'recovery-points' | 'jobs';
export type Route =
  | { name: 'policies' }
  | { name: 'policy'; policyId: string; tab: DetailsTab }
  | { name: 'accounts' }
  | { name: 'audit' }
  | { name: 'workspace' }
  | { name: 'settings' };

export type ThemeChoice = 'system' | 'light' | 'dark';
const THEME_KEY = 'failover-console.theme';
const TABS: DetailsTab[] = ['resources', 'recovery-points', 'jobs'];

export function parseHash(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'accounts') return { name: 'accounts' };
  if (parts[0] === 'audit') return { name: 'audit' };
  if (parts[0] === 'workspace') return { name: 'workspace' };
  if (parts[0] === 'settings') return { name: 'settings' };
  if (parts[0] === 'policies' && parts[1]) {
    const tab = TABS.find((t) => t === parts[2]) ?? 'resources';
    return { name: 'policy', policyId: parts[1], tab };
  }
  return { name: 'policies' };
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case 'policy':
      return `#/policies/${encodeURIComponent(route.policyId)}/${route.tab}`;
    case 'accounts':
      return '#/accounts';
    case 'audit':
      return '#/audit';
    case 'workspace':
      return '#/workspace';
    case 'settings':
      return '#/settings';
    default:
      return '#/policies';
  }
}

function readTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

interface AppState {
  info: AppInfo | null;
  infoLoading: boolean;
  infoError: DrErrorData | null;
  route: Route;
  theme: ThemeChoice;
  creatingWorkspace: boolean;
  workspaceError: DrErrorData | null;
  /** Asks the Accounts page to open its add-account dialog once it mounts. */
  addAccountRequested: boolean;
  loadInfo: () => Promise<void>;
  /** Read-only mode (after a failed write), as main reports it; null until app.info answered. */
  storage: StorageState | null;
  recheckingStorage: boolean;
  storageError: DrErrorData | null;
  setStorage: (storage: StorageState) => void;
  recheckStorage: () => Promise<void>;
  createRehearsal: () => Promise<boolean>;
  navigate: (route: Route) => void;
  syncFromHash: () => void;
  setTheme: (theme: ThemeChoice) => void;
  requestAddAccount: () => void;
  consumeAddAccountRequest: () => boolean;
}

export const useApp = create<AppState>()((set, get) => ({
  info: null,
  infoLoading: false,
  infoError: null,
  route: parseHash(typeof location === 'undefined' ? '' : location.hash),
  theme: readTheme(),
  creatingWorkspace: false,
  workspaceError: null,
  addAccountRequested: false,
  storage: null,
  recheckingStorage: false,
  storageError: null,

  setStorage(storage) {
    set({ storage });
  },

  async recheckStorage() {
    if (get().recheckingStorage) return;
    set({ recheckingStorage: true, storageError: null });
    try {
      const storage = await call('dr:storage.recheck', {});
      set({ storage, recheckingStorage: false });
    } catch (err) {
      set({ recheckingStorage: false, storageError: toErrorData(err) });
    }
  },

  async loadInfo() {
    set({ infoLoading: true, infoError: null });
    try {
      const info = await call('dr:app.info', {});
      set({ info, infoLoading: false, storage: info.storage });
    } catch (err) {
      set({ infoError: toErrorData(err), infoLoading: false });
    }
  },

  async createRehearsal() {
    if (get().creatingWorkspace) return false;
    set({ creatingWorkspace: true, workspaceError: null });
    try {
      await call('dr:workspace.createRehearsal', {});
      set({ creatingWorkspace: false });
      await get().loadInfo();
      return true;
    } catch (err) {
      set({ creatingWorkspace: false, workspaceError: toErrorData(err) });
      return false;
    }
  },

  navigate(route) {
    const hash = routeHash(route);
    if (location.hash !== hash) location.hash = hash;
    set({ route });
  },

  syncFromHash() {
    const next = parseHash(location.hash);
    if (routeHash(next) !== routeHash(get().route)) set({ route: next });
  },

  setTheme(theme) {
    try {
      if (theme === 'system') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, theme);
    } catch {
      // Storage can be unavailable (private profile); the choice still holds for this session.
    }
    set({ theme });
  },

  requestAddAccount() {
    set({ addAccountRequested: true });
    get().navigate({ name: 'accounts' });
  },

  consumeAddAccountRequest() {
    const requested = get().addAccountRequested;
    if (requested) set({ addAccountRequested: false });
    return requested;
  },
}));
