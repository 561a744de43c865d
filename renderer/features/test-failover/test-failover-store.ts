// Test failover and Reset (R1): the Test failover dialog (latest point or a chosen succeeded one),
// the live test resources of a policy, and the Reset confirmation that lists what it deletes.

import { create } from 'zustand';
import type { RecoveryPointView, TestResourceView } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import { call, toErrorData } from '../../api';

/** How many succeeded points the chooser offers; older ones are reached from the Recovery points tab. */
export const CHOOSER_LIMIT = 100;

type Dialog = 'none' | 'run' | 'reset' | 'list';

interface TestFailoverState {
  dialog: Dialog;
  policyId: string | null;
  /** Run dialog: the latest successful point, or the one chosen below. */
  source: 'latest' | 'chosen';
  points: RecoveryPointView[] | null;
  chosenId: string;
  pointsError: DrErrorData | null;
  /** Live (not yet reset) test resources of the policy, for Reset and the list. */
  resources: TestResourceView[] | null;
  resourcesError: DrErrorData | null;
  busy: boolean;
  error: DrErrorData | null;
  openRun: (policyId: string, preselectedPointId?: string | null) => void;
  openReset: (policyId: string) => void;
  openList: (policyId: string) => void;
  setSource: (source: 'latest' | 'chosen') => void;
  choose: (recoveryPointId: string) => void;
  loadResources: () => Promise<void>;
  /** Starts a test failover; resolves with the job id or null (the error stays in the dialog). */
  run: () => Promise<string | null>;
  /** Starts Reset; resolves with the job id or null. */
  reset: () => Promise<string | null>;
  close: () => void;
}

let seq = 0;

export const useTestFailover = create<TestFailoverState>()((set, get) => {
  async function loadPoints(policyId: string, mine: number) {
    try {
      const res = await call('dr:recoveryPoints.list', { policyId, status: 'succeeded', offset: 0, limit: CHOOSER_LIMIT });
      if (mine !== seq) return;
      const chosenId = get().chosenId && res.items.some((p) => p.id === get().chosenId) ? get().chosenId : (res.items[0]?.id ?? '');
      set({ points: res.items, chosenId });
    } catch (err) {
      if (mine === seq) set({ pointsError: toErrorData(err) });
    }
  }

  function reopen(dialog: Dialog, policyId: string) {
    seq++;
    set({
      dialog,
      policyId,
      source: 'latest',
      points: null,
      chosenId: '',
      pointsError: null,
      resources: get().policyId === policyId ? get().resources : null,
      resourcesError: null,
      busy: false,
      error: null,
    });
    return seq;
  }

  return {
    dialog: 'none',
    policyId: null,
    source: 'latest',
    points: null,
    chosenId: '',
    pointsError: null,
    resources: null,
    resourcesError: null,
    busy: false,
    error: null,

    openRun(policyId, preselectedPointId = null) {
      const mine = reopen('run', policyId);
      if (preselectedPointId) set({ source: 'chosen', chosenId: preselectedPointId });
      void loadPoints(policyId, mine);
    },

    openReset(policyId) {
      reopen('reset', policyId);
      void get().loadResources();
    },

    openList(policyId) {
      reopen('list', policyId);
      void get().loadResources();
    },

    setSource(source) {
      set({ source, error: null });
    },

    choose(recoveryPointId) {
      set({ chosenId: recoveryPointId, source: 'chosen', error: null });
    },

    async loadResources() {
      const { policyId } = get();
      if (!policyId) return;
      const mine = seq;
      set({ resourcesError: null });
      try {
        const resources = await call('dr:testResources.list', { policyId });
        if (mine === seq && get().policyId === policyId) set({ resources });
      } catch (err) {
        if (mine === seq) set({ resourcesError: toErrorData(err) });
      }
    },

    async run() {
      const { policyId, source, chosenId, busy } = get();
      if (!policyId || busy) return null;
      if (source === 'chosen' && !chosenId) {
        set({ error: { code: 'ValidationFailed', message: 'Choose a recovery point, or use the latest one.' } });
        return null;
      }
      set({ busy: true, error: null });
      try {
        const { jobId } = await call(
          'dr:testFailover.run',
          source === 'chosen' ? { policyId, recoveryPointId: chosenId } : { policyId },
        );
        set({ busy: false, dialog: 'none' });
        return jobId;
      } catch (err) {
        set({ busy: false, error: toErrorData(err) });
        return null;
      }
    },

    async reset() {
      const { policyId, busy } = get();
      if (!policyId || busy) return null;
      set({ busy: true, error: null });
      try {
        const { jobId } = await call('dr:testFailover.reset', { policyId });
        set({ busy: false, dialog: 'none' });
        return jobId;
      } catch (err) {
        set({ busy: false, error: toErrorData(err) });
        return null;
      }
    },

    close() {
      if (get().busy) return;
      seq++;
      set({ dialog: 'none', error: null });
    },
  };
});
