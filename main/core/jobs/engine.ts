// The crash-safe job engine: runs a job's journaled plan of steps (with dependencies) under bounded
// per-provider concurrency, rate limits and retries, and resumes unfinished jobs after a restart.
//
// API (stable; the crash harness and the benchmarks build on it):
//   const engine = services.engine;                      // one per core (buildServices wires it)
//   engine.define(def)                                   // a JobKindDefinition per job kind (done by the services)
//   engine.owner                                         // owner id to store in jobs.owner when a service inserts a job
//   engine.launch(jobId): Promise<void>                  // runs a job whose rows are committed; resolves when it stops
//   engine.resumeAll(): string[]                         // claims and launches every orphaned unfinished job (start-up)
//   engine.retryFailed(jobId): {jobId, retried}          // failed/cancelled steps back to pending, same keys, same job
//   engine.whenIdle(): Promise<void>                     // every job launched here has stopped
//   engine.shutdown(): Promise<void>                     // suspends resumable jobs (nothing journaled), cancels the others
// Options (EngineOptions, via composeCore({ engine }) or buildServices({ engine })):
//   concurrency (steps in flight per provider), backoff {maxAttempts, baseMs, capMs}, random,
//   rateLimits (RateLimitTable; sim is unlimited by default), heartbeatMs / leaseMs (ownership),
//   hooks.journal(point) — called synchronously right after each journal commit:
//     {what: 'job-start' | 'step-start' | 'intent' | 'step-finish' | 'job-finish', jobId, stepId?, kind}
//   A crash test may SIGKILL the process inside the hook: everything reported before it is durable.
//
// Journal rules: an intent (ctx.recordIntent) is committed before every cloud mutation; a step's
// success is committed in ONE transaction with its domain effects (def.execute's `commit`); a job's
// final status in one transaction with the kind's completion (recovery point, policy state).
// On resume, pending and running steps run again with the same idempotency key (handlers look the
// resource up before creating); a step whose dependency failed stays pending ("blocked").

import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { JobKind, JobStatus, ProviderKind } from '../../../shared/domain';
import type { JobRecord, StepRecord } from '../../db/jobs-repo';
import type { Repos } from '../../db/repos';
import { ProviderFailure } from '../../providers/provider-failure';
import type { EnvRef, ProviderAdapter, StepContext } from '../../providers/types';
import { DEFAULT_BACKOFF, backoffDelay, sleep, type BackoffOptions } from '../backoff';
import type { Clock } from '../clock';
import { DomainError, notFound, precondition } from '../errors';
import type { EventBus, JobProgressPublisher } from '../events';
import { CancelReason, cancelMessage, type JobRegistry } from '../job-registry';
import type { Logger } from '../logger';
import { newOwner, ownerGone, registerLive, type OwnerIdentity } from './owner';
import { RateLimiters, rateFamily, type RateLimitTable } from './rate-limits';
import { ResourceProgress } from './resource-progress';

export interface JournalPoint {
  what: 'job-start' | 'step-start' | 'intent' | 'step-finish' | 'job-finish';
  jobId: string;
  kind: JobKind;
  stepId?: string;
}

export interface EngineHooks {
  journal?(point: JournalPoint): void;
}

export interface EngineOptions {
  /** Steps in flight at once per provider kind, across jobs. */
  concurrency: number;
  backoff: BackoffOptions;
  random: () => number;
  rateLimits: RateLimitTable;
  /** How often a running engine proves it is alive. */
  heartbeatMs: number;
  /** A job whose owner has not proved it is alive for this long may be taken over. */
  leaseMs: number;
  hooks: EngineHooks;
}

export const DEFAULT_ENGINE: EngineOptions = {
  concurrency: 16,
  backoff: DEFAULT_BACKOFF,
  random: Math.random,
  rateLimits: {},
  heartbeatMs: 15_000,
  leaseMs: 60_000,
  hooks: {},
};

/** What a kind's prepare() returns: the provider and environments every step of the job uses. */
export interface PreparedJob {
  adapter: ProviderAdapter;
  source: EnvRef;
  target: EnvRef;
  policyName: string;
}

export interface StepSuccess {
  /** Journaled as the step's result (target ids). JSON. */
  result: unknown;
  /** Domain effects, run inside the transaction that journals the success. */
  commit?(at: string): void;
}

export interface JobOutcome {
  total: number;
  succeeded: number;
  failed: number;
  /** Pending steps left behind a failed dependency. */
  blocked: number;
  cancelled: boolean;
  cancelMessage: string | null;
}

export interface JobCompletion {
  status: JobStatus;
  error: string | null;
  /** One sentence for dr:job.finished (the desktop notification). */
  message: string;
}

export interface JobKindDefinition<P extends PreparedJob = PreparedJob> {
  kind: JobKind;
  /** abort: an operator's cancel aborts steps in flight; drain: they finish and are kept; never: no cancel. */
  cancel: 'abort' | 'drain' | 'never';
  /** False: unfinished jobs of this kind are closed by their service at start-up, not resumed. */
  resumable: boolean;
  /** Per-job step concurrency (besides the provider's). */
  concurrency?(job: JobRecord): number | undefined;
  backoff?(job: JobRecord): BackoffOptions | undefined;
  /** Once per run. A DomainError fails every open step with its sentence. */
  prepare(job: JobRecord, steps: readonly StepRecord[]): P;
  execute(step: StepRecord, ctx: StepContext, prepared: P): Promise<StepSuccess>;
  /** Inside the transaction that journals a failed step. */
  onStepFailed?(step: StepRecord, failure: ProviderFailure, at: string): void;
  /** Which account the step's calls count against (rate limits): source or target. */
  rateAccount?(step: StepRecord, prepared: P): EnvRef;
  /** Inside retryFailed's transaction: throws a DomainError when this job may not be retried now. */
  checkRetry?(job: JobRecord): void;
  /** Inside the transaction that gives the job its final status. */
  complete(job: JobRecord, outcome: JobOutcome, at: string): JobCompletion;
  /** After that transaction committed (outbox wake-up, notifications). */
  afterComplete?(job: JobRecord, completion: JobCompletion): void;
}

export interface EngineDeps {
  repos: Repos;
  clock: Clock;
  events: EventBus;
  progress: JobProgressPublisher;
  registry: JobRegistry;
  logger: Logger;
  options?: Partial<EngineOptions>;
}

/** Thrown by journal writes that found the step or job closed by someone else. */
class LostOwnership extends Error {}

/** The reason a suspended job's signals carry: the console is closing or crashed; nothing is journaled. */
export class SuspendReason extends Error {
  constructor() {
    super('Suspended: the console is closing; the job resumes at the next start.');
    this.name = 'SuspendReason';
  }
}

type StepOutcome = 'succeeded' | 'failed' | 'cancelled' | 'suspended' | 'open';

interface Node {
  step: StepRecord;
  waiting: number;
  dependents: Node[];
  state: 'open' | 'queued' | 'succeeded' | 'failed' | 'cancelled';
}

interface Run {
  job: JobRecord;
  def: JobKindDefinition;
  /** Aborted by an operator's cancel (the registry's controller) or by suspend. */
  soft: AbortController;
  /** What handlers see: aborted by suspend, and by cancel for 'abort' kinds. */
  hard: AbortController;
  suspended: boolean;
  /** A journal write failed (file closed, disk gone): the run stops where it is, like a crash. */
  fatal: unknown;
  done: Promise<void>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function providerOf(adapter: ProviderAdapter): ProviderKind {
  return adapter.kind;
}

export class JobEngine {
  readonly owner: string;
  private readonly identity: OwnerIdentity;
  private readonly opts: EngineOptions;
  private readonly defs = new Map<JobKind, JobKindDefinition>();
  private readonly runs = new Map<string, Run>();
  private readonly queues = new Map<ProviderKind, PQueue>();
  private readonly limiters: RateLimiters;
  private readonly unregister: () => void;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(private readonly d: EngineDeps) {
    this.opts = { ...DEFAULT_ENGINE, ...d.options, hooks: { ...d.options?.hooks } };
    this.identity = newOwner();
    this.owner = this.identity.id;
    this.limiters = new RateLimiters(this.opts.rateLimits);
    this.unregister = registerLive(this.identity.instance, () => !this.closed && d.repos.db.open);
  }

  define<P extends PreparedJob>(def: JobKindDefinition<P>): void {
    this.defs.set(def.kind, def as unknown as JobKindDefinition);
  }

  /** Runs a job whose rows (owned by this engine) are committed. Never rejects. */
  launch(jobId: string): Promise<void> {
    const existing = this.runs.get(jobId);
    if (existing) return existing.done;
    const job = this.d.repos.jobs.get(jobId);
    if (!job) throw notFound('Job', jobId);
    const def = this.defs.get(job.kind);
    if (!def) throw new Error(`No job definition for kind ${job.kind}`);
    const soft = new AbortController();
    const hard = new AbortController();
    // Every waiting step listens on these signals (token waits, backoff sleeps, handler calls).
    setMaxListeners(0, soft.signal, hard.signal);
    const run: Run = { job, def, soft, hard, suspended: false, fatal: undefined, done: Promise.resolve() };
    soft.signal.addEventListener(
      'abort',
      () => {
        if (soft.signal.reason instanceof SuspendReason || def.cancel === 'never') {
          run.suspended = true;
          hard.abort(new SuspendReason());
        } else if (def.cancel === 'abort') hard.abort(soft.signal.reason);
      },
      { once: true },
    );
    run.done = this.execute(run)
      .catch((err: unknown) => {
        if (err instanceof LostOwnership || !this.d.repos.db.open) {
          this.d.logger.warn(`Job ${jobId} stopped: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        // The last line for bugs: the job must not stay running in this console's view.
        this.d.logger.error(`Job ${jobId} (${job.kind}) crashed`, err);
        try {
          this.finish(run, { status: 'failed', error: 'The job stopped because of an internal error; the details are in the log.', message: '' }, true);
        } catch (inner) {
          this.d.logger.error(`Job ${jobId} could not be closed`, inner);
        }
      })
      .finally(() => {
        this.runs.delete(jobId);
        if (this.runs.size === 0) this.stopHeartbeat();
      });
    this.runs.set(jobId, run);
    this.d.registry.track({ jobId, policyId: job.policyId, controller: soft, done: run.done });
    this.startHeartbeat();
    return run.done;
  }

  /**
   * Start-up: every unfinished job of a resumable kind whose owner is gone is claimed (compare-and-
   * set on the owner, so two consoles never both take it) and run again from its journal.
   */
  resumeAll(): string[] {
    const resumed: string[] = [];
    const now = this.d.clock.now().getTime();
    for (const job of this.d.repos.jobs.unfinished()) {
      const def = this.defs.get(job.kind);
      if (!def?.resumable || this.runs.has(job.id)) continue;
      const beat = job.heartbeatAt ? Date.parse(job.heartbeatAt) : Number.NaN;
      const age = Number.isFinite(beat) ? now - beat : Number.POSITIVE_INFINITY;
      if (!ownerGone(job.owner, age, this.opts.leaseMs)) continue;
      if (!this.d.repos.jobs.claim(job.id, this.owner, job.owner, this.d.clock.iso())) continue;
      this.point({ what: 'job-start', jobId: job.id, kind: job.kind });
      this.d.logger.info(`Resuming ${job.kind} job ${job.id} from its journal`);
      void this.launch(job.id);
      resumed.push(job.id);
    }
    return resumed;
  }

  /**
   * Retry of failed items: the same job (same steps, same idempotency keys) runs again; a failover
   * retried is not a second failover (R9). Checks and the reopen happen in one IMMEDIATE transaction.
   */
  retryFailed(jobId: string): { jobId: string; retried: number } {
    let retried = 0;
    this.d.repos.db
      .transaction(() => {
        const job = this.d.repos.jobs.get(jobId);
        if (!job) throw notFound('Job', jobId);
        const def = this.defs.get(job.kind);
        if (!def?.resumable) {
          throw precondition('A replication job cannot be retried; run replication again to create a new recovery point.');
        }
        if (job.status === 'queued' || job.status === 'running') throw precondition('This job is still running; wait for it to finish before retrying failed items.');
        if (job.status === 'succeeded') throw precondition('Every step of this job succeeded; there is nothing to retry.');
        def.checkRetry?.(job);
        retried = this.d.repos.jobs.reopen(jobId, this.owner, this.d.clock.iso());
        if (retried < 0) throw precondition('This job can no longer be retried.');
        if (retried === 0) throw precondition('This job has no failed or cancelled steps to retry.');
      })
      .immediate();
    this.point({ what: 'job-start', jobId, kind: this.d.repos.jobs.get(jobId)!.kind });
    void this.launch(jobId);
    return { jobId, retried };
  }

  /** Resolves once every job running here has stopped. */
  async whenIdle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs.values()].map((r) => r.done));
  }

  isRunning(jobId: string): boolean {
    return this.runs.has(jobId);
  }

  /** Console closing: resumable jobs are suspended without journaling; others are cancelled. */
  async shutdown(reason = 'Cancelled because the console closed.'): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.def.resumable) run.soft.abort(new SuspendReason());
      else run.soft.abort(new CancelReason(reason));
    }
    await this.whenIdle();
    this.closed = true;
    this.stopHeartbeat();
    this.unregister();
  }

  // ---- running a job -----------------------------------------------------------------------

  private async execute(run: Run): Promise<void> {
    const { job, def } = run;
    const steps = this.d.repos.jobs.steps(job.id);
    const nodes = new Map<string, Node>();
    for (const step of steps) {
      const state = step.status === 'succeeded' ? 'succeeded' : step.status === 'pending' || step.status === 'running' ? 'open' : step.status === 'failed' ? 'failed' : 'cancelled';
      nodes.set(step.id, { step, waiting: 0, dependents: [], state });
    }
    for (const node of nodes.values()) {
      for (const dep of node.step.dependsOn) {
        const parent = nodes.get(dep);
        // A dependency missing from the journal can never succeed: the step stays blocked.
        if (!parent) node.waiting += 1;
        else if (parent.state !== 'succeeded') {
          node.waiting += 1;
          parent.dependents.push(node);
        }
      }
    }
    const counts = { total: steps.length, done: 0, failed: 0 };
    const resources = new ResourceProgress(steps);
    for (const n of nodes.values()) {
      if (n.state !== 'open') counts.done += 1;
      if (n.state === 'failed') counts.failed += 1;
    }
    const publish = (status: JobStatus, final = false) =>
      this.d.progress.publish(
        { jobId: job.id, policyId: job.policyId, kind: job.kind, status, stepsTotal: counts.total, stepsDone: counts.done, stepsFailed: counts.failed, ...resources.counts() },
        { final },
      );
    publish('running');

    let prepared: PreparedJob;
    try {
      prepared = def.prepare(job, steps);
    } catch (err) {
      const failure = this.prepareFailure(job, err);
      const at = this.d.clock.iso();
      this.d.repos.db.transaction(() => {
        for (const n of nodes.values()) {
          if (n.state !== 'open') continue;
          this.d.repos.jobs.finishStep(n.step.id, { status: 'failed', error: failure.message, errorCode: failure.code, at });
          def.onStepFailed?.(n.step, failure, at);
          n.state = 'failed';
        }
      })();
      this.completeRun(run, nodes);
      return;
    }

    const provider = providerOf(prepared.adapter);
    const providerQueue = this.providerQueue(provider);
    const jobQueue = new PQueue({ concurrency: Math.max(1, def.concurrency?.(job) ?? this.opts.concurrency) });
    const backoff = def.backoff?.(job) ?? this.opts.backoff;

    // Every step is driven by its own promise: waiting for a rate-limit token or a backoff sleep holds
    // no concurrency slot (a step starved by one API family must not block steps of another), and a
    // slot is taken only for the attempt itself.
    const inflight = new Set<Promise<void>>();
    const schedule = (node: Node) => {
      node.state = 'queued';
      const driven = (async () => {
        let outcome: StepOutcome;
        try {
          outcome = await this.driveStep(run, node.step, prepared, backoff, jobQueue, providerQueue);
        } catch (err) {
          run.fatal ??= err;
          run.suspended = true;
          run.hard.abort(new SuspendReason());
          node.state = 'open';
          return;
        }
        node.state = outcome === 'succeeded' ? 'succeeded' : outcome === 'failed' ? 'failed' : outcome === 'cancelled' ? 'cancelled' : 'open';
        if (outcome === 'succeeded' || outcome === 'failed' || outcome === 'cancelled') counts.done += 1;
        if (outcome === 'failed') counts.failed += 1;
        if (outcome === 'succeeded' || outcome === 'failed' || outcome === 'cancelled') resources.settle(node.step.protectedResourceId, outcome);
        if (outcome === 'succeeded') {
          for (const child of node.dependents) {
            child.waiting -= 1;
            if (child.waiting === 0 && child.state === 'open' && !run.soft.signal.aborted && !run.suspended) schedule(child);
          }
        }
        publish('running');
      })();
      inflight.add(driven);
      void driven.finally(() => inflight.delete(driven));
    };
    for (const node of nodes.values()) if (node.state === 'open' && node.waiting === 0) schedule(node);
    // Dependents are scheduled while earlier steps finish: done only once nothing is left in flight.
    while (inflight.size > 0) await Promise.all([...inflight]);
    if (run.fatal !== undefined) throw run.fatal;
    if (run.suspended) return;
    this.completeRun(run, nodes);
  }

  private completeRun(run: Run, nodes: Map<string, Node>): void {
    const { job, def } = run;
    if (run.suspended) return;
    const cancelled = run.soft.signal.aborted;
    const at = this.d.clock.iso();
    if (cancelled) this.d.repos.jobs.closeOpenSteps(job.id, 'cancelled', cancelMessage(run.soft.signal), 'Cancelled', at);
    const outcome: JobOutcome = { total: nodes.size, succeeded: 0, failed: 0, blocked: 0, cancelled, cancelMessage: cancelled ? cancelMessage(run.soft.signal) : null };
    for (const n of nodes.values()) {
      if (n.state === 'succeeded') outcome.succeeded += 1;
      else if (n.state === 'failed') outcome.failed += 1;
      else if (n.state === 'open' && !cancelled) outcome.blocked += 1;
    }
    let completion: JobCompletion | null = null;
    this.d.repos.db.transaction(() => {
      const c = def.complete(job, outcome, at);
      if (this.d.repos.jobs.finish(job.id, c.status, c.error, at)) completion = c;
    })();
    if (completion) this.afterFinish(run, completion);
  }

  /** The crash fallback: closes the job as failed (its kind's completion still runs). */
  private finish(run: Run, c: JobCompletion, internal: boolean): void {
    const at = this.d.clock.iso();
    let done = false;
    this.d.repos.db.transaction(() => {
      this.d.repos.jobs.closeOpenSteps(run.job.id, 'failed', c.error ?? 'Internal error.', 'Internal', at);
      if (internal) {
        const counts = this.d.repos.jobs.counts(run.job.id);
        run.def.complete(run.job, { total: counts.total, succeeded: counts.done - counts.failed, failed: counts.failed, blocked: 0, cancelled: false, cancelMessage: null }, at);
      }
      done = this.d.repos.jobs.finish(run.job.id, c.status, c.error, at);
    })();
    if (done) this.afterFinish(run, { ...c, message: c.message || c.error || 'The job stopped.' });
  }

  private afterFinish(run: Run, c: JobCompletion): void {
    const { job } = run;
    this.point({ what: 'job-finish', jobId: job.id, kind: job.kind });
    const counts = this.d.repos.jobs.counts(job.id);
    this.d.progress.publish(
      { jobId: job.id, policyId: job.policyId, kind: job.kind, status: c.status, stepsTotal: counts.total, stepsDone: counts.done, stepsFailed: counts.failed, ...this.d.repos.jobs.resourceCounts(job.id) },
      { final: true },
    );
    const policy = this.d.repos.policies.get(job.policyId);
    this.d.events.emit('dr:job.finished', {
      jobId: job.id,
      policyId: job.policyId,
      policyName: policy?.name ?? job.policyId,
      kind: job.kind,
      status: c.status,
      message: c.message,
    });
    this.d.events.emit('dr:policies.changed', { policyId: job.policyId });
    try {
      run.def.afterComplete?.(job, c);
    } catch (err) {
      this.d.logger.error(`After-completion of job ${job.id} failed`, err);
    }
  }

  /**
   * Runs one step to an outcome: takes a rate-limit token (no slot held), then runs one attempt in a
   * job slot and a provider slot, and sleeps out a retryable failure's backoff outside both.
   */
  private async driveStep(
    run: Run,
    step: StepRecord,
    prepared: PreparedJob,
    backoff: BackoffOptions,
    jobQueue: PQueue,
    providerQueue: PQueue,
  ): Promise<StepOutcome> {
    const soft = run.soft.signal;
    // Not started yet: a cancelled or suspended job leaves the step pending, as it was.
    if (run.suspended) return 'suspended';
    if (soft.aborted) return 'open';
    const account = run.def.rateAccount?.(step, prepared) ?? prepared.target;
    const type = step.protectedResourceId ? (this.d.repos.policies.resource(step.protectedResourceId)?.type ?? null) : null;
    const gate = this.limiters.gate(providerOf(prepared.adapter), `${account.account.id}/${account.scope}`, rateFamily(type, step.action));

    for (let attempt = 1; ; attempt++) {
      if (run.suspended) return 'suspended';
      if (soft.aborted) return this.cancelStep(run, step);
      try {
        await gate.take(soft);
      } catch {
        return run.suspended ? 'suspended' : this.cancelStep(run, step);
      }
      const result = await jobQueue.add(() => providerQueue.add(() => this.attemptStep(run, step, prepared, attempt, backoff)));
      if (result.kind === 'done') return result.outcome;
      try {
        await sleep(result.delayMs, soft);
      } catch {
        return run.suspended ? 'suspended' : this.cancelStep(run, step);
      }
    }
  }

  /**
   * One attempt of a step, inside its slots. The step's start (status running, attempts + 1) is not
   * a commit of its own: it joins the first intent's transaction, or the result's when the handler
   * mutates nothing. Until an intent exists nothing was changed in the cloud, so nothing is lost by
   * that, and a step costs two synchronous commits instead of three.
   */
  private async attemptStep(
    run: Run,
    step: StepRecord,
    prepared: PreparedJob,
    attempt: number,
    backoff: BackoffOptions,
  ): Promise<{ kind: 'done'; outcome: StepOutcome } | { kind: 'retry'; delayMs: number }> {
    const { job, def } = run;
    const done = (outcome: StepOutcome) => ({ kind: 'done' as const, outcome });
    if (run.suspended) return done('suspended');
    if (run.soft.signal.aborted) return done(this.cancelStep(run, step));
    const startedAt = this.d.clock.iso();
    let started = false;
    /** Inside a transaction: journals the start once per attempt. */
    const markStarted = (): boolean => {
      if (started) return false;
      if (!this.d.repos.jobs.startStep(step.id, startedAt)) throw new LostOwnership(`step ${step.id} was closed by another console`);
      started = true;
      return true;
    };
    const startPoint = (justStarted: boolean) => {
      if (justStarted) this.point({ what: 'step-start', jobId: job.id, kind: job.kind, stepId: step.id });
    };
    const ctx: StepContext = {
      jobId: job.id,
      stepId: step.id,
      policyId: job.policyId,
      source: prepared.source,
      target: prepared.target,
      idempotencyKey: step.idempotencyKey,
      signal: run.hard.signal,
      recordIntent: (material) => {
        if (!isPlainObject(material)) throw new TypeError('intent material must be an object');
        const justStarted = this.d.repos.db.transaction(() => {
          const first = markStarted();
          this.d.repos.jobs.recordIntent(step.id, material);
          return first;
        })();
        startPoint(justStarted);
        this.point({ what: 'intent', jobId: job.id, kind: job.kind, stepId: step.id });
      },
      previousIntent: () => this.d.repos.jobs.intent(step.id),
      progress: () => undefined,
    };
    let failure: ProviderFailure;
    try {
      const success = await def.execute(step, ctx, prepared);
      if (run.suspended) return done('suspended');
      const at = this.d.clock.iso();
      let wrote = false;
      const justStarted = this.d.repos.db.transaction(() => {
        const first = markStarted();
        success.commit?.(at);
        wrote = this.d.repos.jobs.finishStep(step.id, { status: 'succeeded', result: success.result, at });
        if (!wrote) throw new LostOwnership(`step ${step.id} was closed by another console`);
        return first;
      })();
      startPoint(justStarted);
      this.point({ what: 'step-finish', jobId: job.id, kind: job.kind, stepId: step.id });
      return done('succeeded');
    } catch (err) {
      if (err instanceof LostOwnership || !this.d.repos.db.open) throw err;
      if (run.suspended) return done('suspended');
      if (run.hard.signal.aborted) return done(this.cancelStep(run, step));
      failure = this.toFailure(step, err);
    }
    if (!failure.retryable || attempt >= backoff.maxAttempts) {
      const at = this.d.clock.iso();
      const justStarted = this.d.repos.db.transaction(() => {
        const first = markStarted();
        this.d.repos.jobs.finishStep(step.id, { status: 'failed', error: failure.message, errorCode: failure.code, at });
        def.onStepFailed?.(step, failure, at);
        return first;
      })();
      startPoint(justStarted);
      this.point({ what: 'step-finish', jobId: job.id, kind: job.kind, stepId: step.id });
      return done('failed');
    }
    // A retryable failure: this attempt still counts against the step's budget.
    startPoint(this.d.repos.db.transaction(() => markStarted())());
    return { kind: 'retry', delayMs: backoffDelay(attempt, backoff, this.opts.random, failure.retryAfterMs) };
  }

  private cancelStep(run: Run, step: StepRecord): 'cancelled' {
    this.d.repos.jobs.finishStep(step.id, { status: 'cancelled', error: cancelMessage(run.soft.signal), errorCode: 'Cancelled', at: this.d.clock.iso() });
    this.point({ what: 'step-finish', jobId: run.job.id, kind: run.job.kind, stepId: step.id });
    return 'cancelled';
  }

  private toFailure(step: StepRecord, err: unknown): ProviderFailure {
    if (err instanceof ProviderFailure) return err;
    if (err instanceof DomainError) return new ProviderFailure(err.code, err.message);
    this.d.logger.error(`Step ${step.id} (${step.action}) threw`, err);
    return new ProviderFailure('ProviderError', `The ${step.action} step failed unexpectedly; the details are in the log.`);
  }

  private prepareFailure(job: JobRecord, err: unknown): ProviderFailure {
    if (err instanceof DomainError) return new ProviderFailure(err.code, err.message);
    if (err instanceof ProviderFailure) return err;
    this.d.logger.error(`Job ${job.id} could not prepare its provider`, err);
    return new ProviderFailure('Internal', 'The job could not prepare its provider; the details are in the log.');
  }

  private providerQueue(kind: ProviderKind): PQueue {
    let q = this.queues.get(kind);
    if (!q) {
      q = new PQueue({ concurrency: Math.max(1, this.opts.concurrency) });
      this.queues.set(kind, q);
    }
    return q;
  }

  private point(p: JournalPoint): void {
    this.opts.hooks.journal?.(p);
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      try {
        if (this.d.repos.db.open) this.d.repos.jobs.heartbeat(this.owner, this.d.clock.iso());
      } catch (err) {
        this.d.logger.warn('Job heartbeat failed', err);
      }
    }, this.opts.heartbeatMs);
    this.heartbeat.unref?.();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
