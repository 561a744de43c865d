// Test failover and Reset (R1): a test failover creates copies of the protected resources in the
// target under test names, each recorded as a test resource; Reset deletes every live one. Both run
// on the job engine, resume after a crash, and never touch production replication.

import { RESOURCE_TYPES, type ResourceTypeId } from '../../../shared/catalog';
import type { TestResourceView } from '../../../shared/domain';
import type { AuditActor } from '../../db/audit-repo';
import type { JobRecord, StepRecord } from '../../db/jobs-repo';
import type { Repos } from '../../db/repos';
import { toTestResourceView, type TestResourceRecord } from '../../db/test-resources-repo';
import { ProviderFailure } from '../../providers/provider-failure';
import type { CreatedResource, StepContext } from '../../providers/types';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import { notFound, precondition } from '../errors';
import type { EventBus } from '../events';
import { newId } from '../ids';
import { startRefusal, type JobEngine, type NewJobStep, type PreparedJob, type StepSuccess } from '../jobs/engine';
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
export function resetSteps(jobId: string, live: readonly TestResourceRecord[]): NewJobStep[] {
  const lastOfOrigin = new Map<string, string>();
  return live.map((tr) => {
    const id = newId('step');
    const origin = tr.stepId ?? tr.id;
    const before = lastOfOrigin.get(origin);
    lastOfOrigin.set(origin, id);
    return {
      id,
      protectedResourceId: tr.protectedResourceId,
      action: 'reset',
      dependsOn: before ? [before] : [],
      idempotencyKey: `${jobId}/reset/${tr.id}`,
      params: { testResourceId: tr.id },
    };
  });
}

export class TestFailoverService {
  constructor(private readonly d: TestFailoverServiceDeps) {
    this.defineTestFailover();
    this.defineReset();
  }

  /** Starts a test failover from the chosen successful point (default: the latest successful one). */
  run(policyId: string, recoveryPointId?: string, actor: AuditActor = 'operator'): { jobId: string } {
    return this.d.engine.start({
      policyId,
      kind: 'test_failover',
      actor,
      auditAction: 'testFailover.start',
      plan: ({ jobId, policy }) => {
        const points = resolvePoints(this.d.repos, policy, recoveryPointId);
        const { planned } = planItems(this.d.repos, policyId, points);
        if (planned.length === 0) throw precondition(`No resource of policy "${policy.name}" has a successful item in that recovery point; run replication first.`);
        return {
          recoveryPointId: points.selected.id,
          steps: planned.map((p) => ({
            protectedResourceId: p.resource.id,
            action: 'testFailover',
            idempotencyKey: `${jobId}/testFailover/${p.resource.id}`,
            params: { recoveryPointId: p.point.id, itemId: p.itemId },
          })),
          audit: `${planned.length} resource(s) from recovery point ${points.selected.id}`,
        };
      },
    });
  }

  /** Deletes every live test resource of the policy. */
  reset(policyId: string, actor: AuditActor = 'operator'): { jobId: string } {
    return this.d.engine.start({
      policyId,
      kind: 'reset',
      actor,
      auditAction: 'testFailover.reset',
      plan: ({ jobId, policy }) => {
        const live = this.d.repos.testResources.live(policyId);
        if (live.length === 0) throw precondition(`Policy "${policy.name}" has no test failover resources to reset.`);
        return { steps: resetSteps(jobId, live), audit: `${live.length} test resource(s)` };
      },
    });
  }

  list(policyId: string, includeDeleted = false): TestResourceView[] {
    if (!this.d.repos.policies.get(policyId)) throw notFound('Policy', policyId);
    return this.d.repos.testResources.list(policyId, includeDeleted).map(toTestResourceView);
  }

  private checkRetry(job: JobRecord): void {
    const policy = this.d.repos.policies.get(job.policyId);
    if (!policy) throw notFound('Policy', job.policyId);
    const refusal = startRefusal(this.d.repos, policy, job.kind, job.id);
    if (refusal) throw precondition(refusal);
  }

  private defineTestFailover(): void {
    this.d.engine.define<PreparedFailover>({
      kind: 'test_failover',
      resumable: true,
      prepare: (job, steps) => prepareFailoverJob(this.d.repos, this.d.providers, job, steps),
      checkRetry: (job) => this.checkRetry(job),
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
      resumable: true,
      prepare: (job, steps) => prepareFailoverJob(this.d.repos, this.d.providers, job, steps),
      checkRetry: (job) => this.checkRetry(job),
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
