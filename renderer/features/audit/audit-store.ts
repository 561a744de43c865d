// The audit log, one page at a time (it only grows; the newest page comes first), filtered by
// policy, actor and kind; with the chain's Verify, exports, and the operator name entries carry.

import { create } from 'zustand';
import type { AuditEntry, AuditFacets, AuditVerdict, ExportResult } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

export const AUDIT_PAGE = 50;

export interface AuditFilters {
  policyId: string;
  actor: string;
  kind: string;
}

const NO_FILTERS: AuditFilters = { policyId: '', actor: '', kind: '' };

interface AuditState {
  entries: AuditEntry[] | null;
  total: number;
  offset: number;
  loading: boolean;
  error: DrErrorData | null;
  filters: AuditFilters;
  facets: AuditFacets | null;
  verdict: AuditVerdict | null;
  verifying: boolean;
  exported: ExportResult | null;
  exporting: boolean;
  actionError: DrErrorData | null;
  operator: { operatorName: string | null; osUser: string; host: string } | null;
  savingOperator: boolean;
  operatorError: DrErrorData | null;
  load: (offset: number) => Promise<void>;
  setFilter: (key: keyof AuditFilters, value: string) => void;
  clearFilters: () => void;
  loadFacets: () => Promise<void>;
  verify: () => Promise<void>;
  exportLog: (format: 'csv' | 'json') => Promise<void>;
  loadOperator: () => Promise<void>;
  saveOperator: (name: string) => Promise<boolean>;
}

let seq = 0;

const filterRequest = (f: AuditFilters) => ({
  ...(f.policyId ? { policyId: f.policyId } : {}),
  ...(f.actor ? { actor: f.actor } : {}),
  ...(f.kind ? { kind: f.kind } : {}),
});

export const useAudit = create<AuditState>()((set, get) => ({
  entries: null,
  total: 0,
  offset: 0,
  loading: false,
  error: null,
  filters: NO_FILTERS,
  facets: null,
  verdict: null,
  verifying: false,
  exported: null,
  exporting: false,
  actionError: null,
  operator: null,
  savingOperator: false,
  operatorError: null,

  async load(offset) {
    const mine = ++seq;
    set({ loading: true, error: null, offset });
    try {
      const res = await call('dr:audit.list', { offset, limit: AUDIT_PAGE, ...filterRequest(get().filters) });
      if (mine === seq) set({ entries: res.items, total: res.total, offset: res.offset, loading: false });
    } catch (err) {
      if (mine === seq) set({ loading: false, error: toErrorData(err) });
    }
  },

  setFilter(key, value) {
    set({ filters: { ...get().filters, [key]: value } });
    void get().load(0);
  },

  clearFilters() {
    set({ filters: NO_FILTERS });
    void get().load(0);
  },

  async loadFacets() {
    try {
      set({ facets: await call('dr:audit.facets', {}) });
    } catch (err) {
      set({ actionError: toErrorData(err) });
    }
  },

  async verify() {
    set({ verifying: true, actionError: null });
    try {
      set({ verdict: await call('dr:audit.verify', {}), verifying: false });
    } catch (err) {
      set({ verifying: false, actionError: toErrorData(err) });
    }
  },

  async exportLog(format) {
    set({ exporting: true, actionError: null, exported: null });
    try {
      const exported = await call('dr:audit.export', { format, ...filterRequest(get().filters) });
      set({ exported, exporting: false });
      // The export is itself recorded; show it when the newest page is on screen.
      if (exported.path && get().offset === 0) void get().load(0);
    } catch (err) {
      set({ exporting: false, actionError: toErrorData(err) });
    }
  },

  async loadOperator() {
    try {
      set({ operator: await call('dr:operator.get', {}) });
    } catch (err) {
      set({ operatorError: toErrorData(err) });
    }
  },

  async saveOperator(name) {
    set({ savingOperator: true, operatorError: null });
    try {
      const operator = await call('dr:operator.set', { operatorName: name.trim() ? name : null });
      set({ operator, savingOperator: false });
      if (get().offset === 0) void get().load(0);
      void get().loadFacets();
      return true;
    } catch (err) {
      set({ savingOperator: false, operatorError: toErrorData(err) });
      return false;
    }
  },
}));
