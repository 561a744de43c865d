// Runs active policies' replication on their cron schedules while the console runs. Due times are
// computed with croner against the Clock port and checked by tick(), so tests drive it with a fake
// clock; in the app a timer calls tick() when the next run is due. Missed runs are not caught up,
// with one exception: while a policy's accounts are offline its due runs pause, and the console runs
// it ONCE when they answer again (not once per missed slot).

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
  /** A slot came due while the policy's accounts were offline: run once when they are back. */
  missedOffline: boolean;
}

export interface SchedulerDeps {
  repos: Repos;
  replication: Pick<ReplicationService, 'start'>;
  clock: Clock;
  events: EventBus;
  logger: Logger;
  connectivity?: Pick<ConnectivityMonitor, 'isOffline' | 'onOnline'>;
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
      this.entries.set(id, { schedule, zone, nextAt: nextRunAfter(schedule, now, zone), missedOffline: false });
    }
    for (const id of [...this.entries.keys()]) if (!seen.has(id)) this.entries.delete(id);
  }

  nextRunAt(policyId: string): Date | null {
    return this.entries.get(policyId)?.nextAt ?? null;
  }

  /** True when a slot was missed while offline and the policy will run once its accounts answer. */
  waitingForNetwork(policyId: string): boolean {
    return this.entries.get(policyId)?.missedOffline ?? false;
  }

  /** Starts replication for every policy that is due (or missed a slot offline); returns the job ids. */
  tick(): string[] {
    this.reload();
    const now = this.d.clock.now();
    const started: string[] = [];
    for (const [policyId, entry] of this.entries) {
      const due = entry.nextAt !== null && entry.nextAt.getTime() <= now.getTime();
      if (!due && !entry.missedOffline) continue;
      if (due) entry.nextAt = nextRunAfter(entry.schedule, now, entry.zone);
      if (this.offline(policyId)) {
        if (!entry.missedOffline) this.d.logger.info(`Scheduled replication of ${policyId} paused: its accounts are offline; it runs once when they answer`);
        entry.missedOffline = true;
        continue;
      }
      entry.missedOffline = false;
      try {
        started.push(this.d.replication.start(policyId, 'schedule', 'scheduler').jobId);
      } catch (err) {
        // A run already in progress, or a policy failed over in between: skip this slot.
        if (err instanceof DomainError) this.d.logger.info(`Scheduled replication of ${policyId} skipped: ${err.message}`);
        else this.d.logger.error(`Scheduled replication of ${policyId} failed to start`, err);
      }
    }
    return started;
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
