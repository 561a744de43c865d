// Replication jobs: one journaled step per protected resource, run with bounded concurrency and
// retries, each producing a recovery point item. The point is `succeeded` only if every item is.

import PQueue from 'p-queue';
import type { JobStatus } from '../../shared/domain';
import type { AuditActor } from '../db/audit-repo';
import type { JobTrigger, StepRecord } from '../db/jobs-repo';
import type { ProtectedResourceRecord } from '../db/policies-repo';
import type { Repos } from '../db/repos';
import { ProviderFailure } from '../providers/provider-failure';
import type { CapturedItem, EnvRef, ProviderAdapter, StepContext } from '../providers/types';
import type { AuditLog } from './audit-log';
import { DEFAULT_BACKOFF, backoffDelay, sleep, type BackoffOptions } from './backoff';
import type { Clock } from './clock';
import { DomainError, notFound, precondition } from './errors';
import type { EventBus, JobProgressPublisher } from './events';
import { newId } from './ids';
import { cancelMessage, type JobRegistry } from './job-registry';
import type { Logger } from './logger';
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
  progress: JobProgressPublisher;
  registry: JobRegistry;
  logger: Logger;
  options?: Partial<ReplicationOptions>;
}

type StepOutcome = 'succeeded' | 'failed' | 'cancelled';

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
  }

  /**
   * Creates the job, its recovery point and its step journal in one transaction (so two clicks,
   * two windows or the scheduler racing an operator get one job and one clear error), then runs it.
   */
  start(policyId: string, trigger: Exclude<JobTrigger, 'resume'>, actor: AuditActor = 'operator'): { jobId: string } {
    const jobId = newId('job');
    const recoveryPointId = newId('rp');
    const now = this.d.clock.iso();
    const resources = this.d.repos.db.transaction(() => {
      const policy = this.d.repos.policies.get(policyId);
      if (!policy) throw notFound('Policy', policyId);
      if (policy.state !== 'active') {
        throw precondition(
          policy.state === 'failed_over'
            ? `Policy "${policy.name}" has been failed over; its replication has stopped for good.`
            : `Policy "${policy.name}" is failing over; replication cannot start.`,
        );
      }
      const active = this.d.repos.jobs.activeForPolicy(policyId);
      if (active) throw precondition(`A ${active.kind.replace('_', ' ')} job is already running for policy "${policy.name}".`);
      const list = this.d.repos.policies.resources(policyId);
      if (list.length === 0) throw precondition(`Policy "${policy.name}" protects no resources.`);
      this.d.repos.jobs.insertJob({
        id: jobId,
        policyId,
        kind: 'replication',
        status: 'running',
        trigger,
        recoveryPointId,
        createdAt: now,
        startedAt: now,
      });
      this.d.repos.recoveryPoints.insert({ id: recoveryPointId, policyId, jobId, createdAt: now });
      list.forEach((r, i) => {
        this.d.repos.jobs.insertStep({
          id: newId('step'),
          jobId,
          seq: i + 1,
          protectedResourceId: r.id,
          action: 'replicate',
          dependsOn: [],
          idempotencyKey: stepKey(jobId, r.id),
        });
      });
      this.d.audit.record(actor, 'replication.start', policyId, `job ${jobId} (${trigger}), ${list.length} resource(s)`);
      return list;
    }).immediate();

    const controller = new AbortController();
    const done = this.execute(jobId, policyId, resources, controller.signal, actor).catch((err: unknown) => {
      // execute() journals its own failures; this is the last line for bugs, so the job never stays running.
      this.d.logger.error(`Replication job ${jobId} crashed`, err);
      this.finishJob(jobId, policyId, 'failed', 'The job stopped because of an internal error; the details are in the log.', actor);
    });
    this.d.registry.track({ jobId, policyId, controller, done });
    this.d.events.emit('dr:policies.changed', { policyId });
    this.publish(jobId, policyId, 'running');
    return { jobId };
  }

  /**
   * Start-up: replication jobs a crash left unfinished are closed as failed (their intents stay in
   * the journal for the resume engine); other job kinds are left for it untouched.
   */
  recoverInterrupted(): number {
    let closed = 0;
    for (const job of this.d.repos.jobs.unfinished()) {
      if (job.kind !== 'replication') continue;
      const at = this.d.clock.iso();
      this.d.repos.db.transaction(() => {
        const open = this.d.repos.jobs.steps(job.id).filter((s) => s.status === 'pending' || s.status === 'running');
        for (const step of open) {
          this.d.repos.jobs.finishStep(step.id, { status: 'failed', error: INTERRUPTED, errorCode: 'Cancelled', at });
          if (job.recoveryPointId && step.protectedResourceId) this.recordFailedItem(job.recoveryPointId, step.protectedResourceId, INTERRUPTED, at);
        }
        const status = open.length > 0 ? 'failed' : this.outcomeStatus(job.id);
        this.completePoint(job.recoveryPointId, job.id, at);
        this.d.repos.jobs.finish(job.id, status, open.length > 0 ? INTERRUPTED : null, at);
        this.d.audit.record('system', 'replication.interrupted', job.policyId, `job ${job.id}: ${open.length} step(s) interrupted`);
      }).immediate();
      closed += 1;
    }
    return closed;
  }

  private async execute(
    jobId: string,
    policyId: string,
    resources: ProtectedResourceRecord[],
    signal: AbortSignal,
    actor: AuditActor,
  ): Promise<void> {
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) throw notFound('Policy', policyId);
    let adapter: ProviderAdapter;
    let source: EnvRef;
    let target: EnvRef;
    try {
      adapter = this.d.providers.get(policy.provider);
      source = this.d.providers.envRef(policy.sourceEnvironmentId);
      target = this.d.providers.envRef(policy.targetEnvironmentId);
    } catch (err) {
      // No provider or unreadable credentials: every step fails with the same operator-facing reason.
      const message = err instanceof DomainError ? err.message : 'The job could not prepare its provider; the details are in the log.';
      const code = err instanceof DomainError ? err.code : 'Internal';
      if (!(err instanceof DomainError)) this.d.logger.error(`Replication job ${jobId} could not start`, err);
      const at = this.d.clock.iso();
      const rpId = this.d.repos.jobs.get(jobId)?.recoveryPointId ?? null;
      this.d.repos.db.transaction(() => {
        for (const step of this.d.repos.jobs.steps(jobId)) {
          this.d.repos.jobs.finishStep(step.id, { status: 'failed', error: message, errorCode: code, at });
          if (rpId && step.protectedResourceId) this.recordFailedItem(rpId, step.protectedResourceId, message, at);
        }
      })();
      this.finishJob(jobId, policyId, 'failed', message, actor);
      return;
    }

    const byId = new Map(resources.map((r) => [r.id, r]));
    const rpId = this.d.repos.jobs.get(jobId)?.recoveryPointId ?? null;
    const queue = new PQueue({ concurrency: Math.max(1, this.opts.concurrency) });
    const onAbort = () => queue.clear();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (const step of this.d.repos.jobs.steps(jobId)) {
        const resource = step.protectedResourceId ? byId.get(step.protectedResourceId) : undefined;
        if (!resource || !rpId) continue;
        void queue.add(async () => {
          if (signal.aborted) return;
          await this.runStep({ step, resource, adapter, source, target, policyId, jobId, rpId, signal });
          this.publish(jobId, policyId, 'running');
        });
      }
      await queue.onIdle();
    } finally {
      signal.removeEventListener('abort', onAbort);
    }

    if (signal.aborted) {
      const at = this.d.clock.iso();
      this.d.repos.jobs.closeOpenSteps(jobId, 'cancelled', cancelMessage(signal), 'Cancelled', at);
      this.finishJob(jobId, policyId, 'cancelled', cancelMessage(signal), actor);
      return;
    }
    const status = this.outcomeStatus(jobId);
    const counts = this.d.repos.jobs.counts(jobId);
    this.finishJob(jobId, policyId, status, status === 'succeeded' ? null : `${counts.failed} of ${counts.total} resource(s) failed.`, actor);
  }

  private async runStep(a: {
    step: StepRecord;
    resource: ProtectedResourceRecord;
    adapter: ProviderAdapter;
    source: EnvRef;
    target: EnvRef;
    policyId: string;
    jobId: string;
    rpId: string;
    signal: AbortSignal;
  }): Promise<StepOutcome> {
    const { step, resource, signal } = a;
    const handler = a.adapter.handler(resource.type);
    if (!handler) {
      return this.failStep(a.rpId, step, resource, new ProviderFailure('ProviderError', `${a.adapter.label} cannot replicate ${resource.type}.`));
    }
    const ctx: StepContext = {
      jobId: a.jobId,
      stepId: step.id,
      policyId: a.policyId,
      source: a.source,
      target: a.target,
      idempotencyKey: step.idempotencyKey,
      signal,
      recordIntent: (material) => {
        if (!isPlainObject(material)) throw new TypeError('intent material must be an object');
        this.d.repos.jobs.recordIntent(step.id, material);
      },
      previousIntent: () => this.d.repos.jobs.intent(step.id),
      progress: () => this.publish(a.jobId, a.policyId, 'running'),
    };
    const ref = { id: resource.id, policyId: resource.policyId, type: resource.type, nativeId: resource.nativeId, name: resource.name };

    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return this.cancelStep(step, signal);
      this.d.repos.jobs.startStep(step.id, this.d.clock.iso());
      let failure: ProviderFailure;
      try {
        const captured = checkCaptured(await handler.replicate(ref, ctx));
        if (!captured) {
          failure = new ProviderFailure('ProviderError', `The provider returned an unusable recovery point item for ${resource.name}.`);
        } else {
          const at = this.d.clock.iso();
          const itemId = newId('rpi');
          this.d.repos.db.transaction(() => {
            this.d.repos.recoveryPoints.upsertItem({
              id: itemId,
              recoveryPointId: a.rpId,
              protectedResourceId: resource.id,
              status: 'succeeded',
              metadata: captured.metadata,
              dataRefs: captured.dataRefs,
              error: null,
              capturedAt: at,
            });
            this.d.repos.jobs.finishStep(step.id, { status: 'succeeded', result: { recoveryPointItemId: itemId, dataRefs: captured.dataRefs.length }, at });
          })();
          return 'succeeded';
        }
      } catch (err) {
        if (signal.aborted) return this.cancelStep(step, signal);
        if (err instanceof ProviderFailure) failure = err;
        else {
          this.d.logger.error(`Replication step ${step.id} (${resource.type}) threw`, err);
          failure = new ProviderFailure('ProviderError', `Replicating ${resource.name} failed unexpectedly; the details are in the log.`);
        }
      }
      if (!failure.retryable || attempt >= this.opts.backoff.maxAttempts) return this.failStep(a.rpId, step, resource, failure);
      try {
        await sleep(backoffDelay(attempt, this.opts.backoff, this.opts.random, failure.retryAfterMs), signal);
      } catch {
        return this.cancelStep(step, signal);
      }
    }
  }

  private failStep(rpId: string, step: StepRecord, resource: ProtectedResourceRecord, failure: ProviderFailure): StepOutcome {
    const at = this.d.clock.iso();
    this.d.repos.db.transaction(() => {
      this.d.repos.jobs.finishStep(step.id, { status: 'failed', error: failure.message, errorCode: failure.code, at });
      this.recordFailedItem(rpId, resource.id, failure.message, at);
    })();
    return 'failed';
  }

  private cancelStep(step: StepRecord, signal: AbortSignal): StepOutcome {
    this.d.repos.jobs.finishStep(step.id, { status: 'cancelled', error: cancelMessage(signal), errorCode: 'Cancelled', at: this.d.clock.iso() });
    return 'cancelled';
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

  /** The finish is audited under the actor who started the job (operator or scheduler). */
  private finishJob(jobId: string, policyId: string, status: JobStatus, error: string | null, actor: AuditActor): void {
    const at = this.d.clock.iso();
    const rpId = this.d.repos.jobs.get(jobId)?.recoveryPointId ?? null;
    let finished = false;
    this.d.repos.db.transaction(() => {
      this.completePoint(rpId, jobId, at);
      finished = this.d.repos.jobs.finish(jobId, status, error, at);
      if (finished) this.d.audit.record(actor, 'replication.finish', policyId, `job ${jobId}: ${status}${error ? ` (${error})` : ''}`);
    })();
    if (!finished) return;
    this.publish(jobId, policyId, status, true);
    this.d.events.emit('dr:policies.changed', { policyId });
  }

  private publish(jobId: string, policyId: string, status: JobStatus, final = false): void {
    const c = this.d.repos.jobs.counts(jobId);
    this.d.progress.publish(
      { jobId, policyId, kind: 'replication', status, stepsTotal: c.total, stepsDone: c.done, stepsFailed: c.failed },
      { final },
    );
  }
}
