// The audit log, one page at a time (it only grows; the newest page comes first).

import { create } from 'zustand';
import type { AuditEntry } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

export const AUDIT_PAGE = 50;

interface AuditState {
  entries: AuditEntry[] | null;
  total: number;
  offset: number;
  loading: boolean;
  error: DrErrorData | null;
  load: (offset: number) => Promise<void>;
}

let seq = 0;

export const useAudit = create<AuditState>()((set) => ({
  entries: null,
  total: 0,
  offset: 0,
  loading: false,
  error: null,
  async load(offset) {
    const mine = ++seq;
    set({ loading: true, error: null, offset });
    try {
      const res = await call('dr:audit.list', { offset, limit: AUDIT_PAGE });
      if (mine === seq) set({ entries: res.items, total: res.total, offset: res.offset, loading: false });
    } catch (err) {
      if (mine === seq) set({ loading: false, error: toErrorData(err) });
    }
  },
}));
