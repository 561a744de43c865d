// Jobs of one policy and live progress. Progress events carry a per-job sequence number; anything
// not newer than what we hold is dropped, so late or replayed events never move a bar backwards.

import { create } from 'zustand';
import type { JobDetails, JobView, ResourceMappingView, WebhookDeliveryView } from '../../../shared/domain';
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
  /** When the last progress event for each job arrived (renderer clock), for the stall warning. */
  lastEventAt: Record<string, number>;
  /** Source → target ids of the selected failover job. */
  mappings: ResourceMappingView[] | null;
  mappingsError: DrErrorData | null;
  /** Webhook deliveries of the selected job. */
  webhooks: WebhookDeliveryView[] | null;
  webhooksError: DrErrorData | null;
  retrying: boolean;
  retryError: DrErrorData | null;
  /** How many items the last Retry failed items sent back to work. */
  retried: number | null;
  open: (policyId: string) => void;
  load: (opts?: { quiet?: boolean }) => Promise<void>;
  loadMore: () => Promise<void>;
  applyProgress: (p: JobProgress) => boolean;
  select: (jobId: string) => void;
  reloadDetails: () => Promise<void>;
  cancel: (jobId: string) => Promise<void>;
  retryFailed: (jobId: string) => Promise<void>;
}

const hasMappings = (kind: JobView['kind']) => kind === 'failover';
const hasWebhooks = (kind: JobView['kind']) => kind === 'failover' || kind === 'test_failover';

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
  lastEventAt: {},
  mappings: null,
  mappingsError: null,
  webhooks: null,
  webhooksError: null,
  retrying: false,
  retryError: null,
  retried: null,

  open(policyId) {
    if (get().policyId !== policyId) {
      set({
        policyId,
        jobs: null,
        total: 0,
        selectedJobId: null,
        details: null,
        detailsError: null,
        cancelError: null,
        mappings: null,
        webhooks: null,
        retryError: null,
        retried: null,
      });
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
      j.id === p.jobId ? { ...j, ...countsOf(p) } : j,
    );
    set({
      progress: { ...get().progress, [p.jobId]: p },
      lastEventAt: { ...get().lastEventAt, [p.jobId]: Date.now() },
      ...(jobs ? { jobs } : {}),
    });
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
    set({ selectedJobId: jobId, details: null, cancelError: null, mappings: null, webhooks: null, retryError: null, retried: null });
    void get().reloadDetails();
  },

  async reloadDetails() {
    const jobId = get().selectedJobId;
    if (!jobId) return;
    const mine = ++detailsSeq;
    set({ detailsLoading: get().details?.id !== jobId, detailsError: null });
    try {
      const details = await call('dr:jobs.get', { jobId });
      if (mine !== detailsSeq) return;
      set({ details, detailsLoading: false });
      await Promise.all([
        hasMappings(details.kind)
          ? call('dr:jobs.mappings', { jobId }).then(
              (mappings) => mine === detailsSeq && set({ mappings, mappingsError: null }),
              (err: unknown) => mine === detailsSeq && set({ mappingsError: toErrorData(err) }),
            )
          : set({ mappings: null, mappingsError: null }),
        hasWebhooks(details.kind)
          ? call('dr:webhooks.list', { jobId }).then(
              (webhooks) => mine === detailsSeq && set({ webhooks, webhooksError: null }),
              (err: unknown) => mine === detailsSeq && set({ webhooksError: toErrorData(err) }),
            )
          : set({ webhooks: null, webhooksError: null }),
      ]);
    } catch (err) {
      if (mine === detailsSeq) set({ detailsError: toErrorData(err), detailsLoading: false });
    }
  },

  async retryFailed(jobId) {
    if (get().retrying) return;
    // The retried run numbers its progress events afresh; forget the old run's numbers first, or
    // every new event would look stale and the bar would freeze at the old run's end.
    const { [jobId]: _oldRun, ...progress } = get().progress;
    set({ retrying: true, retryError: null, retried: null, progress });
    try {
      const res = await call('dr:jobs.retryFailed', { jobId });
      // Main may continue the same job (failover, R9) or start a new one; follow whichever it is.
      if (res.jobId !== get().selectedJobId) get().select(res.jobId);
      else void get().reloadDetails();
      set({ retrying: false, retried: res.retried });
      void get().load({ quiet: true });
    } catch (err) {
      set({ retrying: false, retryError: toErrorData(err) });
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
  return { ...job, ...countsOf(progress) };
}

/** The fields of a progress event that update a listed job. */
function countsOf(p: JobProgress) {
  return {
    status: p.status,
    stepsTotal: p.stepsTotal,
    stepsDone: p.stepsDone,
    stepsFailed: p.stepsFailed,
    resourcesTotal: p.resourcesTotal,
    resourcesDone: p.resourcesDone,
    resourcesFailed: p.resourcesFailed,
  };
}
