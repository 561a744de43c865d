// Backups of the data file: the list main keeps (newest first), Back up now, and Restore (which
// main applies when the console restarts).

import { create } from 'zustand';
import type { DrErrorData } from '../../../shared/errors';
import type { ResponseOf } from '../../../shared/ipc/contract';
import { call, toErrorData } from '../../api';

export type BackupView = ResponseOf<'dr:backups.list'>[number];

interface BackupsState {
  backups: BackupView[] | null;
  busy: boolean;
  error: DrErrorData | null;
  notice: string | null;
  load: () => Promise<void>;
  create: () => Promise<void>;
  restore: (name: string) => Promise<void>;
}

export const useBackups = create<BackupsState>()((set, get) => ({
  backups: null,
  busy: false,
  error: null,
  notice: null,
  async load() {
    try {
      set({ backups: await call('dr:backups.list', {}), error: null });
    } catch (err) {
      set({ error: toErrorData(err) });
    }
  },
  async create() {
    if (get().busy) return;
    set({ busy: true, error: null, notice: null });
    try {
      const made = await call('dr:backups.create', {});
      set({ busy: false, notice: `Backed up as ${made.name}.` });
      await get().load();
    } catch (err) {
      set({ busy: false, error: toErrorData(err) });
    }
  },
  async restore(name) {
    if (get().busy) return;
    set({ busy: true, error: null, notice: null });
    try {
      const r = await call('dr:backups.restore', { name });
      set({ busy: false, notice: r.message });
    } catch (err) {
      set({ busy: false, error: toErrorData(err) });
    }
  },
}));
