// Jobs of one policy and live progress. Progress events carry a per-job sequence number; anything
// not newer than what we hold is dropped, so late or replayed events never move a bar backwards.

import { create } from 'zustand';
import type { JobDetails, JobView } from '../../../shared/domain';
import type { DrErrorData } from '../../../shared/errors';
import type { EventPayload } from '../../../shared/ipc/contract';
import { call, toErrorData } from '../../api';

export type JobProgress = EventPayload<'dr:job.progress'>;
const PAGE = 50;

interface JobsState {
  policyId: string | null;
  jobs: JobView[] | null;
  total: number;
  loading: boolean;
  error: DrErrorData | null;
  progress: Record<string, JobProgress>;
  selectedJobId: string | null;
  details: JobDetails | null;
  detailsLoading: boolean;
  detailsError: DrErrorData | null;
  cancelling: Record<string, boolean>;
  cancelError: DrErrorData | null;
  open: (policyId: string) => void;
  load: (opts?: { quiet?: boolean }) => Promise<void>;
  loadMore: () => Promise<void>;
  applyProgress: (p: JobProgress) => boolean;
  select: (jobId: string) => void;
  reloadDetails: () => Promise<void>;
  cancel: (jobId: string) => Promise<void>;
}

let detailsTimer: ReturnType<typeof setTimeout> | null = null;
let detailsSeq = 0;
let listSeq = 0;

export const useJobs = create<JobsState>()((set, get) => ({
  policyId: null,
  jobs: null,
  total: 0,
  loading: false,
  error: null,
  progress: {},
  selectedJobId: null,
  details: null,
  detailsLoading: false,
  detailsError: null,
  cancelling: {},
  cancelError: null,

  open(policyId) {
    if (get().policyId !== policyId) {
      set({ policyId, jobs: null, total: 0, selectedJobId: null, details: null, detailsError: null, cancelError: null });
    }
    void get().load({ quiet: get().jobs !== null });
  },

  async load(opts = {}) {
    const { policyId } = get();
    if (!policyId) return;
    const mine = ++listSeq;
    if (!opts.quiet) set({ loading: true, error: null });
    try {
      const limit = Math.max(PAGE, get().jobs?.length ?? 0);
      const res = await call('dr:jobs.list', { policyId, offset: 0, limit: Math.min(limit, 1000) });
      if (mine !== listSeq || get().policyId !== policyId) return;
      set({ jobs: res.items, total: res.total, loading: false, error: null });
      if (get().selectedJobId) void get().reloadDetails();
    } catch (err) {
      if (mine === listSeq) set({ loading: false, error: toErrorData(err) });
    }
  },

  async loadMore() {
    const { policyId, jobs } = get();
    if (!policyId || !jobs) return;
    try {
      const res = await call('dr:jobs.list', { policyId, offset: jobs.length, limit: PAGE });
      const known = new Set(jobs.map((j) => j.id));
      set({ jobs: [...jobs, ...res.items.filter((j) => !known.has(j.id))], total: res.total });
    } catch (err) {
      set({ error: toErrorData(err) });
    }
  },

  applyProgress(p) {
    const held = get().progress[p.jobId];
    if (held && p.seq <= held.seq) return false;
    const jobs = get().jobs?.map((j) =>
      j.id === p.jobId ? { ...j, status: p.status, stepsTotal: p.stepsTotal, stepsDone: p.stepsDone, stepsFailed: p.stepsFailed } : j,
    );
    set({ progress: { ...get().progress, [p.jobId]: p }, ...(jobs ? { jobs } : {}) });
    if (p.policyId === get().policyId && !get().jobs?.some((j) => j.id === p.jobId)) void get().load({ quiet: true });
    if (get().selectedJobId === p.jobId && !detailsTimer) {
      // Step tables can be long; refetch them at most twice a second while a job runs.
      detailsTimer = setTimeout(() => {
        detailsTimer = null;
        void get().reloadDetails();
      }, 500);
    }
    return true;
  },

  select(jobId) {
    if (get().selectedJobId === jobId) return;
    set({ selectedJobId: jobId, details: null, cancelError: null });
    void get().reloadDetails();
  },

  async reloadDetails() {
    const jobId = get().selectedJobId;
    if (!jobId) return;
    const mine = ++detailsSeq;
    set({ detailsLoading: get().details?.id !== jobId, detailsError: null });
    try {
      const details = await call('dr:jobs.get', { jobId });
      if (mine === detailsSeq) set({ details, detailsLoading: false });
    } catch (err) {
      if (mine === detailsSeq) set({ detailsError: toErrorData(err), detailsLoading: false });
    }
  },

  async cancel(jobId) {
    set({ cancelling: { ...get().cancelling, [jobId]: true }, cancelError: null });
    try {
      await call('dr:jobs.cancel', { jobId });
    } catch (err) {
      set({ cancelError: toErrorData(err) });
    } finally {
      set({ cancelling: { ...get().cancelling, [jobId]: false } });
      void get().load({ quiet: true });
    }
  },
}));

/** The freshest numbers for a job: the live event if it is newer than the listed row. */
export function liveJob<T extends JobView>(job: T, progress: JobProgress | undefined): T {
  if (!progress) return job;
  // A row fetched after the job ended beats an older event that still says it runs.
  const ended = (s: string) => s !== 'queued' && s !== 'running';
  if (ended(job.status) && !ended(progress.status)) return job;
  return { ...job, status: progress.status, stepsTotal: progress.stepsTotal, stepsDone: progress.stepsDone, stepsFailed: progress.stepsFailed };
}
