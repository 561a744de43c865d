// Resilience policies: create, edit and delete while active, with the rules the product needs
// (unique name, two different environments of one cloud and provider, a real cron schedule).

import { resourceType } from '../../shared/catalog';
import type { PolicyDetails, PolicyInput, PolicyState, PolicySummary } from '../../shared/domain';
import { privateTargetProblem } from '../../shared/webhook-url';
import type { AuditActor } from '../db/audit-repo';
import type { PolicyRecord } from '../db/policies-repo';
import { toProtectedResourceView } from '../db/policies-repo';
import type { Repos } from '../db/repos';
import type { Vault } from '../credentials/vault';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { conflict, invalid, notFound, precondition, type ErrorDetail } from './errors';
import type { EventBus } from './events';
import { newId } from './ids';
import type { ProviderRegistry } from './provider-registry';
import { nextRunAfter, scheduleProblem } from './schedule';
import { timeFormatterOf } from './settings-service';

export interface PoliciesServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  /** Seals the webhook signing secret (write-only: stored sealed, never read back here). */
  vault: Vault;
}

const STATE_WORDS: Record<PolicyState, string> = {
  active: 'active',
  failing_over: 'failing over',
  failed_over: 'failed over',
};

/** An ISO time strictly after `previous`, so compare-and-set edits never see the same version twice. */
function laterThan(now: Date, previous: string): string {
  const prev = Date.parse(previous);
  return new Date(Number.isFinite(prev) && now.getTime() <= prev ? prev + 1 : now.getTime()).toISOString();
}

export class PoliciesService {
  constructor(private readonly d: PoliciesServiceDeps) {}

  list(state?: PolicyState): PolicySummary[] {
    return this.d.repos.policies.list(state).map((p) => this.summary(p));
  }

  get(id: string): PolicyDetails {
    const p = this.d.repos.policies.get(id);
    if (!p) throw notFound('Policy', id);
    return {
      ...this.summary(p),
      webhookUrl: p.webhookUrl,
      webhookSigned: p.webhookSigned,
      webhookOnTestFailover: p.webhookOnTestFailover,
      webhookAllowPrivateTargets: p.webhookAllowPrivateTargets,
      failedOverAt: p.failedOverAt,
      failoverJobId: p.failoverJobId,
      liveTestResourceCount: this.d.repos.policies.liveTestResourceCount(id),
      resources: this.d.repos.policies.resources(id).map(toProtectedResourceView),
    };
  }

  create(input: PolicyInput, actor: AuditActor = 'operator'): PolicyDetails {
    const id = newId('pol');
    this.d.repos.db.transaction(() => {
      this.validate(input, null);
      const now = this.d.clock.iso();
      this.d.repos.policies.insert({
        id,
        name: input.name.trim(),
        sourceEnvironmentId: input.sourceEnvironmentId,
        targetEnvironmentId: input.targetEnvironmentId,
        schedule: input.schedule?.trim() ?? null,
        webhookUrl: input.webhookUrl?.trim() ?? null,
        createdAt: now,
        updatedAt: now,
      });
      for (const r of input.resources) {
        this.d.repos.policies.insertResource({ id: newId('res'), policyId: id, type: r.type, nativeId: r.nativeId, name: r.name, addedAt: now });
      }
      this.saveWebhookSettings(id, input, actor, null);
      this.d.audit.record(actor, 'policy.create', id, `${input.name.trim()}: ${input.resources.length} resource(s), schedule ${input.schedule ?? 'on demand'}`);
    }).immediate();
    this.d.events.emit('dr:policies.changed', { policyId: id });
    return this.get(id);
  }

  update(id: string, expectedUpdatedAt: string, input: PolicyInput, actor: AuditActor = 'operator'): PolicyDetails {
    this.d.repos.db.transaction(() => {
      const current = this.requireEditable(id, 'edited');
      if (current.updatedAt !== expectedUpdatedAt) {
        throw conflict(`Policy "${current.name}" was changed elsewhere since you opened it; reload and edit again.`);
      }
      this.validate(input, current);
      const now = this.d.clock.now();
      const at = now.toISOString();
      const changed = this.d.repos.policies.update({
        id,
        name: input.name.trim(),
        sourceEnvironmentId: input.sourceEnvironmentId,
        targetEnvironmentId: input.targetEnvironmentId,
        schedule: input.schedule?.trim() ?? null,
        webhookUrl: input.webhookUrl?.trim() ?? null,
        updatedAt: laterThan(now, current.updatedAt),
        expectedUpdatedAt,
      });
      if (!changed) throw conflict(`Policy "${current.name}" was changed elsewhere since you opened it; reload and edit again.`);
      this.saveWebhookSettings(id, input, actor, current);

      // Reconcile the resource list: dropped resources are retired (their recovery point items stay).
      const key = (type: string, nativeId: string) => `${type}\u0000${nativeId}`;
      const existing = new Map(this.d.repos.policies.allResources(id).map((r) => [key(r.type, r.nativeId), r]));
      const wanted = new Set<string>();
      for (const r of input.resources) {
        const k = key(r.type, r.nativeId);
        wanted.add(k);
        const found = existing.get(k);
        if (!found) this.d.repos.policies.insertResource({ id: newId('res'), policyId: id, type: r.type, nativeId: r.nativeId, name: r.name, addedAt: at });
        else if (found.removedAt !== null) this.d.repos.policies.reviveResource(found.id, r.name, at);
      }
      for (const [k, r] of existing) if (!wanted.has(k) && r.removedAt === null) this.d.repos.policies.retireResource(r.id, at);
      this.d.audit.record(actor, 'policy.update', id, `${input.name.trim()}: ${input.resources.length} resource(s), schedule ${input.schedule ?? 'on demand'}`);
    }).immediate();
    this.d.events.emit('dr:policies.changed', { policyId: id });
    return this.get(id);
  }

  delete(id: string, actor: AuditActor = 'operator'): void {
    this.d.repos.db.transaction(() => {
      const current = this.requireEditable(id, 'deleted');
      const live = this.d.repos.policies.liveTestResourceCount(id);
      if (live > 0) {
        throw precondition(`Policy "${current.name}" still has ${live} test failover resource(s) in the target; run Reset first.`);
      }
      if (!this.d.repos.policies.delete(id)) throw precondition(`Policy "${current.name}" can no longer be deleted.`);
      this.d.audit.record(actor, 'policy.delete', id, current.name);
    }).immediate();
    this.d.events.emit('dr:policies.changed', { policyId: id });
  }

  nextReplicationAt(p: Pick<PolicyRecord, 'state' | 'schedule'>): string | null {
    if (p.state !== 'active' || p.schedule === null) return null;
    return nextRunAfter(p.schedule, this.d.clock.now(), timeFormatterOf(this.d.repos.settings).zone)?.toISOString() ?? null;
  }

  private summary(p: PolicyRecord): PolicySummary {
    return {
      id: p.id,
      name: p.name,
      state: p.state,
      cloud: p.cloud,
      simulated: this.d.providers.find(p.provider)?.simulated ?? p.provider === 'sim',
      sourceEnvironment: p.source,
      targetEnvironment: p.target,
      resourceCount: p.resourceCount,
      latestRecoveryPointAt: p.latestRecoveryPointAt,
      schedule: p.schedule,
      nextReplicationAt: this.nextReplicationAt(p),
      runningJobId: p.runningJobId,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    };
  }

  /** The secret is sealed under the policy's id; omitted keeps the stored one, null removes it. */
  private saveWebhookSettings(id: string, input: PolicyInput, actor: AuditActor, before: PolicyRecord | null): void {
    const secret = input.webhookSecret;
    const allowPrivate = input.webhookAllowPrivateTargets ?? false;
    this.d.repos.policies.setWebhookSettings(id, {
      onTestFailover: input.webhookOnTestFailover,
      allowPrivateTargets: allowPrivate,
      sealedSecret: secret === undefined ? undefined : secret === null ? null : this.d.vault.sealWebhookSecret(id, secret),
    });
    // That the signing key changed is worth an audit row; the key itself never is.
    if (secret !== undefined) this.d.audit.record(actor, 'policy.webhookSecret', id, secret === null ? 'signing secret removed' : 'signing secret set');
    // Letting a signed POST reach link-local / metadata addresses is a security decision: audited.
    if (allowPrivate !== (before?.webhookAllowPrivateTargets ?? false)) {
      this.d.audit.record(actor, 'policy.webhookPrivateTargets', id, allowPrivate ? 'private webhook targets allowed' : 'private webhook targets refused');
    }
  }

  private requireEditable(id: string, verb: 'edited' | 'deleted'): PolicyRecord {
    const p = this.d.repos.policies.get(id);
    if (!p) throw notFound('Policy', id);
    if (p.state !== 'active') {
      throw precondition(`Policy "${p.name}" is ${STATE_WORDS[p.state]} and can no longer be ${verb}.`);
    }
    if (p.runningJobId !== null) {
      throw precondition(`Policy "${p.name}" has a job running; wait for it to finish (or cancel it) before it is ${verb}.`);
    }
    return p;
  }

  /** Every rule that needs the database; field shapes were checked by the contract already. */
  private validate(input: PolicyInput, current: PolicyRecord | null): void {
    const problems: ErrorDetail[] = [];
    const name = input.name.trim();
    const sameName = this.d.repos.policies.idByName(name);
    if (sameName !== null && sameName !== current?.id) throw conflict(`A policy named "${name}" already exists.`);

    const source = this.d.repos.environments.get(input.sourceEnvironmentId);
    const target = this.d.repos.environments.get(input.targetEnvironmentId);
    if (!source) problems.push({ path: 'sourceEnvironmentId', message: 'is not a known environment' });
    if (!target) problems.push({ path: 'targetEnvironmentId', message: 'is not a known environment' });
    if (source && target) {
      if (source.id === target.id) {
        problems.push({ path: 'targetEnvironmentId', message: 'must be a different environment from the source' });
      } else if (source.cloud !== target.cloud) {
        problems.push({ path: 'targetEnvironmentId', message: `must be in the same cloud as the source (${source.cloud})` });
      } else if (source.provider !== target.provider) {
        problems.push({ path: 'targetEnvironmentId', message: 'must use the same provider as the source' });
      }
    }
    if (current && (current.sourceEnvironmentId !== input.sourceEnvironmentId || current.targetEnvironmentId !== input.targetEnvironmentId)) {
      if (current.latestRecoveryPointAt !== null || this.d.repos.recoveryPoints.list({ policyId: current.id, offset: 0, limit: 1 }).total > 0) {
        problems.push({
          path: 'sourceEnvironmentId',
          message: 'cannot change once the policy has recovery points; create a new policy instead',
        });
      }
    }

    const adapter = source ? this.d.providers.find(source.provider) : undefined;
    if (source && !adapter) problems.push({ path: 'sourceEnvironmentId', message: `uses the ${source.provider} provider, which this console does not have` });
    const seen = new Set<string>();
    input.resources.forEach((r, i) => {
      const k = `${r.type}\u0000${r.nativeId}`;
      if (seen.has(k)) problems.push({ path: `resources.${i}`, message: 'is listed twice' });
      seen.add(k);
      if (source && resourceType(r.type).cloud !== source.cloud) {
        problems.push({ path: `resources.${i}.type`, message: `is not a ${source.cloud} resource type` });
      } else if (adapter && !adapter.handler(r.type)) {
        problems.push({ path: `resources.${i}.type`, message: `is not supported by ${adapter.label}` });
      }
    });

    if (input.webhookUrl !== null && !(input.webhookAllowPrivateTargets ?? false)) {
      const problem = privateTargetProblem(input.webhookUrl);
      if (problem) problems.push({ path: 'webhookUrl', message: problem });
    }

    if (input.schedule !== null) {
      const problem = scheduleProblem(input.schedule);
      if (problem) problems.push({ path: 'schedule', message: problem });
    }

    if (problems.length > 0) {
      const first = problems[0]!;
      throw invalid(`The policy is not valid: ${first.path ?? 'input'} ${first.message}.`, problems);
    }
  }
}
