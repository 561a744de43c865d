// One policy's details and its header actions (Run replication, Delete). The tabs keep their own
// stores; this one owns what the header shows.

import { create } from 'zustand';
import type { PolicyDetails } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

interface PolicyDetailsState {
  policyId: string | null;
  policy: PolicyDetails | null;
  loading: boolean;
  error: DrErrorData | null;
  actionError: DrErrorData | null;
  starting: boolean;
  load: (policyId: string, opts?: { quiet?: boolean }) => Promise<void>;
  runReplication: () => Promise<string | null>;
  deletePolicy: () => Promise<void>;
  clearActionError: () => void;
}

export const usePolicyDetails = create<PolicyDetailsState>()((set, get) => ({
  policyId: null,
  policy: null,
  loading: false,
  error: null,
  actionError: null,
  starting: false,

  async load(policyId, opts = {}) {
    const switching = get().policyId !== policyId;
    if (switching) set({ policyId, policy: null, actionError: null });
    if (!opts.quiet || switching) set({ loading: true, error: null });
    try {
      const policy = await call('dr:policies.get', { policyId });
      if (get().policyId === policyId) set({ policy, loading: false, error: null });
    } catch (err) {
      if (get().policyId === policyId) set({ loading: false, error: toErrorData(err) });
    }
  },

  async runReplication() {
    const { policy, starting } = get();
    if (!policy || starting) return null;
    set({ starting: true, actionError: null });
    try {
      const { jobId } = await call('dr:replication.run', { policyId: policy.id });
      set({ starting: false, policy: { ...policy, runningJobId: jobId } });
      void get().load(policy.id, { quiet: true });
      return jobId;
    } catch (err) {
      set({ starting: false, actionError: toErrorData(err) });
      void get().load(policy.id, { quiet: true });
      return null;
    }
  },

  async deletePolicy() {
    const { policy } = get();
    if (!policy) return;
    // Throws to the confirmation dialog, which shows the sentence and stays open.
    await call('dr:policies.delete', { policyId: policy.id });
  },

  clearActionError() {
    set({ actionError: null });
  },
}));
