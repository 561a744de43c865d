// Job queries for the UI (list, details with the step journal) and cancellation of a job running
// in this process through its AbortSignal.

import { JOB_CANCEL, type JobDetails, type JobKind, type JobStatus, type JobView } from '../../shared/domain';
import type { AuditActor } from '../db/audit-repo';
import type { Repos } from '../db/repos';
import type { AuditLog } from './audit-log';
import { notFound, precondition } from './errors';
import type { JobRegistry } from './job-registry';
import { notCancellable } from './jobs/engine';

/** How long jobs.cancel waits for the job to journal its cancellation before answering. */
const CANCEL_WAIT_MS = 5_000;

export interface JobsServiceDeps {
  repos: Repos;
  registry: JobRegistry;
  audit: AuditLog;
  /** The latest progress message of each running step of a job (JobEngine.activities). */
  activity?: (jobId: string) => ReadonlyMap<string, string>;
}

export class JobsService {
  constructor(private readonly d: JobsServiceDeps) {}

  list(f: { policyId?: string | undefined; kind?: JobKind | undefined; status?: JobStatus | undefined; offset: number; limit: number }): {
    total: number;
    offset: number;
    items: JobView[];
  } {
    return this.d.repos.jobs.list(f);
  }

  get(jobId: string): JobDetails {
    const view = this.d.repos.jobs.view(jobId);
    if (!view) throw notFound('Job', jobId);
    // What running steps are doing now lives in the engine's memory (ctx.progress), not in the journal.
    const activity = this.d.activity?.(jobId);
    const steps = this.d.repos.jobs.stepViews(jobId).map((s) => (s.status === 'running' ? { ...s, activity: activity?.get(s.id) ?? null } : s));
    return { ...view, steps };
  }

  async cancel(jobId: string, actor: AuditActor = 'operator'): Promise<void> {
    const job = this.d.repos.jobs.get(jobId);
    if (!job) throw notFound('Job', jobId);
    if (job.status !== 'queued' && job.status !== 'running') throw precondition(`This job has already finished (${job.status.replace('_', ' ')}).`);
    // A failover is never abandoned half-way (R9): the one rule is JOB_CANCEL, as JobView.cancellable says.
    if (JOB_CANCEL[job.kind] === 'never') throw precondition(notCancellable(job.kind));
    const running = this.d.registry.get(jobId);
    if (!running) throw precondition('This job is not running in this console and cannot be cancelled.');
    this.d.audit.record(actor, 'job.cancel', job.policyId, `job ${jobId} (${job.kind})`);
    this.d.registry.cancel(jobId, 'Cancelled by the operator.');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([running.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
