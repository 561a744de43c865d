// The failover lease (issue 12, item 5): before failover.start commits, the console takes a lease
// named after the policy in the TARGET environment with the cloud's own conditional write (S3
// If-None-Match: *, GCS ifGenerationMatch=0, an Azure blob condition; sim models the same). A second
// console, or a rebuilt one, gets a sentence naming who holds it and since when. The lease records
// the job and is released only by that job's completion; the released lease stays in the target as
// "completed", so the one-time rule (R2) holds across laptops too. An unreachable target refuses the
// start unless the operator overrides, and the override is audited; so does a provider that keeps no
// lease at all (no target store): every failover either holds a lease or has an audited override.

import { hostname, userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LEASE_OVERRIDE_PATH } from '../../../shared/offline';
import type { PolicyRecord } from '../../db/policies-repo';
import type { Repos } from '../../db/repos';
import { ProviderFailure } from '../../providers/provider-failure';
import type { FailoverLease, LeaseHolder, StoreVersion, TargetStore } from '../../providers/target-store';
import type { EnvRef } from '../../providers/types';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import type { ConnectivityMonitor } from '../connectivity';
import { DomainError, describeError, precondition } from '../errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { ProviderRegistry } from '../provider-registry';

const CONSOLE_ID_SETTING = 'console.id';

/** The lease this console took for one start, handed back to the service's transaction. */
export type AcquiredLease =
  | { kind: 'held'; policyId: string; jobId: string; environmentId: string; env: EnvRef; store: TargetStore; lease: FailoverLease; version: StoreVersion }
  /**
   * Started without a lease, for the operator's stated reason: the target could not be reached, or
   * its provider keeps no lease at all (no target store). Recorded locally and in the audit log.
   */
  | { kind: 'overridden'; policyId: string; jobId: string; environmentId: string; reason: string; cause: string };

/** On a refusal the override can lift: the renderer offers "Start without the lease" for it. */
export const LEASE_OVERRIDE_DETAIL = { path: LEASE_OVERRIDE_PATH, message: 'Start without the failover lease, giving a reason (recorded in the audit log).' } as const;

export interface LeaseOverride {
  /** Why the operator starts without a lease; stored in the audit log. */
  reason: string;
}

export interface FailoverLeasesDeps {
  repos: Repos;
  providers: ProviderRegistry;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  connectivity?: ConnectivityMonitor;
  /** How long taking the lease may take before the target counts as unreachable. */
  timeoutMs?: number;
  /** Who this console is, as another console's sentence will name it (tests run two in one process). */
  holder?: Partial<LeaseHolder>;
}

interface LeaseRow {
  policy_id: string;
  job_id: string;
  environment_id: string;
  holder: string;
  acquired_at: string;
  state: 'held' | 'completed' | 'overridden';
  released_at: string | null;
  release_error: string | null;
}

export interface LocalLeaseView {
  policyId: string;
  jobId: string;
  holder: LeaseHolder;
  acquiredAt: string;
  state: LeaseRow['state'];
  releasedAt: string | null;
  releaseError: string | null;
}

function describeHolder(h: LeaseHolder): string {
  return `console ${h.host}${h.user ? ` (${h.user})` : ''}`;
}

/** The sentence another console's lease produces. */
export function leaseRefusal(policyName: string, lease: FailoverLease): string {
  if (lease.state === 'completed') {
    return `Policy "${policyName}" was already failed over by ${describeHolder(lease.holder)}, finished ${lease.releasedAt ?? lease.acquiredAt} (job ${lease.jobId}); failover runs only once per policy.`;
  }
  return `A failover of policy "${policyName}" is already running from ${describeHolder(lease.holder)} since ${lease.acquiredAt} (job ${lease.jobId}); it holds the failover lease in the target, so this console did not start a second one.`;
}

function isUnreachable(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  return err instanceof ProviderFailure && (err.code === 'ProviderOffline' || err.code === 'ProviderUnavailable');
}

export class FailoverLeases {
  readonly holder: LeaseHolder;
  private readonly inFlight = new Set<string>();
  private readonly releases = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly d: FailoverLeasesDeps) {
    let consoleId = d.repos.settings.get(CONSOLE_ID_SETTING);
    if (!consoleId) {
      consoleId = `console-${randomBytes(8).toString('hex')}`;
      d.repos.settings.set(CONSOLE_ID_SETTING, consoleId);
    }
    let user = '';
    try {
      user = userInfo().username;
    } catch {
      // No user name in some sandboxes; the host still names the console.
    }
    this.holder = { consoleId, host: hostname(), user, ...d.holder };
  }

  /** Releases leases of failover jobs that completed (at start-up: a release the network missed). */
  start(): void {
    this.unsubscribe = this.d.events.subscribe((name, payload) => {
      if (name !== 'dr:job.finished') return;
      const p = payload as { jobId: string; kind: string; status: string };
      if (p.kind === 'failover' && p.status === 'succeeded') this.track(this.releaseForJob(p.jobId));
    });
    this.d.connectivity?.onOnline(() => this.track(this.releasePending()));
    this.track(this.releasePending());
  }

  /** Resolves when no release is in flight (tests, close). */
  async idle(): Promise<void> {
    while (this.releases.size > 0) await Promise.allSettled([...this.releases]);
  }

  private track(p: Promise<unknown>): void {
    const run = p
      .catch((err: unknown) => this.d.logger.warn(`Releasing a failover lease failed: ${describeError(err)}`))
      .finally(() => this.releases.delete(run));
    this.releases.add(run);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /**
   * Takes the policy's lease in its target for `jobId`. Throws the sentence when another console
   * holds it, or (without an override) when the target cannot be reached.
   */
  async acquire(policy: PolicyRecord, jobId: string, override?: LeaseOverride): Promise<AcquiredLease> {
    if (this.inFlight.has(policy.id)) {
      throw precondition(`A failover of policy "${policy.name}" is being started from this console right now; it cannot be started twice.`);
    }
    this.inFlight.add(policy.id);
    try {
      return await this.take(policy, jobId, override);
    } catch (err) {
      this.inFlight.delete(policy.id);
      throw err;
    }
  }

  /** The start's transaction committed or failed: the policy may be tried again. */
  settle(acquired: AcquiredLease): void {
    this.inFlight.delete(acquired.policyId);
  }

  /** Inside the start transaction: the local record of what was taken (or overridden). */
  recordLocal(acquired: AcquiredLease, now: string): void {
    this.d.repos.db
      .prepare(
        `INSERT INTO failover_leases (policy_id, job_id, environment_id, holder, acquired_at, state) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(policy_id) DO UPDATE SET job_id = excluded.job_id, environment_id = excluded.environment_id, holder = excluded.holder,
           acquired_at = excluded.acquired_at, state = excluded.state, released_at = NULL, release_error = NULL`,
      )
      .run(acquired.policyId, acquired.jobId, acquired.environmentId, JSON.stringify(this.holder), now, acquired.kind === 'held' ? 'held' : 'overridden');
  }

  /** The start did not commit after the lease was taken: mark it abandoned so a retry can take it. */
  async abandon(acquired: AcquiredLease): Promise<void> {
    this.settle(acquired);
    if (acquired.kind !== 'held') return;
    try {
      const next: FailoverLease = { ...acquired.lease, state: 'abandoned', releasedAt: this.d.clock.iso() };
      await acquired.store.replaceLease(acquired.env, next, acquired.version, AbortSignal.timeout(this.d.timeoutMs ?? 10_000));
    } catch (err) {
      // Left held by a job that does not exist: this console takes it back on its next attempt.
      this.d.logger.warn(`Could not mark the unused failover lease of ${acquired.policyId} abandoned: ${describeError(err)}`);
    }
  }

  local(policyId: string): LocalLeaseView | null {
    const r = this.d.repos.db.prepare('SELECT * FROM failover_leases WHERE policy_id = ?').get(policyId) as LeaseRow | undefined;
    return r
      ? { policyId: r.policy_id, jobId: r.job_id, holder: JSON.parse(r.holder) as LeaseHolder, acquiredAt: r.acquired_at, state: r.state, releasedAt: r.released_at, releaseError: r.release_error }
      : null;
  }

  /** The job's completion releases its lease: the target's object becomes "completed" (kept, see top). */
  async releaseForJob(jobId: string): Promise<boolean> {
    const row = this.d.repos.db.prepare(`SELECT * FROM failover_leases WHERE job_id = ? AND state = 'held'`).get(jobId) as LeaseRow | undefined;
    if (!row) return false;
    const job = this.d.repos.jobs.get(jobId);
    if (!job || job.status !== 'succeeded') return false;
    const policy = this.d.repos.policies.get(row.policy_id);
    const at = this.d.clock.iso();
    try {
      if (!policy) throw new Error('the policy is gone');
      const store = this.d.providers.get(policy.provider).targetStore;
      if (!store) throw new Error('the provider has no target store');
      const env = this.d.providers.envRef(row.environment_id);
      const signal = AbortSignal.timeout(this.d.timeoutMs ?? 10_000);
      const current = await store.readLease(env, row.policy_id, signal);
      if (!current || current.lease.jobId !== jobId) throw new Error('the lease in the target is no longer this job\'s');
      if (current.lease.state !== 'completed') {
        const ok = await store.replaceLease(env, { ...current.lease, state: 'completed', releasedAt: at }, current.version, signal);
        if (ok === null) throw new Error('the lease changed while it was being released');
      }
      this.d.repos.db.prepare(`UPDATE failover_leases SET state = 'completed', released_at = ?, release_error = NULL WHERE policy_id = ?`).run(at, row.policy_id);
      this.d.audit.record('system', 'failover.lease-release', row.policy_id, `job ${jobId}: the failover lease in the target is released (completed)`);
      return true;
    } catch (err) {
      const why = describeError(err);
      this.d.repos.db.prepare('UPDATE failover_leases SET release_error = ? WHERE policy_id = ?').run(why, row.policy_id);
      this.d.logger.warn(`The failover lease of job ${jobId} is not released yet (${why}); it is tried again when the target answers`);
      return false;
    }
  }

  /** Releases every held lease whose job has completed. */
  async releasePending(): Promise<void> {
    const rows = this.d.repos.db
      .prepare(`SELECT l.job_id FROM failover_leases l JOIN jobs j ON j.id = l.job_id WHERE l.state = 'held' AND j.status = 'succeeded'`)
      .pluck()
      .all() as string[];
    for (const jobId of rows) await this.releaseForJob(jobId);
  }

  private async take(policy: PolicyRecord, jobId: string, override?: LeaseOverride): Promise<AcquiredLease> {
    const base = { policyId: policy.id, jobId, environmentId: policy.targetEnvironmentId };
    const adapter = this.d.providers.get(policy.provider);
    const store = adapter.targetStore;
    const reason = override?.reason.trim() ?? '';
    if (!store) {
      // No lease is possible there, so nothing would keep a second console out: the operator decides.
      if (reason.length > 0) return { ...base, kind: 'overridden', reason, cause: `${adapter.label} keeps no failover lease in the target` };
      throw new DomainError(
        'PreconditionFailed',
        `No failover lease: ${adapter.label} cannot keep a failover lease in ${policy.target.name} (${policy.target.region}), so nothing in the target stops another console from failing policy "${policy.name}" over at the same time. Failover did not start and nothing was changed; start with the override (recorded in the audit log) if you are sure no other console is failing this policy over.`,
        [LEASE_OVERRIDE_DETAIL],
      );
    }
    const env = this.d.providers.envRef(policy.targetEnvironmentId);
    const now = this.d.clock.iso();
    const lease: FailoverLease = { version: 1, policyId: policy.id, policyName: policy.name, jobId, holder: this.holder, acquiredAt: now, state: 'held', releasedAt: null };
    const signal = AbortSignal.timeout(this.d.timeoutMs ?? 10_000);
    try {
      const created = await store.createLease(env, lease, signal);
      if (created.created) return { ...base, kind: 'held', env, store, lease, version: created.version };
      const current = created.current;
      if (this.mayTakeOver(current)) {
        const version = await store.replaceLease(env, lease, created.version, signal);
        if (version !== null) return { ...base, kind: 'held', env, store, lease, version };
        const again = await store.readLease(env, policy.id, signal);
        if (again) throw new DomainError('Conflict', leaseRefusal(policy.name, again.lease));
      }
      throw new DomainError('Conflict', leaseRefusal(policy.name, current));
    } catch (err) {
      if (err instanceof DomainError || !isUnreachable(err, signal)) throw err;
      const cause = signal.aborted ? `no answer within ${Math.round((this.d.timeoutMs ?? 10_000) / 1000)} s` : describeError(err);
      if (reason.length > 0) return { ...base, kind: 'overridden', reason, cause };
      throw new DomainError(
        'ProviderOffline',
        `Offline: the failover lease could not be taken in ${policy.target.name} (${policy.target.region}) because the target cannot be reached (${cause}), so failover did not start and nothing was changed. Another console could be failing over this policy; try again when the target answers, or start with the override (recorded in the audit log) if you are sure no other console is.`,
        [LEASE_OVERRIDE_DETAIL],
      );
    }
  }

  /** Ours to take back: abandoned by anyone, or held by this console for a job that never committed. */
  private mayTakeOver(current: FailoverLease): boolean {
    if (current.state === 'abandoned') return true;
    if (current.state !== 'held' || current.holder.consoleId !== this.holder.consoleId) return false;
    // A job of ours that never reached the database (a crash between lease and commit). A start of
    // the same policy in flight in this process was refused by acquire() before getting here.
    return this.d.repos.jobs.get(current.jobId) === null;
  }
}
