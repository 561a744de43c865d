// In-app notices for finished jobs (dr:job.finished): newest first, a few at a time. Successes
// leave by themselves; failures stay until dismissed, because someone has to act on them.

import { create } from 'zustand';
import type { JobKind, JobStatus } from '../../../shared/domain';
import type { EventPayload } from '../../../shared/ipc/contract';

export type JobFinished = EventPayload<'dr:job.finished'>;

export interface Toast {
  id: string;
  jobId: string;
  policyId: string;
  tone: 'ok' | 'warn' | 'bad' | 'neutral';
  title: string;
  body: string;
  /** Stays until dismissed. */
  sticky: boolean;
}

export const MAX_TOASTS = 4;
export const TOAST_MS = 8_000;

const KIND: Record<JobKind, string> = {
  replication: 'Replication',
  test_failover: 'Test failover',
  reset: 'Reset',
  failover: 'Failover',
};
const OUTCOME: Record<JobStatus, [Toast['tone'], string]> = {
  queued: ['neutral', 'queued'],
  running: ['neutral', 'running'],
  succeeded: ['ok', 'completed'],
  failed: ['bad', 'failed'],
  partially_failed: ['warn', 'partially failed'],
  cancelled: ['neutral', 'cancelled'],
};

export function toastFor(p: JobFinished): Toast {
  const [tone, outcome] = OUTCOME[p.status];
  const sticky = tone === 'bad' || tone === 'warn';
  return {
    // Routine successes of one policy and kind replace each other (an hourly schedule must not
    // pile up notices); every failure keeps its own.
    id: sticky ? `${p.jobId}:${p.status}` : `${p.policyId}:${p.kind}:done`,
    jobId: p.jobId,
    policyId: p.policyId,
    tone,
    title: `${KIND[p.kind]} ${outcome} — ${p.policyName}`,
    body: p.message,
    sticky,
  };
}

interface ToastsState {
  toasts: Toast[];
  push: (p: JobFinished) => void;
  dismiss: (id: string) => void;
}

const timers = new Map<string, ReturnType<typeof setTimeout>>();

export const useToasts = create<ToastsState>()((set, get) => ({
  toasts: [],
  push(p) {
    const toast = toastFor(p);
    // The same job finishing twice (a replayed event) is one notice.
    const rest = get().toasts.filter((t) => t.id !== toast.id);
    const toasts = [toast, ...rest].slice(0, MAX_TOASTS);
    for (const t of get().toasts) if (!toasts.includes(t)) get().dismiss(t.id);
    set({ toasts });
    if (!toast.sticky) {
      clearTimeout(timers.get(toast.id));
      timers.set(
        toast.id,
        setTimeout(() => get().dismiss(toast.id), TOAST_MS),
      );
    }
  },
  dismiss(id) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
}));
