// The policy list: loads `dr:policies.list`, refreshes quietly on live events so the table does
// not flash a skeleton every time a job finishes.

import { create } from 'zustand';
import type { PolicySummary } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

interface PoliciesState {
  policies: PolicySummary[] | null;
  loading: boolean;
  error: DrErrorData | null;
  load: (opts?: { quiet?: boolean }) => Promise<void>;
}

let generation = 0;

export const usePolicies = create<PoliciesState>()((set) => ({
  policies: null,
  loading: false,
  error: null,
  async load(opts = {}) {
    const mine = ++generation;
    if (!opts.quiet) set({ loading: true, error: null });
    try {
      const policies = await call('dr:policies.list', {});
      // A newer request may have finished first; the newest answer wins.
      if (mine === generation) set({ policies, loading: false, error: null });
    } catch (err) {
      if (mine === generation) set({ loading: false, error: toErrorData(err) });
    }
  },
}));
