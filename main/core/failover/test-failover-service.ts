// Test failover and Reset (R1): a test failover creates copies of the protected resources in the
// target under test names, each recorded as a test resource; Reset deletes every live one. Both run
// on the job engine, resume after a crash, and never touch production replication.

import { RESOURCE_TYPES, type ResourceTypeId } from '../../../shared/catalog';
import type { TestResourceView } from '../../../shared/domain';
import type { AuditActor } from '../../db/audit-repo';
import type { JobRecord, StepRecord } from '../../db/jobs-repo';
import type { PolicyRecord } from '../../db/policies-repo';
import type { Repos } from '../../db/repos';
import { toTestResourceView, type TestResourceRecord } from '../../db/test-resources-repo';
import { ProviderFailure } from '../../providers/provider-failure';
import type { CreatedResource, StepContext } from '../../providers/types';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import { notFound, precondition } from '../errors';
import type { EventBus } from '../events';
import { newId } from '../ids';
import type { JobEngine, PreparedJob, StepSuccess } from '../jobs/engine';
import type { ProviderRegistry } from '../provider-registry';
import { collectingWarnings, itemRefFor, planItems, prepareFailoverJob, resolvePoints, statusOf, type PreparedFailover } from './plan';

export interface WebhookEnqueuer {
  enqueueForJob(jobId: string): unknown;
}

export interface TestFailoverServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  engine: JobEngine;
  /** The webhook outbox; it decides from the policy's opt-in whether a test failover is posted. */
  webhooks?: WebhookEnqueuer | undefined;
}

const actorOf = (job: JobRecord): AuditActor => (job.trigger === 'manual' ? 'operator' : 'system');

/** The refusal sentence when a policy may not start a job of `what` now, or null. */
export function jobRefusal(repos: Repos, policy: PolicyRecord, what: string): string | null {
  if (policy.state === 'failed_over') {
    return `Policy "${policy.name}" has been failed over; ${what} is no longer possible. Create a new policy to protect these resources again.`;
  }
  if (policy.state === 'failing_over') return `Policy "${policy.name}" is failing over; ${what} cannot start.`;
  const active = repos.jobs.activeForPolicy(policy.id);
  if (active) {
    return `A ${active.kind.replace('_', ' ')} job is already running for policy "${policy.name}"; wait for it to finish (or cancel it) and try again.`;
  }
  return null;
}

/** The handler that deletes a test resource: its protected resource's type, else any type of the target's cloud. */
function resetHandlerType(tr: TestResourceRecord, p: PreparedJob & { resources: Map<string, { type: ResourceTypeId }> }): ResourceTypeId | undefined {
  const own = tr.protectedResourceId ? p.resources.get(tr.protectedResourceId)?.type : undefined;
  return own ?? RESOURCE_TYPES.find((t) => t.cloud === p.target.account.cloud && p.adapter.handler(t.id))?.id;
}

/** Deletes one test resource (reset step of a reset or a failover job) and stamps it in the same transaction. */
export async function executeReset(
  repos: Repos,
  step: StepRecord,
  ctx: StepContext,
  p: PreparedJob & { resources: Map<string, { type: ResourceTypeId }> },
): Promise<StepSuccess> {
  const id = typeof step.params.testResourceId === 'string' ? step.params.testResourceId : '';
  const tr = repos.testResources.get(id);
  if (!tr) throw new ProviderFailure('NotFound', 'The test resource this step deletes is no longer recorded.');
  if (tr.deletedAt !== null) return { result: { deleted: tr.nativeId, already: true } };
  const type = resetHandlerType(tr, p);
  const handler = type ? p.adapter.handler(type) : undefined;
  if (!handler) throw new ProviderFailure('ProviderError', `${p.adapter.label} cannot delete ${tr.kind} ${tr.name}.`);
  const created: CreatedResource = { kind: tr.kind, nativeId: tr.nativeId, name: tr.name, region: tr.region };
  await handler.reset(created, ctx);
  return { result: { deleted: tr.nativeId }, commit: (at) => void repos.testResources.markDeleted(tr.id, step.jobId, at) };
}

/**
 * Reset steps for the live test resources: the resources one test failover step created are deleted
 * in reverse dependency order (the VM before its disks, NIC, network and public IP), one after another.
 */
export function insertResetSteps(repos: Repos, jobId: string, live: readonly TestResourceRecord[], firstSeq: number): string[] {
  const lastOfOrigin = new Map<string, string>();
  const ids: string[] = [];
  live.forEach((tr, i) => {
    const id = newId('step');
    const origin = tr.stepId ?? tr.id;
    const before = lastOfOrigin.get(origin);
    repos.jobs.insertStep({
      id,
      jobId,
      seq: firstSeq + i,
      protectedResourceId: tr.protectedResourceId,
      action: 'reset',
      dependsOn: before ? [before] : [],
      idempotencyKey: `${jobId}/reset/${tr.id}`,
      params: { testResourceId: tr.id },
    });
    lastOfOrigin.set(origin, id);
    ids.push(id);
  });
  return ids;
}

export class TestFailoverService {
  constructor(private readonly d: TestFailoverServiceDeps) {
    this.defineTestFailover();
    this.defineReset();
  }

  /** Starts a test failover from the chosen successful point (default: the latest successful one). */
  run(policyId: string, recoveryPointId?: string, actor: AuditActor = 'operator'): { jobId: string } {
    const jobId = newId('job');
    this.d.repos.db
      .transaction(() => {
        const policy = this.requirePolicy(policyId, 'test failover');
        const points = resolvePoints(this.d.repos, policy, recoveryPointId);
        const { planned } = planItems(this.d.repos, policyId, points);
        if (planned.length === 0) throw precondition(`No resource of policy "${policy.name}" has a successful item in that recovery point; run replication first.`);
        const now = this.d.clock.iso();
        this.d.repos.jobs.insertJob({
          id: jobId,
          policyId,
          kind: 'test_failover',
          status: 'running',
          trigger: 'manual',
          recoveryPointId: points.selected.id,
          createdAt: now,
          startedAt: now,
          owner: this.d.engine.owner,
          heartbeatAt: now,
        });
        planned.forEach((p, i) =>
          this.d.repos.jobs.insertStep({
            id: newId('step'),
            jobId,
            seq: i + 1,
            protectedResourceId: p.resource.id,
            action: 'testFailover',
            dependsOn: [],
            idempotencyKey: `${jobId}/testFailover/${p.resource.id}`,
            params: { recoveryPointId: p.point.id, itemId: p.itemId },
          }),
        );
        this.d.audit.record(actor, 'testFailover.start', policyId, `job ${jobId}: ${planned.length} resource(s) from recovery point ${points.selected.id}`);
      })
      .immediate();
    void this.d.engine.launch(jobId);
    this.d.events.emit('dr:policies.changed', { policyId });
    return { jobId };
  }

  /** Deletes every live test resource of the policy. */
  reset(policyId: string, actor: AuditActor = 'operator'): { jobId: string } {
    const jobId = newId('job');
    this.d.repos.db
      .transaction(() => {
        const policy = this.requirePolicy(policyId, 'reset');
        const live = this.d.repos.testResources.live(policyId);
        if (live.length === 0) throw precondition(`Policy "${policy.name}" has no test failover resources to reset.`);
        const now = this.d.clock.iso();
        this.d.repos.jobs.insertJob({
          id: jobId,
          policyId,
          kind: 'reset',
          status: 'running',
          trigger: 'manual',
          recoveryPointId: null,
          createdAt: now,
          startedAt: now,
          owner: this.d.engine.owner,
          heartbeatAt: now,
        });
        insertResetSteps(this.d.repos, jobId, live, 1);
        this.d.audit.record(actor, 'testFailover.reset', policyId, `job ${jobId}: ${live.length} test resource(s)`);
      })
      .immediate();
    void this.d.engine.launch(jobId);
    this.d.events.emit('dr:policies.changed', { policyId });
    return { jobId };
  }

  list(policyId: string, includeDeleted = false): TestResourceView[] {
    if (!this.d.repos.policies.get(policyId)) throw notFound('Policy', policyId);
    return this.d.repos.testResources.list(policyId, includeDeleted).map(toTestResourceView);
  }

  private requirePolicy(policyId: string, what: string): PolicyRecord {
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) throw notFound('Policy', policyId);
    const refusal = jobRefusal(this.d.repos, policy, what);
    if (refusal) throw precondition(refusal);
    return policy;
  }

  private checkRetry(job: JobRecord, what: string): void {
    const policy = this.d.repos.policies.get(job.policyId);
    if (!policy) throw notFound('Policy', job.policyId);
    const refusal = jobRefusal(this.d.repos, policy, what);
    if (refusal) throw precondition(refusal);
  }

  private defineTestFailover(): void {
    this.d.engine.define<PreparedFailover>({
      kind: 'test_failover',
      cancel: 'drain',
      resumable: true,
      prepare: (job, steps) => prepareFailoverJob(this.d.repos, this.d.providers, job, steps),
      checkRetry: (job) => this.checkRetry(job, 'test failover'),
      execute: async (step, ctx, p) => {
        const { resource, item } = itemRefFor(step, p);
        const handler = p.adapter.handler(resource.type);
        if (!handler) throw new ProviderFailure('ProviderError', `${p.adapter.label} cannot test-fail over ${resource.type}.`);
        const seen = collectingWarnings(ctx);
        const created = await handler.testFailover(item, seen.ctx);
        return {
          result: { created: created.map((c) => ({ kind: c.kind, nativeId: c.nativeId })), warnings: seen.warnings },
          commit: (at) => {
            for (const c of created) {
              this.d.repos.testResources.insert({
                id: newId('tres'),
                policyId: ctx.policyId,
                jobId: step.jobId,
                stepId: step.id,
                protectedResourceId: resource.id,
                kind: c.kind,
                nativeId: c.nativeId,
                name: c.name,
                region: c.region,
                createdAt: at,
              });
              this.d.repos.mappings.insert({
                jobId: step.jobId,
                stepId: step.id,
                protectedResourceId: resource.id,
                sourceId: c.sourceId ?? resource.nativeId,
                kind: c.kind,
                name: c.name,
                targetId: c.nativeId,
                reused: false,
              });
            }
          },
        };
      },
      complete: (job, o) => {
        const status = statusOf(o);
        const name = this.d.repos.policies.get(job.policyId)?.name ?? job.policyId;
        const created = this.d.repos.testResources.list(job.policyId, true).filter((t) => t.jobId === job.id).length;
        this.d.audit.record(actorOf(job), 'testFailover.finish', job.policyId, `job ${job.id}: ${status}`);
        const message =
          status === 'succeeded'
            ? `Test failover of "${name}" created ${created} test resource(s) in the target; run Reset to delete them.`
            : status === 'cancelled'
              ? `Test failover of "${name}" was cancelled; ${created} test resource(s) were created and can be reset.`
              : `Test failover of "${name}" ${status === 'failed' ? 'failed' : 'partly failed'}: ${o.failed} of ${o.total} resource(s) failed; retry the failed items or run Reset.`;
        return { status, error: status === 'succeeded' ? null : status === 'cancelled' ? o.cancelMessage : `${o.failed} of ${o.total} resource(s) failed.`, message };
      },
      afterComplete: (job, c) => {
        if (c.status === 'succeeded') this.d.webhooks?.enqueueForJob(job.id);
      },
    });
  }

  private defineReset(): void {
    this.d.engine.define<PreparedFailover>({
      kind: 'reset',
      cancel: 'drain',
      resumable: true,
      prepare: (job, steps) => prepareFailoverJob(this.d.repos, this.d.providers, job, steps),
      checkRetry: (job) => this.checkRetry(job, 'reset'),
      execute: (step, ctx, p) => executeReset(this.d.repos, step, ctx, p),
      complete: (job, o) => {
        const status = statusOf(o);
        const name = this.d.repos.policies.get(job.policyId)?.name ?? job.policyId;
        const left = this.d.repos.testResources.live(job.policyId).length;
        this.d.audit.record(actorOf(job), 'testFailover.resetFinish', job.policyId, `job ${job.id}: ${status}`);
        const message =
          status === 'succeeded'
            ? `Reset of "${name}" deleted ${o.total} test resource(s).`
            : status === 'cancelled'
              ? `Reset of "${name}" was cancelled; ${left} test resource(s) are still up.`
              : `Reset of "${name}" ${status === 'failed' ? 'failed' : 'partly failed'}: ${left} test resource(s) are still up; retry the failed items.`;
        return { status, error: status === 'succeeded' ? null : status === 'cancelled' ? o.cancelMessage : `${o.failed + o.blocked} of ${o.total} test resource(s) were not deleted.`, message };
      },
    });
  }
}
