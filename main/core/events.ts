// The push-event bus between the core and whoever shows it (Electron windows, the test harness),
// plus a per-job progress publisher that numbers events and throttles bursts from busy jobs.

import { events as EVENTS, type EventName, type EventPayload } from '../../shared/ipc/contract';
import type { JobKind, JobStatus } from '../../shared/domain';
import { consoleLogger, type Logger } from './logger';

export type EventListener = (name: EventName, payload: unknown) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly logger: Logger = consoleLogger) {}

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    // A malformed event is a bug in the core; catching it here keeps the renderer's contract honest.
    const parsed = EVENTS[name].safeParse(payload);
    if (!parsed.success) {
      this.logger.error(`Dropped malformed event ${name}`, parsed.error.issues);
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(name, parsed.data);
      } catch (err) {
        // One broken window must not stop a job or the other listeners.
        this.logger.warn(`Event listener for ${name} failed`, err);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

export interface JobProgressSnapshot {
  jobId: string;
  policyId: string;
  kind: JobKind;
  status: JobStatus;
  stepsTotal: number;
  stepsDone: number;
  stepsFailed: number;
  resourcesTotal: number;
  resourcesDone: number;
  resourcesFailed: number;
}

interface JobState {
  lastAt: number;
  pending: JobProgressSnapshot | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * Publishes `dr:job.progress` at most once per interval per job (a trailing event carries the
 * latest snapshot), with a `seq` that only ever increases (per job, and across a job's retries) so listeners can drop stale ones.
 * `final: true` flushes immediately and forgets the job.
 */
export class JobProgressPublisher {
  private readonly jobs = new Map<string, JobState>();
  /**
   * One counter for the whole process, not one per job: a job forgotten after its final event and
   * later continued (Retry failed items, resume) must never restart at 1, or listeners would drop
   * its new events as stale.
   */
  private seq = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly intervalMs = 100,
  ) {}

  publish(snapshot: JobProgressSnapshot, opts: { final?: boolean } = {}): void {
    let state = this.jobs.get(snapshot.jobId);
    if (!state) {
      state = { lastAt: 0, pending: null, timer: null };
      this.jobs.set(snapshot.jobId, state);
    }
    const now = Date.now();
    if (opts.final) {
      if (state.timer) clearTimeout(state.timer);
      this.send(state, snapshot, now);
      this.jobs.delete(snapshot.jobId);
      return;
    }
    if (now - state.lastAt >= this.intervalMs && !state.timer) {
      this.send(state, snapshot, now);
      return;
    }
    state.pending = snapshot;
    if (!state.timer) {
      const s = state;
      s.timer = setTimeout(() => {
        s.timer = null;
        if (s.pending) this.send(s, s.pending, Date.now());
      }, Math.max(0, this.intervalMs - (now - state.lastAt)));
      // A pending progress event must never keep the process alive.
      s.timer.unref?.();
    }
  }

  /** Drops pending timers (on shutdown). */
  dispose(): void {
    for (const state of this.jobs.values()) if (state.timer) clearTimeout(state.timer);
    this.jobs.clear();
  }

  private send(state: JobState, snapshot: JobProgressSnapshot, now: number): void {
    this.seq += 1;
    state.lastAt = now;
    state.pending = null;
    this.bus.emit('dr:job.progress', { ...snapshot, seq: this.seq });
  }
}
