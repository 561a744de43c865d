// The Failover confirmation's state: main prepares the plan (point, per-resource actions, warnings,
// single-use token); OK sends only the token back, so main re-checks everything and decides.

import { create } from 'zustand';
import type { FailoverPlan } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

interface FailoverState {
  open: boolean;
  policyId: string | null;
  /** The point the operator chose on the Recovery points tab; null means the latest successful one. */
  recoveryPointId: string | null;
  plan: FailoverPlan | null;
  preparing: boolean;
  prepareError: DrErrorData | null;
  /** The deliberate act an irreversible action needs before OK is enabled. */
  acknowledged: boolean;
  starting: boolean;
  startError: DrErrorData | null;
  /** The job OK started, until the confirmation opens again (focus then goes to that job). */
  startedJobId: string | null;
  /** Opens the confirmation and asks main for the plan. */
  openFor: (policyId: string, recoveryPointId?: string | null) => Promise<void>;
  setAcknowledged: (on: boolean) => void;
  /** Runs failover from the plan's point; resolves with the job id, or null when main refused. */
  start: () => Promise<string | null>;
  /**
   * The target could not be reached for the failover lease: start anyway, without it, for a reason
   * the audit log keeps. Prepares again (the refused start spent its token).
   */
  startWithoutLease: (reason: string) => Promise<string | null>;
  close: () => void;
}

let prepareSeq = 0;

export const useFailover = create<FailoverState>()((set, get) => ({
  open: false,
  policyId: null,
  recoveryPointId: null,
  plan: null,
  preparing: false,
  prepareError: null,
  acknowledged: false,
  starting: false,
  startError: null,
  startedJobId: null,

  async openFor(policyId, recoveryPointId = null) {
    const mine = ++prepareSeq;
    set({
      open: true,
      policyId,
      recoveryPointId,
      plan: null,
      preparing: true,
      prepareError: null,
      acknowledged: false,
      starting: false,
      startError: null,
      startedJobId: null,
    });
    try {
      const plan = await call('dr:failover.prepare', recoveryPointId ? { policyId, recoveryPointId } : { policyId });
      if (mine === prepareSeq && get().open) set({ plan, preparing: false });
    } catch (err) {
      if (mine === prepareSeq && get().open) set({ prepareError: toErrorData(err), preparing: false });
    }
  },

  setAcknowledged(on) {
    set({ acknowledged: on, startError: null });
  },

  async start() {
    const { plan, acknowledged, starting } = get();
    // A second click while the first is on its way must not send a second start (main refuses it
    // anyway; this keeps the operator from seeing a confusing error for their own double click).
    if (!plan || !acknowledged || starting) return null;
    set({ starting: true, startError: null });
    try {
      const { jobId } = await call('dr:failover.start', { token: plan.token });
      set({ starting: false, open: false, startedJobId: jobId });
      return jobId;
    } catch (err) {
      set({ starting: false, startError: toErrorData(err) });
      return null;
    }
  },

  async startWithoutLease(reason) {
    const { policyId, plan, starting } = get();
    if (!policyId || !plan || starting) return null;
    set({ starting: true, startError: null });
    try {
      const fresh = await call('dr:failover.prepare', { policyId, recoveryPointId: plan.recoveryPoint.id });
      const { jobId } = await call('dr:failover.start', { token: fresh.token, leaseOverride: { reason } });
      // Started like OK's start: the dialog closes and the console follows the job.
      set({ starting: false, open: false, startedJobId: jobId });
      return jobId;
    } catch (err) {
      set({ starting: false, startError: toErrorData(err) });
      return null;
    }
  },

  close() {
    if (get().starting) return;
    prepareSeq++;
    set({ open: false, plan: null, preparing: false, prepareError: null, acknowledged: false, startError: null, startedJobId: null });
  },
}));
