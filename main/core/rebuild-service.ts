// Rebuild from the clouds (issue 12, item 4): a laptop that lost its database scans the target
// environments of the accounts configured again and reconstructs each policy's recovery-point catalog
// from the manifests replication wrote there (catalog-publisher.ts), and its failover state from the
// failover leases and the dr:* tags (policy, job, recovery point, role) on what the adapters made
// there; the tags also name points whose manifest never arrived and test copies left behind. A
// policy whose failover started anywhere comes back failing over (or failed over), never active: the
// lease keeps it that way in the cloud too.

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
  'Recovery points whose manifest never reached the target (the target was unreachable when they were taken): the policy\'s note names those whose replication data carries their dr:recovery-point tag.',
  'Credentials and webhook signing secrets (never written to the clouds): add the accounts and secrets again.',
  'Test failover resources still in the target: the policy\'s note names them (their dr:test tag), but they are not live test resources here, so Reset cannot delete them; delete them in the cloud.',
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

/** What the dr:* tags in a target say of one policy (providers/target-store.ts TaggedResource). */
interface TagEvidence {
  /** The first failover resource found: the job that made it and the point it came from. */
  failover: { jobId: string | null; recoveryPointId: string | null } | null;
  /** Names of test-failover copies still there. */
  tests: string[];
  /** Recovery points that replication data in the target belongs to. */
  replicationPoints: Set<string>;
}

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
    const leases = new Map<string, { envId: string; lease: FailoverLease }>();
    const tags = new Map<string, { envId: string; found: TagEvidence }>();
    for (const { envId, scan } of scans) {
      for (const m of scan.manifests) {
        const entry = manifests.get(m.policy.id) ?? { envId, list: [] };
        entry.list.push(m);
        manifests.set(m.policy.id, entry);
      }
      for (const l of scan.leases) leases.set(l.policyId, { envId, lease: l });
      for (const t of scan.tagged) {
        const entry = tags.get(t.policyId) ?? { envId, found: { failover: null, tests: [], replicationPoints: new Set<string>() } };
        if (t.role === 'failover' && !entry.found.failover) entry.found.failover = { jobId: t.jobId, recoveryPointId: t.recoveryPointId };
        else if (t.role === 'test') entry.found.tests.push(t.name);
        else if (t.role === 'replication' && t.recoveryPointId) entry.found.replicationPoints.add(t.recoveryPointId);
        tags.set(t.policyId, entry);
      }
    }

    for (const [policyId, { envId, list }] of manifests) {
      list.sort((a, b) => a.recoveryPoint.createdAt.localeCompare(b.recoveryPoint.createdAt));
      try {
        report.policies.push(repos.db.transaction(() => this.rebuildPolicy(policyId, envId, list, leases.get(policyId)?.lease, tags.get(policyId)?.found))());
      } catch (err) {
        const latest = list[list.length - 1]!;
        report.policies.push({ policyId, policyName: latest.policy.name, outcome: 'skipped', state: 'active', recoveryPointsAdded: 0, recoveryPoints: 0, note: describeError(err) });
      }
    }
    // A lease or tags without any manifest: a policy the target knows of but cannot give back (its
    // manifests never got there). One configured here still takes the failover state; else it is said.
    for (const policyId of new Set([...leases.keys(), ...tags.keys()])) {
      if (manifests.has(policyId)) continue;
      const lease = leases.get(policyId)?.lease;
      const found = tags.get(policyId)?.found;
      if (!lease && !found?.failover && !found?.tests.length && !found?.replicationPoints.size) continue;
      report.policies.push(repos.db.transaction(() => this.withoutManifest(policyId, lease, found))());
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

  private rebuildPolicy(policyId: string, targetEnvId: string, list: CatalogManifest[], lease: FailoverLease | undefined, found: TagEvidence | undefined): PolicyResult {
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

    // Replication data tagged with a point no manifest describes: the point happened, its settings did not reach the target.
    const missing = [...(found?.replicationPoints ?? [])].filter((id) => !list.some((m) => m.recoveryPoint.id === id) && !havePoint.get(id)).sort();
    if (missing.length > 0) {
      notes.push(
        `${missing.length} recovery point(s) have replication data in the target (tagged dr:recovery-point: ${missing.join(', ')}) but no catalog manifest there, so they are not rebuilt: their settings never reached the target.`,
      );
    }
    const applied = this.applyFailoverState(policyId, lease, found, notes);
    if (applied && outcome === 'unchanged') outcome = 'updated';
    this.noteTests(found, notes);
    const state = this.d.repos.policies.get(policyId)?.state ?? 'active';
    return { policyId, policyName: this.d.repos.policies.get(policyId)?.name ?? latest.policy.name, outcome, state, recoveryPointsAdded: added, recoveryPoints: list.length, note: notes.join(' ') || null };
  }

  /** A policy the target has a lease or tags of, but no manifest: its state where it is configured, else a sentence. */
  private withoutManifest(policyId: string, lease: FailoverLease | undefined, found: TagEvidence | undefined): PolicyResult {
    const notes: string[] = [];
    const local = this.d.repos.policies.get(policyId);
    const name = local?.name ?? lease?.policyName ?? policyId;
    if (!local) {
      notes.push(`The target holds ${lease ? 'a failover lease' : 'resources tagged'} for policy ${name} but no catalog manifest of it, so it cannot be rebuilt here: its recovery points never reached the target.`);
      const failover = lease && lease.state !== 'abandoned' ? lease.state : found?.failover ? 'held' : null;
      if (failover) notes.push(failover === 'completed' ? 'It was failed over: do not protect or fail over its resources again from here.' : 'Its failover has started elsewhere: do not fail its resources over from here.');
      this.noteTests(found, notes);
      const state = failover === 'completed' ? 'failed_over' : failover ? 'failing_over' : 'active';
      return { policyId, policyName: name, outcome: 'skipped', state, recoveryPointsAdded: 0, recoveryPoints: 0, note: notes.join(' ') };
    }
    const applied = this.applyFailoverState(policyId, lease, found, notes);
    this.noteTests(found, notes);
    return {
      policyId,
      policyName: name,
      outcome: applied ? 'updated' : 'unchanged',
      state: this.d.repos.policies.get(policyId)?.state ?? 'active',
      recoveryPointsAdded: 0,
      recoveryPoints: 0,
      note: notes.join(' ') || null,
    };
  }

  /** The failover state: the lease first (it names the job and whether it completed), then the failover tags. True when it changed. */
  private applyFailoverState(policyId: string, lease: FailoverLease | undefined, found: TagEvidence | undefined, notes: string[]): boolean {
    const { db } = this.d.repos;
    let state: PolicyResult['state'] = this.d.repos.policies.get(policyId)?.state ?? 'active';
    let changed = false;
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
      changed = true;
    };
    if (lease && lease.state !== 'abandoned') {
      if (lease.state === 'completed') {
        toState('failed_over', lease.jobId, lease.releasedAt ?? lease.acquiredAt);
        notes.push(`Failed over by console ${lease.holder.host} (job ${lease.jobId}), finished ${lease.releasedAt ?? 'at an unknown time'}.`);
      } else {
        toState('failing_over', lease.jobId, null);
        notes.push(`Failing over: console ${lease.holder.host} holds the failover lease since ${lease.acquiredAt} (job ${lease.jobId}); only that console can finish it.`);
      }
    } else if (found?.failover) {
      const f = found.failover;
      toState('failing_over', f.jobId ?? 'unknown', null);
      const from = [f.jobId ? `job ${f.jobId}` : null, f.recoveryPointId ? `from recovery point ${f.recoveryPointId}` : null].filter(Boolean).join(', ');
      notes.push(`Failover resources of this policy exist in the target but no failover lease does${from ? ` (${from})` : ''}: shown as failing over, never as available.`);
    }
    return changed;
  }

  private noteTests(found: TagEvidence | undefined, notes: string[]): void {
    const tests = [...new Set(found?.tests ?? [])].sort();
    if (tests.length === 0) return;
    const shown = tests.slice(0, 5).join(', ');
    notes.push(`${tests.length} test failover resource(s) of this policy are still in the target (tagged dr:test: ${shown}${tests.length > 5 ? ', ...' : ''}); this console cannot Reset them: delete them in the cloud.`);
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
