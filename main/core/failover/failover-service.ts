// Failover (R2-R6, R9): prepare returns the plan and a short-lived single-use token; start re-checks
// everything in one IMMEDIATE transaction and moves the policy active -> failing_over by compare-and-
// set. The job resets test resources, fails each resource over, stops replication for good, and
// marks the policy failed over. Failed items are retried in the same job until it completes.

import { randomBytes } from 'node:crypto';
import { resourceType } from '../../../shared/catalog';
import type { FailoverPlan, PlannedResourceAction } from '../../../shared/domain';
import { UNREACHABLE_CODES } from '../../../shared/errors';
import type { AuditActor } from '../../db/audit-repo';
import type { JobRecord } from '../../db/jobs-repo';
import type { PolicyRecord } from '../../db/policies-repo';
import type { Repos } from '../../db/repos';
import { toTestResourceView } from '../../db/test-resources-repo';
import { ProviderFailure } from '../../providers/provider-failure';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import { notFound, precondition } from '../errors';
import type { EventBus } from '../events';
import { newId } from '../ids';
import { startRefusal, type JobEngine, type NewJobStep } from '../jobs/engine';
import type { ProviderRegistry } from '../provider-registry';
import { collectingWarnings, foreseenWarnings, formatPointTime, itemRefFor, planItems, prepareFailoverJob, resolvePoints, statusOf, type PreparedFailover, type ResolvedPoints } from './plan';
import { executeReset, resetSteps, type WebhookEnqueuer } from './test-failover-service';
import type { AcquiredLease, FailoverLeases, LeaseOverride } from './failover-lease';

/** The owner of every job a handover bundle brought (handover/handover-service.ts): history here. */
const IMPORTED_OWNER = 'handover:';

/** How long a failover confirmation's token stays valid. */
export const FAILOVER_TOKEN_TTL_MS = 5 * 60_000;

export interface FailoverServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  engine: JobEngine;
  webhooks?: WebhookEnqueuer | undefined;
  /** The failover lease in the target (issue 12): every start takes one, or has an audited override. */
  leases: FailoverLeases;
}

interface PendingToken {
  policyId: string;
  recoveryPointId: string;
  expiresAt: number;
}

export class FailoverService {
  /** Tokens live in this process only: a token from another window's console or a restart is refused. */
  private readonly tokens = new Map<string, PendingToken>();

  constructor(private readonly d: FailoverServiceDeps) {
    this.define();
  }

  /** What failover will do, and the token that lets start() do it. Changes nothing in the database. */
  prepare(policyId: string, recoveryPointId?: string): FailoverPlan {
    this.dropExpired();
    const policy = this.requirePolicy(policyId);
    const points = resolvePoints(this.d.repos, policy, recoveryPointId);
    const { planned, missing } = planItems(this.d.repos, policyId, points);
    if (planned.length === 0) throw precondition(`No resource of policy "${policy.name}" has a successful item in that recovery point; choose another one.`);
    const latestText = formatPointTime(this.d.repos, points.latest.createdAt);
    const resources: PlannedResourceAction[] = planned.map((p) => {
      const info = resourceType(p.resource.type);
      return {
        protectedResourceId: p.resource.id,
        name: p.resource.name,
        type: p.resource.type,
        action: info.failover,
        usesLatestPoint: p.usesLatestPoint,
        recoveryPointId: p.point.id,
        recoveryPointAt: p.point.createdAt,
        note: p.usesLatestPoint ? `${info.label} always fails over from the latest recovery point (${latestText}).` : null,
      };
    });
    const testResources = this.d.repos.testResources.live(policyId);
    const target = `${policy.target.name} (${policy.target.region})`;
    const warnings = [
      `Failover runs once for policy "${policy.name}": once started it cannot be cancelled or run again.`,
      `It cannot be undone: resources are created or promoted in ${target}.`,
      'The policy\'s replication stops for good and the policy becomes read-only ("Failed over").',
      'To protect these resources again after failover, create a new policy.',
    ];
    if (testResources.length > 0) warnings.push(`${testResources.length} test failover resource(s) will be reset (deleted) first.`);
    if (!this.d.providers.get(policy.provider).targetStore) {
      warnings.push(`The target's provider keeps no failover lease, so nothing in ${target} stops another console from failing this policy over too: failover starts only with the override, recorded in the audit log.`);
    }
    for (const r of missing) {
      warnings.push(`${r.name} (${resourceType(r.type).label}) has no successful item in this recovery point and will not be failed over.`);
    }
    // What the point itself says will not be carried (a volume its image has no snapshot of...).
    warnings.push(...foreseenWarnings(this.d.repos, this.d.providers, policy, planned));
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.d.clock.now().getTime() + FAILOVER_TOKEN_TTL_MS;
    this.tokens.set(token, { policyId, recoveryPointId: points.selected.id, expiresAt });
    return {
      token,
      expiresAt: new Date(expiresAt).toISOString(),
      policyId,
      policyName: policy.name,
      recoveryPoint: { id: points.selected.id, createdAt: points.selected.createdAt },
      latestRecoveryPoint: { id: points.latest.id, createdAt: points.latest.createdAt },
      resources,
      testResourcesToReset: testResources.map(toTestResourceView),
      webhookUrl: policy.webhookUrl,
      warnings,
    };
  }

  /**
   * Starts the one failover of a policy. The token is spent whatever happens; every precondition is
   * checked again inside one IMMEDIATE transaction, where the policy moves active -> failing_over by
   * compare-and-set and the unique index on failover jobs is the last guard (R2).
   */
  async start(token: string, actor: AuditActor = 'operator', opts: { leaseOverride?: LeaseOverride | undefined } = {}): Promise<{ jobId: string }> {
    const pending = this.tokens.get(token);
    this.tokens.delete(token);
    if (!pending) {
      throw precondition('This failover confirmation is not valid: it was already used, or it comes from another window. Open the failover confirmation again.');
    }
    if (pending.expiresAt <= this.d.clock.now().getTime()) {
      throw precondition('This failover confirmation has expired. Open the failover confirmation again and confirm within 5 minutes.');
    }
    const jobId = newId('job');
    // The lease in the target comes first (a cloud call, so outside the transaction); local checks
    // before it, so a refusal here never touches the target. engine.start re-checks everything.
    const lease = await this.d.leases.acquire(this.requirePolicy(pending.policyId), jobId, opts.leaseOverride);
    let started: { jobId: string };
    try {
      started = this.startJob(pending, jobId, actor, lease);
    } catch (err) {
      await this.d.leases.abandon(lease);
      throw err;
    }
    this.d.leases.settle(lease);
    return started;
  }

  private startJob(pending: PendingToken, jobId: string, actor: AuditActor, lease: AcquiredLease): { jobId: string } {
    return this.d.engine.start({
      jobId,
      policyId: pending.policyId,
      kind: 'failover',
      actor,
      auditAction: 'failover.start',
      plan: ({ policy, now }) => {
        let points: ResolvedPoints;
        try {
          points = resolvePoints(this.d.repos, policy, pending.recoveryPointId);
        } catch (err) {
          throw precondition(`The recovery point chosen for this failover can no longer be used: ${(err as Error).message}`);
        }
        const { planned } = planItems(this.d.repos, policy.id, points);
        if (planned.length === 0) throw precondition(`No resource of policy "${policy.name}" has a successful item in that recovery point.`);
        // R2: active -> failing_over by compare-and-set, in the same IMMEDIATE transaction as the insert.
        if (!this.d.repos.policies.beginFailover(policy.id, jobId, now)) {
          throw precondition(startRefusal(this.d.repos, { ...policy, state: 'failing_over' }, 'failover') ?? 'A failover has already started.');
        }
        const resets = resetSteps(jobId, this.d.repos.testResources.live(policy.id));
        const resetIds = resets.map((r) => r.id ?? '');
        const failovers: NewJobStep[] = planned.map((p) => ({
          id: newId('step'),
          protectedResourceId: p.resource.id,
          action: 'failover',
          dependsOn: resetIds,
          idempotencyKey: `${jobId}/failover/${p.resource.id}`,
          params: { recoveryPointId: p.point.id, itemId: p.itemId },
        }));
        const stops: NewJobStep[] = planned.map((p, i) => ({
          protectedResourceId: p.resource.id,
          action: 'stopReplication',
          dependsOn: [failovers[i]?.id ?? ''],
          idempotencyKey: `${jobId}/stopReplication/${p.resource.id}`,
        }));
        this.d.leases.recordLocal(lease, now);
        if (lease.kind === 'overridden') {
          this.d.audit.record(actor, 'failover.lease-override', policy.id, `job ${jobId}: started WITHOUT the failover lease (${lease.cause}); reason: ${lease.reason}`);
        } else {
          this.d.audit.record('system', 'failover.lease', policy.id, `job ${jobId}: failover lease taken in ${policy.target.name} (${policy.target.region})`);
        }
        return {
          recoveryPointId: points.selected.id,
          steps: [...resets, ...failovers, ...stops],
          audit: `${planned.length} resource(s) from recovery point ${points.selected.id}, ${resets.length} test resource(s) to reset`,
        };
      },
    });
  }

  private requirePolicy(policyId: string): PolicyRecord {
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) throw notFound('Policy', policyId);
    const why = startRefusal(this.d.repos, policy, 'failover');
    if (why) throw precondition(why);
    return policy;
  }

  private dropExpired(): void {
    const now = this.d.clock.now().getTime();
    for (const [token, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(token);
  }

  private define(): void {
    this.d.engine.define<PreparedFailover>({
      kind: 'failover',
      resumable: true,
      prepare: (job, steps) => prepareFailoverJob(this.d.repos, this.d.providers, job, steps),
      checkRetry: (job: JobRecord) => {
        const policy = this.d.repos.policies.get(job.policyId);
        if (!policy) throw notFound('Policy', job.policyId);
        if (policy.state !== 'failing_over' || policy.failoverJobId !== job.id) {
          throw precondition(`Policy "${policy.name}" is not failing over with this job; there is nothing to retry.`);
        }
        if (job.owner?.startsWith(IMPORTED_OWNER)) {
          // A handover bundle brought this job from the console running it (and holding its lease).
          throw precondition(`This failover of "${policy.name}" runs on another console (it came in a handover bundle); only that console can retry it.`);
        }
      },
      rateAccount: (step, p) => (step.action === 'stopReplication' ? p.source : p.target),
      // The failover exists to survive a lost source region. Stopping replication there comes after the
      // resource is up in the target; when the source still cannot be reached once the retries are spent,
      // the failover completes and the step says what was left in the source (rules, snapshots, replica
      // links) to remove once the region answers, instead of holding the policy in "failing over".
      settleFailure: (step, failure, p) => {
        if (step.action !== 'stopReplication' || !UNREACHABLE_CODES.has(failure.code)) return undefined;
        const resource = step.protectedResourceId ? p.resources.get(step.protectedResourceId) : undefined;
        const name = resource?.name ?? 'this resource';
        const where = `${p.source.account.name} (${p.source.region})`;
        return {
          result: {
            stopped: null,
            sourceUnreachable: failure.code,
            warnings: [
              `Replication of ${name} could not be stopped in the source, ${where}: ${failure.message} The failover itself is complete. What this policy set up there for ${name} (replication rules, snapshots, replica links) stays until it is removed in the source once its region answers.`,
            ],
          },
          commit: () => {
            this.d.audit.record('system', 'failover.source-unreachable', resource?.policyId ?? null, `job ${step.jobId}: replication of ${name} not stopped in ${where} (${failure.code}); left for removal there`);
          },
        };
      },
      execute: async (step, ctx, p) => {
        if (step.action === 'reset') return executeReset(this.d.repos, step, ctx, p);
        const resource = step.protectedResourceId ? p.resources.get(step.protectedResourceId) : undefined;
        if (!resource) throw new ProviderFailure('PreconditionFailed', 'The protected resource of this step no longer exists.');
        const handler = p.adapter.handler(resource.type);
        if (!handler) throw new ProviderFailure('ProviderError', `${p.adapter.label} cannot fail over ${resource.type}.`);
        if (step.action === 'stopReplication') {
          // What could not be removed in the source (a region that does not answer) is said, not lost.
          const left = collectingWarnings(ctx);
          await handler.stopReplication({ id: resource.id, policyId: resource.policyId, type: resource.type, nativeId: resource.nativeId, name: resource.name }, left.ctx);
          return { result: { stopped: resource.nativeId, warnings: left.warnings } };
        }
        const { item } = itemRefFor(step, p);
        const seen = collectingWarnings(ctx);
        const mapping = await handler.failover(item, seen.ctx);
        return {
          result: { targets: mapping.map((m) => m.targetId), warnings: seen.warnings },
          commit: () => {
            for (const m of mapping) {
              this.d.repos.mappings.insert({
                jobId: step.jobId,
                stepId: step.id,
                protectedResourceId: resource.id,
                sourceId: m.sourceId,
                kind: m.kind,
                name: m.name,
                targetId: m.targetId,
                reused: m.reused === true,
              });
            }
          },
        };
      },
      complete: (job, o, at) => {
        const policy = this.d.repos.policies.get(job.policyId);
        const name = policy?.name ?? job.policyId;
        let status = statusOf({ ...o, cancelled: false });
        if (status === 'succeeded' && !this.d.repos.policies.finishFailover(job.policyId, job.id, at)) {
          // The policy is not failing over with this job (edited by hand?): never claim success then.
          status = 'failed';
        }
        this.d.audit.record('system', status === 'succeeded' ? 'failover.finish' : 'failover.stopped', job.policyId, `job ${job.id}: ${status}`);
        if (status === 'succeeded') {
          const where = policy ? ` in ${policy.target.name} (${policy.target.region})` : '';
          return { status, error: null, message: `Failover of "${name}" completed: ${this.d.repos.mappings.byJob(job.id).length} resource(s) mapped${where}; the policy is now failed over.` };
        }
        const error = `${o.failed} step(s) failed${o.blocked ? ` and ${o.blocked} wait on them` : ''}; retry the failed items to complete the failover.`;
        return { status, error, message: `Failover of "${name}" stopped part-way: ${error}` };
      },
      afterComplete: (job, c) => {
        if (c.status === 'succeeded') this.d.webhooks?.enqueueForJob(job.id);
      },
    });
  }
}
