// Replication jobs: one journaled step per protected resource, run by the job engine with bounded
// concurrency and retries, each producing a recovery point item. The point is `succeeded` only if
// every item is. Interrupted replications are closed at start-up (not resumed): a recovery point is
// a moment in time, and a fresh run captures a better one than a resumed stale one.

import type { JobStatus } from '../../shared/domain';
import type { AuditActor } from '../db/audit-repo';
import type { JobRecord, JobTrigger } from '../db/jobs-repo';
import type { ProtectedResourceRecord } from '../db/policies-repo';
import type { Repos } from '../db/repos';
import { ProviderFailure } from '../providers/provider-failure';
import type { CapturedItem } from '../providers/types';
import type { AuditLog } from './audit-log';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { Clock } from './clock';
import { notFound, precondition } from './errors';
import type { EventBus } from './events';
import { newId } from './ids';
import type { JobEngine, PreparedJob } from './jobs/engine';
import type { ProviderRegistry } from './provider-registry';

export const INTERRUPTED = 'Interrupted by app exit';

export interface ReplicationOptions {
  /** Steps of one job that talk to the provider at the same time. */
  concurrency: number;
  backoff: BackoffOptions;
  random: () => number;
}

export const DEFAULT_REPLICATION: ReplicationOptions = { concurrency: 8, backoff: DEFAULT_BACKOFF, random: Math.random };

export interface ReplicationServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  engine: JobEngine;
  options?: Partial<ReplicationOptions>;
}

interface PreparedReplication extends PreparedJob {
  resources: Map<string, ProtectedResourceRecord>;
  rpId: string;
}

const actorOf = (job: JobRecord): AuditActor => (job.trigger === 'schedule' ? 'scheduler' : job.trigger === 'manual' ? 'operator' : 'system');

const stepKey = (jobId: string, resourceId: string) => `${jobId}/replicate/${resourceId}`;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Handlers are foreign code: only a JSON-serialisable object with a dataRefs array is accepted. */
function checkCaptured(value: unknown): CapturedItem | null {
  if (!isPlainObject(value) || !isPlainObject(value.metadata) || !Array.isArray(value.dataRefs)) return null;
  for (const ref of value.dataRefs) {
    if (!isPlainObject(ref) || typeof ref.kind !== 'string' || typeof ref.id !== 'string') return null;
    if (ref.region !== undefined && typeof ref.region !== 'string') return null;
  }
  try {
    return JSON.parse(JSON.stringify({ metadata: value.metadata, dataRefs: value.dataRefs })) as CapturedItem;
  } catch {
    return null;
  }
}

export class ReplicationService {
  private readonly opts: ReplicationOptions;

  constructor(private readonly d: ReplicationServiceDeps) {
    this.opts = { ...DEFAULT_REPLICATION, ...d.options };
    this.define();
  }

  /**
   * Creates the job, its recovery point and its step journal in one transaction (engine.start: two
   * clicks, two windows or the scheduler racing an operator get one job and one clear error), then runs it.
   */
  start(policyId: string, trigger: Exclude<JobTrigger, 'resume'>, actor: AuditActor = 'operator'): { jobId: string } {
    const recoveryPointId = newId('rp');
    return this.d.engine.start({
      policyId,
      kind: 'replication',
      trigger,
      actor,
      auditAction: 'replication.start',
      plan: ({ jobId, policy, now }) => {
        const list = this.d.repos.policies.resources(policyId);
        if (list.length === 0) throw precondition(`Policy "${policy.name}" protects no resources.`);
        return {
          recoveryPointId,
          afterInsert: () => this.d.repos.recoveryPoints.insert({ id: recoveryPointId, policyId, jobId, createdAt: now }),
          steps: list.map((r) => ({ protectedResourceId: r.id, action: 'replicate', idempotencyKey: stepKey(jobId, r.id) })),
          audit: `${trigger}, ${list.length} resource(s)`,
        };
      },
    });
  }

  /**
   * Start-up: replication jobs a crash left unfinished are closed as failed (their intents stay in
   * the journal for the resume engine); other job kinds are left for it untouched. Only jobs whose
   * owner is gone (lease expired) are touched: another console live on the same file keeps its
   * job, and of two consoles starting together one claims each job (compare-and-set on the owner).
   */
  recoverInterrupted(): number {
    let closed = 0;
    for (const job of this.d.repos.jobs.unfinished()) {
      if (job.kind !== 'replication') continue;
      if (!this.d.engine.orphaned(job)) continue;
      const at = this.d.clock.iso();
      const claimed = this.d.repos.db.transaction(() => {
        if (!this.d.repos.jobs.claim(job.id, this.d.engine.owner, job.owner, at)) return false;
        const open = this.d.repos.jobs.steps(job.id).filter((s) => s.status === 'pending' || s.status === 'running');
        for (const step of open) {
          this.d.repos.jobs.finishStep(step.id, { status: 'failed', error: INTERRUPTED, errorCode: 'Cancelled', at });
          if (job.recoveryPointId && step.protectedResourceId) this.recordFailedItem(job.recoveryPointId, step.protectedResourceId, INTERRUPTED, at);
        }
        const status = open.length > 0 ? 'failed' : this.outcomeStatus(job.id);
        this.completePoint(job.recoveryPointId, job.id, at);
        this.d.repos.jobs.finish(job.id, status, open.length > 0 ? INTERRUPTED : null, at);
        this.d.audit.record('system', 'replication.interrupted', job.policyId, `job ${job.id}: ${open.length} step(s) interrupted`);
        return true;
      }).immediate();
      if (claimed) closed += 1;
    }
    return closed;
  }

  private define(): void {
    this.d.engine.define<PreparedReplication>({
      kind: 'replication',
      resumable: false,
      concurrency: () => this.opts.concurrency,
      backoff: () => this.opts.backoff,
      prepare: (job) => {
        const policy = this.d.repos.policies.get(job.policyId);
        if (!policy) throw notFound('Policy', job.policyId);
        if (!job.recoveryPointId) throw precondition('This replication job has no recovery point.');
        return {
          adapter: this.d.providers.get(policy.provider),
          source: this.d.providers.envRef(policy.sourceEnvironmentId),
          target: this.d.providers.envRef(policy.targetEnvironmentId),
          policyName: policy.name,
          resources: new Map(this.d.repos.policies.allResources(job.policyId).map((r) => [r.id, r])),
          rpId: job.recoveryPointId,
        };
      },
      rateAccount: (_step, p) => p.source,
      execute: async (step, ctx, p) => {
        const resource = step.protectedResourceId ? p.resources.get(step.protectedResourceId) : undefined;
        if (!resource) throw new ProviderFailure('PreconditionFailed', 'The protected resource of this step no longer exists.');
        const handler = p.adapter.handler(resource.type);
        if (!handler) throw new ProviderFailure('ProviderError', `${p.adapter.label} cannot replicate ${resource.type}.`);
        const ref = { id: resource.id, policyId: resource.policyId, type: resource.type, nativeId: resource.nativeId, name: resource.name };
        let raw: unknown;
        try {
          raw = await handler.replicate(ref, ctx);
        } catch (err) {
          if (err instanceof ProviderFailure || ctx.signal.aborted) throw err;
          throw new ProviderFailure('ProviderError', `Replicating ${resource.name} failed unexpectedly; the details are in the log.`, { cause: err });
        }
        const captured = checkCaptured(raw);
        if (!captured) throw new ProviderFailure('ProviderError', `The provider returned an unusable recovery point item for ${resource.name}.`);
        const itemId = newId('rpi');
        return {
          result: { recoveryPointItemId: itemId, dataRefs: captured.dataRefs.length },
          commit: (at) =>
            this.d.repos.recoveryPoints.upsertItem({
              id: itemId,
              recoveryPointId: p.rpId,
              protectedResourceId: resource.id,
              status: 'succeeded',
              metadata: captured.metadata,
              dataRefs: captured.dataRefs,
              error: null,
              capturedAt: at,
            }),
        };
      },
      onStepFailed: (step, failure, at) => {
        const rpId = this.d.repos.jobs.get(step.jobId)?.recoveryPointId;
        if (rpId && step.protectedResourceId) this.recordFailedItem(rpId, step.protectedResourceId, failure.message, at);
      },
      complete: (job, o, at) => {
        this.completePoint(job.recoveryPointId, job.id, at);
        const status: JobStatus = o.cancelled ? 'cancelled' : o.total > 0 && o.succeeded === o.total ? 'succeeded' : o.succeeded === 0 ? 'failed' : 'partially_failed';
        const error = status === 'succeeded' ? null : o.cancelled ? o.cancelMessage : `${o.failed} of ${o.total} resource(s) failed.`;
        this.d.audit.record(actorOf(job), 'replication.finish', job.policyId, `job ${job.id}: ${status}${error ? ` (${error})` : ''}`);
        const name = this.d.repos.policies.get(job.policyId)?.name ?? job.policyId;
        const message =
          status === 'succeeded'
            ? `Replication of "${name}" created a recovery point for ${o.total} resource(s).`
            : status === 'cancelled'
              ? `Replication of "${name}" was cancelled.`
              : `Replication of "${name}" ${status === 'failed' ? 'failed' : 'partly failed'}: ${o.failed} of ${o.total} resource(s) failed.`;
        return { status, error, message };
      },
    });
  }

  private recordFailedItem(rpId: string, protectedResourceId: string, error: string, at: string): void {
    this.d.repos.recoveryPoints.upsertItem({
      id: newId('rpi'),
      recoveryPointId: rpId,
      protectedResourceId,
      status: 'failed',
      metadata: {},
      dataRefs: [],
      error,
      capturedAt: at,
    });
  }

  /** succeeded: every step did; failed: none did; partially_failed otherwise. */
  private outcomeStatus(jobId: string): JobStatus {
    const steps = this.d.repos.jobs.steps(jobId);
    const ok = steps.filter((s) => s.status === 'succeeded').length;
    if (steps.length > 0 && ok === steps.length) return 'succeeded';
    return ok === 0 ? 'failed' : 'partially_failed';
  }

  /** The point's status follows its items against the job's step count (a missing item counts as failed). */
  private completePoint(rpId: string | null, jobId: string, at: string): void {
    if (!rpId) return;
    const total = this.d.repos.jobs.counts(jobId).total;
    const items = this.d.repos.recoveryPoints.itemCounts(rpId);
    const ok = items.total - items.failed;
    const status = total > 0 && ok === total ? 'succeeded' : ok === 0 ? 'failed' : 'partial';
    this.d.repos.recoveryPoints.complete(rpId, status, at);
  }
}
