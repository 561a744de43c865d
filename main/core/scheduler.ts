// Runs active policies' replication on their cron schedules while the console runs. Due times are
// computed with croner against the Clock port and checked by tick(), so tests drive it with a fake
// clock; in the app a timer calls tick() when the next run is due. Missed runs are not caught up,
// with one exception: while a policy's accounts are offline its due runs pause, and the console runs
// it ONCE when they answer again (not once per missed slot). The missed slots are kept in the file
// (schedule_missed_slots), so a restart while offline keeps the catch-up; any replication of the
// policy created since the first missed slot counts as it, so a crash right after starting it, or a
// run the operator started first, never makes it run twice.

import type { Repos } from '../db/repos';
import type { Clock } from './clock';
import { DomainError } from './errors';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { ReplicationService } from './replication-service';
import type { ConnectivityMonitor } from './connectivity';
import { nextRunAfter } from './schedule';
import { timeFormatterOf } from './settings-service';

/** Longest sleep between checks, so a changed system clock is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;

interface Entry {
  schedule: string;
  /** The display zone the schedule was read in; a changed setting re-reads it. */
  zone: string;
  nextAt: Date | null;
}

interface MissedRow {
  policy_id: string;
  first_missed_at: string;
  missed: number;
}

export interface SchedulerDeps {
  repos: Repos;
  replication: Pick<ReplicationService, 'start'>;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  connectivity?: Pick<ConnectivityMonitor, 'isOffline' | 'onOnline'> & Partial<Pick<ConnectivityMonitor, 'get' | 'check'>>;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;
  private running = false;
  private offOnline: (() => void) | null = null;

  constructor(private readonly d: SchedulerDeps) {}

  /** Loads schedules and keeps them current as policies change; arms the timer. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.reload();
    this.unsubscribe = this.d.events.subscribe((name) => {
      if (name === 'dr:policies.changed' && this.running) {
        this.reload();
        this.arm();
      }
    });
    this.offOnline =
      this.d.connectivity?.onOnline(() => {
        if (!this.running) return;
        this.tick();
        this.arm();
      }) ?? null;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.offOnline?.();
    this.offOnline = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Re-reads active scheduled policies; unchanged schedules keep their due time. */
  reload(): void {
    const now = this.d.clock.now();
    const zone = timeFormatterOf(this.d.repos.settings).zone;
    const seen = new Set<string>();
    for (const { id, schedule } of this.d.repos.policies.scheduled()) {
      seen.add(id);
      const current = this.entries.get(id);
      if (current && current.schedule === schedule && current.zone === zone) continue;
      this.entries.set(id, { schedule, zone, nextAt: nextRunAfter(schedule, now, zone) });
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
    // A policy no longer scheduled (edited, failed over) has nothing to catch up.
    for (const row of this.missedRows()) if (!seen.has(row.policy_id)) this.clearMissed(row.policy_id);
  }

  nextRunAt(policyId: string): Date | null {
    return this.entries.get(policyId)?.nextAt ?? null;
  }

  /** True when a slot was missed while offline and the policy will run once its accounts answer. */
  waitingForNetwork(policyId: string): boolean {
    return this.d.repos.db.prepare('SELECT 1 FROM schedule_missed_slots WHERE policy_id = ?').pluck().get(policyId) !== undefined;
  }

  /** Starts replication for every policy that is due (or missed a slot offline); returns the job ids. */
  tick(): string[] {
    this.reload();
    const now = this.d.clock.now();
    const missed = new Map(this.missedRows().map((r) => [r.policy_id, r]));
    const started: string[] = [];
    for (const [policyId, entry] of this.entries) {
      const slot = entry.nextAt;
      const due = slot !== null && slot.getTime() <= now.getTime();
      const pending = missed.get(policyId);
      if (!due && !pending) continue;
      if (due) entry.nextAt = nextRunAfter(entry.schedule, now, entry.zone);
      if (this.offline(policyId)) {
        if (due) {
          if (!pending) this.d.logger.info(`Scheduled replication of ${policyId} paused: its accounts are offline; it runs once when they answer`);
          this.recordMissed(policyId, slot!.toISOString());
        }
        continue;
      }
      // The catch-up already exists (started just before a crash, or by the operator): not again.
      if (pending && !due && this.replicatedSince(policyId, pending.first_missed_at)) {
        this.clearMissed(policyId);
        continue;
      }
      // An account not heard from since the console started may be offline: a run started now would
      // fail every step. The slot waits (as a missed one) for a probe; once it is answered, tick again.
      const unheard = this.unheard(policyId);
      if (unheard.length > 0) {
        if (due) this.recordMissed(policyId, slot!.toISOString());
        this.probeThenTick(unheard);
        continue;
      }
      try {
        started.push(this.d.replication.start(policyId, 'schedule', 'scheduler').jobId);
        if (pending) this.clearMissed(policyId);
      } catch (err) {
        // A run already in progress, or a policy failed over in between: skip this slot (and the catch-up).
        if (err instanceof DomainError) {
          this.d.logger.info(`Scheduled replication of ${policyId} skipped: ${err.message}`);
          if (pending) this.clearMissed(policyId);
        } else this.d.logger.error(`Scheduled replication of ${policyId} failed to start`, err);
      }
    }
    return started;
  }

  private missedRows(): MissedRow[] {
    return this.d.repos.db.prepare('SELECT policy_id, first_missed_at, missed FROM schedule_missed_slots').all() as MissedRow[];
  }

  /** One more slot missed offline; the first one's time is kept (a replication since then is the catch-up). */
  private recordMissed(policyId: string, slotAt: string): void {
    this.d.repos.db
      .prepare(
        `INSERT INTO schedule_missed_slots (policy_id, first_missed_at, last_missed_at, missed) VALUES (?, ?, ?, 1)
         ON CONFLICT(policy_id) DO UPDATE SET last_missed_at = excluded.last_missed_at, missed = missed + 1`,
      )
      .run(policyId, slotAt, slotAt);
  }

  private clearMissed(policyId: string): void {
    this.d.repos.db.prepare('DELETE FROM schedule_missed_slots WHERE policy_id = ?').run(policyId);
  }

  private replicatedSince(policyId: string, at: string): boolean {
    return this.d.repos.db.prepare(`SELECT 1 FROM jobs WHERE policy_id = ? AND kind = 'replication' AND created_at >= ? LIMIT 1`).pluck().get(policyId, at) !== undefined;
  }

  /** The policy's accounts whose connectivity is unknown (not heard from since start), when they can be probed. */
  private unheard(policyId: string): string[] {
    const c = this.d.connectivity;
    if (!c?.get || !c.check) return [];
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) return [];
    const accounts = [policy.sourceEnvironmentId, policy.targetEnvironmentId].map((id) => this.d.repos.environments.get(id)?.accountId);
    return [...new Set(accounts.filter((a): a is string => a !== undefined && c.get!(a).status === 'unknown'))];
  }

  /** Probes the accounts (one probe per account at a time), then ticks again if the scheduler runs. */
  private probeThenTick(accountIds: readonly string[]): void {
    const check = this.d.connectivity?.check;
    if (!check) return;
    void Promise.allSettled(accountIds.map((a) => check.call(this.d.connectivity, a))).then(() => {
      if (!this.running) return;
      // A probe that found nothing (the state is still unknown) is not asked again in a loop.
      if (accountIds.every((a) => this.d.connectivity?.get?.(a).status === 'unknown')) return;
      try {
        this.tick();
      } catch (err) {
        this.d.logger.error('Scheduler tick failed', err);
      }
      this.arm();
    });
  }

  private offline(policyId: string): boolean {
    const c = this.d.connectivity;
    if (!c) return false;
    const policy = this.d.repos.policies.get(policyId);
    if (!policy) return false;
    const accounts = [policy.sourceEnvironmentId, policy.targetEnvironmentId].map((id) => this.d.repos.environments.get(id)?.accountId);
    return accounts.some((a) => a !== undefined && c.isOffline(a));
  }

  private arm(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.d.clock.now().getTime();
    let soonest = now + MAX_SLEEP_MS;
    for (const e of this.entries.values()) if (e.nextAt && e.nextAt.getTime() < soonest) soonest = e.nextAt.getTime();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      try {
        this.tick();
      } catch (err) {
        this.d.logger.error('Scheduler tick failed', err);
      }
      this.arm();
    }, Math.max(0, soonest - now));
    this.timer.unref?.();
  }
}
