// Rebuild from the clouds (issue 12, item 4): a laptop that lost its database scans the target
// environments of the accounts configured again and reconstructs each policy's recovery-point catalog
// from the manifests replication wrote there (catalog-publisher.ts), and its failover state from the
// failover leases and the tags on failover resources. A policy whose failover started anywhere comes
// back failing over (or failed over), never active: the lease keeps it that way in the cloud too.

import { precondition } from './errors';
import type { Cloud } from '../../shared/catalog';
import { describeScope, parseScope, scopeKey } from '../../shared/scope';
import type { RebuildReport } from '../../shared/offline';
import type { Repos } from '../db/repos';
import type { CatalogManifest, FailoverLease, ManifestEnvironment, TargetScan } from '../providers/target-store';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { describeError } from './errors';
import type { EventBus } from './events';
import { newId } from './ids';
import type { ProviderRegistry } from './provider-registry';

/** Said in the UI and in every report: what the clouds do not hold. */
export const REBUILD_CANNOT_RECOVER = [
  'The audit log and its hash chain: it lived only in the lost database (a handover bundle carries it).',
  'Job history other than the replications that produced a recovery point: test failovers, resets, their steps and messages.',
  'The journal of a failover that was running: it cannot be resumed from this laptop; the console that holds the lease must finish it.',
  'Recovery points whose manifest never reached the target (the target was unreachable when they were taken).',
  'Credentials and webhook signing secrets (never written to the clouds): add the accounts and secrets again.',
  'Test failover resources still in the target: they show in the cloud with their dr:test tag but not as live test resources here; delete them in the cloud.',
  'Webhook delivery history, settings and time zone preferences of the lost console.',
];

const JOB_STATUS = { succeeded: 'succeeded', partial: 'partially_failed', failed: 'failed' } as const;

export interface RebuildServiceDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  timeoutMs?: number;
}

type PolicyResult = RebuildReport['policies'][number];

export class RebuildService {
  constructor(private readonly d: RebuildServiceDeps) {}

  /** Scans the given environments (default: every configured one whose provider has a target store). */
  async run(environmentIds?: readonly string[]): Promise<RebuildReport> {
    const { repos, providers } = this.d;
    const envs = (environmentIds ? environmentIds.map((id) => repos.environments.get(id)).filter((e) => e !== null) : repos.environments.list()).filter(
      (e) => providers.find(e.provider)?.targetStore !== undefined,
    );
    const report: RebuildReport = { environmentsScanned: 0, environmentsUnreachable: [], policies: [], unreadable: [], cannotRecover: REBUILD_CANNOT_RECOVER };
    const scans: { envId: string; scan: TargetScan }[] = [];
    for (const env of envs) {
      const store = providers.get(env.provider).targetStore!;
      try {
        const scan = await store.scan(providers.envRef(env.id), AbortSignal.timeout(this.d.timeoutMs ?? 60_000));
        scans.push({ envId: env.id, scan });
        report.environmentsScanned++;
        report.unreadable.push(...scan.unreadable);
      } catch (err) {
        report.environmentsUnreachable.push({ environmentId: env.id, name: env.name, error: describeError(err) });
      }
    }

    const manifests = new Map<string, { envId: string; list: CatalogManifest[] }>();
    const leases = new Map<string, FailoverLease>();
    const failoverTags = new Map<string, string | null>();
    for (const { envId, scan } of scans) {
      for (const m of scan.manifests) {
        const entry = manifests.get(m.policy.id) ?? { envId, list: [] };
        entry.list.push(m);
        manifests.set(m.policy.id, entry);
      }
      for (const l of scan.leases) leases.set(l.policyId, l);
      for (const t of scan.tagged) if (t.role === 'failover' && !failoverTags.has(t.policyId)) failoverTags.set(t.policyId, t.jobId);
    }

    for (const [policyId, { envId, list }] of manifests) {
      list.sort((a, b) => a.recoveryPoint.createdAt.localeCompare(b.recoveryPoint.createdAt));
      try {
        report.policies.push(repos.db.transaction(() => this.rebuildPolicy(policyId, envId, list, leases.get(policyId), failoverTags.get(policyId)))());
      } catch (err) {
        const latest = list[list.length - 1]!;
        report.policies.push({ policyId, policyName: latest.policy.name, outcome: 'skipped', state: 'active', recoveryPointsAdded: 0, recoveryPoints: 0, note: describeError(err) });
      }
    }
    this.d.audit.record(
      'operator',
      'rebuild.run',
      null,
      `${report.environmentsScanned} environment(s) scanned, ${report.environmentsUnreachable.length} unreachable; ${report.policies.filter((p) => p.outcome === 'created').length} policy(ies) created, ${report.policies.reduce((n, p) => n + p.recoveryPointsAdded, 0)} recovery point(s) added`,
    );
    this.d.events.emit('dr:policies.changed', { policyId: null });
    return report;
  }

  private rebuildPolicy(policyId: string, targetEnvId: string, list: CatalogManifest[], lease: FailoverLease | undefined, failoverJob: string | null | undefined): PolicyResult {
    const { db } = this.d.repos;
    const latest = list[list.length - 1]!;
    const notes: string[] = [];
    const existing = this.d.repos.policies.get(policyId);
    let outcome: PolicyResult['outcome'] = existing ? 'unchanged' : 'created';
    if (!existing) {
      const sourceEnvId = this.environmentFor(latest.policy.source, targetEnvId, notes);
      let name = latest.policy.name;
      if (this.d.repos.policies.idByName(name)) {
        name = `${name} (rebuilt ${policyId.slice(-6)})`;
        notes.push(`Another policy here is named "${latest.policy.name}"; this one is listed as "${name}".`);
      }
      this.d.repos.policies.insert({
        id: policyId,
        name,
        sourceEnvironmentId: sourceEnvId,
        targetEnvironmentId: targetEnvId,
        schedule: latest.policy.schedule,
        webhookUrl: latest.policy.webhookUrl,
        createdAt: latest.policy.createdAt,
        updatedAt: this.d.clock.iso(),
      });
    }
    const resources = new Map<string, { type: string; nativeId: string; name: string }>();
    for (const m of list) for (const i of m.items) resources.set(i.protectedResourceId, { type: i.type, nativeId: i.nativeId, name: i.name });
    const haveResource = db.prepare('SELECT 1 FROM protected_resources WHERE id = ?').pluck();
    const insertResource = db.prepare(
      'INSERT OR IGNORE INTO protected_resources (id, policy_id, type, native_id, name, added_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const [id, r] of resources) if (!haveResource.get(id)) insertResource.run(id, policyId, r.type, r.nativeId, r.name, latest.policy.createdAt);

    const havePoint = db.prepare('SELECT 1 FROM recovery_points WHERE id = ?').pluck();
    const haveJob = db.prepare('SELECT 1 FROM jobs WHERE id = ?').pluck();
    const insertJob = db.prepare(
      `INSERT INTO jobs (id, policy_id, kind, status, trigger, recovery_point_id, created_at, started_at, finished_at) VALUES (?, ?, 'replication', ?, 'manual', ?, ?, ?, ?)`,
    );
    const insertPoint = db.prepare('INSERT INTO recovery_points (id, policy_id, job_id, status, created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?)');
    const insertItem = db.prepare(
      `INSERT OR IGNORE INTO recovery_point_items (id, recovery_point_id, protected_resource_id, status, metadata, data_refs, error, captured_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let added = 0;
    for (const m of list) {
      const rp = m.recoveryPoint;
      if (havePoint.get(rp.id)) continue;
      if (!haveJob.get(rp.jobId)) insertJob.run(rp.jobId, policyId, JOB_STATUS[rp.status], rp.id, rp.createdAt, rp.createdAt, rp.completedAt);
      insertPoint.run(rp.id, policyId, rp.jobId, rp.status, rp.createdAt, rp.completedAt);
      for (const i of m.items) insertItem.run(newId('rpi'), rp.id, i.protectedResourceId, i.status, JSON.stringify(i.metadata), JSON.stringify(i.dataRefs), i.error, i.capturedAt);
      added++;
    }
    if (added > 0 && outcome === 'unchanged') outcome = 'updated';

    // The failover state: the lease first (it names the job and whether it completed), then tags.
    let state: PolicyResult['state'] = this.d.repos.policies.get(policyId)?.state ?? 'active';
    const toState = (next: 'failing_over' | 'failed_over', jobId: string, at: string | null) => {
      const rank = { active: 0, failing_over: 1, failed_over: 2 } as const;
      if (rank[next] <= rank[state]) return;
      db.prepare('UPDATE policies SET state = ?, failover_job_id = ?, failed_over_at = ?, updated_at = ? WHERE id = ?').run(
        next,
        jobId,
        next === 'failed_over' ? at : null,
        this.d.clock.iso(),
        policyId,
      );
      state = next;
      if (outcome === 'unchanged') outcome = 'updated';
    };
    if (lease && lease.state !== 'abandoned') {
      if (lease.state === 'completed') {
        toState('failed_over', lease.jobId, lease.releasedAt ?? lease.acquiredAt);
        notes.push(`Failed over by console ${lease.holder.host} (job ${lease.jobId}), finished ${lease.releasedAt ?? 'at an unknown time'}.`);
      } else {
        toState('failing_over', lease.jobId, null);
        notes.push(`Failing over: console ${lease.holder.host} holds the failover lease since ${lease.acquiredAt} (job ${lease.jobId}); only that console can finish it.`);
      }
    } else if (failoverJob !== undefined) {
      toState('failing_over', failoverJob ?? 'unknown', null);
      notes.push('Failover resources of this policy exist in the target but no failover lease does: shown as failing over, never as available.');
    }
    return { policyId, policyName: this.d.repos.policies.get(policyId)?.name ?? latest.policy.name, outcome, state, recoveryPointsAdded: added, recoveryPoints: list.length, note: notes.join(' ') || null };
  }

  /** A configured environment for the manifest's source: same id, else same provider, region and scope. */
  private environmentFor(m: ManifestEnvironment, targetEnvId: string, notes: string[]): string {
    const { repos } = this.d;
    if (repos.environments.get(m.environmentId)) return m.environmentId;
    // The manifest came from the cloud: its scope is read again through the one scope rule.
    const parsed = parseScope(m.cloud as Cloud, m.region, typeof m.scope === 'string' ? m.scope : describeScope(m.scope));
    if (!parsed.ok) throw precondition(`The catalog in the target names a source environment "${m.name}" whose scope cannot be used: ${parsed.message}`);
    const scope = parsed.scope;
    const match = repos.environments.list().find((e) => e.provider === m.provider && e.region === m.region && scopeKey(e.scope) === scopeKey(scope) && e.id !== targetEnvId);
    if (match) return match.id;
    const target = repos.environments.get(targetEnvId)!;
    const account = repos.accounts.get(m.accountId) ?? repos.accounts.list().find((a) => a.name === m.accountName) ?? repos.accounts.get(target.accountId)!;
    const name = repos.environments.list(account.id).some((e) => e.name === m.name) ? `${m.name} (rebuilt)` : m.name;
    repos.environments.insert({ id: m.environmentId, accountId: account.id, name, region: m.region, scope, createdAt: this.d.clock.iso() });
    notes.push(`Source environment "${m.name}" (${m.region}) was added under account "${account.name}".`);
    return m.environmentId;
  }
}
