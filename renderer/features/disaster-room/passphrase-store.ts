// The passphrase lock's state (main's passphrase service): shown at start where the OS has no
// keyring, and on the Workspace page to change it.

import { create } from 'zustand';
import type { DrErrorData } from '../../../shared/errors';
import type { PassphraseStatus } from '../../../shared/offline';
import { call, toErrorData } from '../../api';

interface PassphraseState {
  status: PassphraseStatus | null;
  /** The operator chose to go on without credentials this session. */
  dismissed: boolean;
  busy: boolean;
  error: DrErrorData | null;
  notice: string | null;
  load: () => Promise<void>;
  set: (passphrase: string) => Promise<boolean>;
  unlock: (passphrase: string) => Promise<boolean>;
  change: (current: string, next: string) => Promise<boolean>;
  dismiss: () => void;
}

export const usePassphrase = create<PassphraseState>()((set, get) => {
  const run = async (fn: () => Promise<PassphraseStatus>, notice: string): Promise<boolean> => {
    set({ busy: true, error: null, notice: null });
    try {
      const status = await fn();
      set({ status, busy: false, notice });
      return true;
    } catch (err) {
      set({ busy: false, error: toErrorData(err) });
      void get().load();
      return false;
    }
  };
  return {
    status: null,
    dismissed: false,
    busy: false,
    error: null,
    notice: null,
    async load() {
      try {
        const status = await call('dr:passphrase.status', {});
        set({ status });
      } catch (err) {
        set({ error: toErrorData(err) });
      }
    },
    set: (passphrase) => run(() => call('dr:passphrase.set', { passphrase }), 'Passphrase set: credentials can be stored now.'),
    unlock: (passphrase) => run(() => call('dr:passphrase.unlock', { passphrase }), 'Unlocked: stored credentials can be used.'),
    change: (current, next) => run(() => call('dr:passphrase.change', { current, next }), 'Passphrase changed.'),
    dismiss: () => set({ dismissed: true, error: null }),
  };
});
