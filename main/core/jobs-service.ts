// Job queries for the UI (list, details with the step journal) and cancellation of a job running
// in this process through its AbortSignal.

import type { JobDetails, JobKind, JobStatus, JobView } from '../../shared/domain';
import type { AuditActor } from '../db/audit-repo';
import type { Repos } from '../db/repos';
import type { AuditLog } from './audit-log';
import { notFound, precondition } from './errors';
import type { JobRegistry } from './job-registry';

/** How long jobs.cancel waits for the job to journal its cancellation before answering. */
const CANCEL_WAIT_MS = 5_000;

export interface JobsServiceDeps {
  repos: Repos;
  registry: JobRegistry;
  audit: AuditLog;
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
    return { ...view, steps: this.d.repos.jobs.stepViews(jobId) };
  }

  async cancel(jobId: string, actor: AuditActor = 'operator'): Promise<void> {
    const job = this.d.repos.jobs.get(jobId);
    if (!job) throw notFound('Job', jobId);
    if (job.status !== 'queued' && job.status !== 'running') throw precondition(`This job has already finished (${job.status.replace('_', ' ')}).`);
    const running = this.d.registry.get(jobId);
    if (!running || job.kind === 'failover') {
      // A failover is never abandoned half-way (R9), and a job not running here cannot be reached.
      throw precondition(
        job.kind === 'failover'
          ? 'A failover cannot be cancelled once it has started; it runs until it completes.'
          : 'This job is not running in this console and cannot be cancelled.',
      );
    }
    this.d.audit.record(actor, 'job.cancel', job.policyId, `job ${jobId} (${job.kind})`);
    this.d.registry.cancel(jobId, 'Cancelled by the operator.');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([running.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
    clearTimeout(timer);
  }
}
