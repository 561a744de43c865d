// The crash-safe job engine: runs a job's journaled plan of steps (with dependencies) under bounded
// per-provider concurrency, rate limits and retries, and resumes unfinished jobs after a restart.
//
// API (stable; the crash harness and the benchmarks build on it):
//   const engine = services.engine;                      // one per core (buildServices wires it)
//   engine.define(def)                                   // a JobKindDefinition per job kind (done by the services)
//   engine.start({policyId, kind, actor, auditAction, plan}) // THE way to start a job: refusals, insert, audit, launch
//   engine.owner                                         // owner id stored in jobs.owner
//   engine.launch(jobId): Promise<void>                  // runs a job whose rows are committed; resolves when it stops
//   engine.resumeAll(): string[]                         // claims and launches every orphaned unfinished job (start-up)
//   engine.retryFailed(jobId): {jobId, retried}          // failed/cancelled steps back to pending, same keys, same job
//   engine.whenIdle(): Promise<void>                     // every job launched here has stopped
//   engine.shutdown(): Promise<void>                     // suspends resumable jobs (nothing journaled), cancels the others
// Options (EngineOptions, via composeCore({ engine }) or buildServices({ engine })):
//   concurrency (cloud work in flight per provider and per job: a step holds a slot while it works and
//   gives it up while it waits for a rate-limit token or for a journal write to reach the disk), backoff {maxAttempts, baseMs, capMs}, random,
//   rateLimits (RateLimitTable; sim is unlimited by default), heartbeatMs / leaseMs (ownership),
//   hooks.journal(point) — called synchronously right after each journal commit:
//     {what: 'job-start' | 'step-start' | 'intent' | 'op-intent' | 'op-handle' | 'op-outcome' | 'step-finish'
//      | 'job-finish', jobId, stepId?, opKey?, kind}
//   A crash test may SIGKILL the process inside the hook: everything reported before it is durable.
//
// Journal rules: every cloud mutation goes through ctx.mutate, which appends the operation's intent to
// the step's journal of operations (job_operations) and awaits its durability before the call, then
// appends the handle(s) and the outcome; a step's success is committed in ONE transaction with its
// domain effects (def.execute's `commit`); a job's final status in one transaction with the kind's
// completion (recovery point, policy state). Step writes go through a CommitGroup: the writes of
// concurrent steps made in one event-loop turn share one transaction (one fsync).
// Every call (mutations, reads, polls, SDK waiters through ctx.rateGate) takes one token of its API
// family, per account scope (rate-limits.ts). On resume, pending and running steps run again with the
// same idempotency key: an operation whose success is journaled returns it without calling, one with
// an intent and no success goes through its spec.resume (look up, poll) before it calls again; a step
// whose dependency failed stays pending ("blocked").

import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import { JOB_CANCEL, jobKindLabel, type JobKind, type JobStatus, type ProviderKind } from '../../../shared/domain';
import type { AuditActor } from '../../db/audit-repo';
import type { JobRecord, JobTrigger, StepRecord } from '../../db/jobs-repo';
import type { PolicyRecord } from '../../db/policies-repo';
import type { Repos } from '../../db/repos';
import { ProviderFailure } from '../../providers/provider-failure';
import type { EnvRef, MutateSpec, OperationRecord, ProviderAdapter, StepContext } from '../../providers/types';
import { DEFAULT_BACKOFF, backoffDelay, sleep, type BackoffOptions } from '../backoff';
import type { Clock } from '../clock';
import type { AuditLog } from '../audit-log';
import { DomainError, notFound, precondition } from '../errors';
import { formatPointTime } from '../failover/plan';
import { newId } from '../ids';
import type { EventBus, JobProgressPublisher } from '../events';
import { CancelReason, cancelMessage, type JobRegistry } from '../job-registry';
import type { Logger } from '../logger';
import { CommitGroup } from './commit-group';
import { newOwner, ownerGone, registerLive, type OwnerIdentity } from './owner';
import { RateLimiters, rateScopeKey, type RateGate, type RateLimitSpec, type RateLimitTable } from './rate-limits';
import { storageFault, type StorageFault } from '../../db/storage-errors';
import { ResourceProgress } from './resource-progress';

export interface JournalPoint {
  what: 'job-start' | 'step-start' | 'intent' | 'op-intent' | 'op-handle' | 'op-outcome' | 'step-finish' | 'job-finish';
  jobId: string;
  kind: JobKind;
  stepId?: string;
  /** The operation (ctx.mutate) an op-* point is about. */
  opKey?: string;
}

export interface EngineHooks {
  journal?(point: JournalPoint): void;
}

export interface EngineOptions {
  /** Steps working at once per provider kind, across jobs (a step waiting for a token or the disk does not count). */
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

/** One step of a job being started. */
export interface NewJobStep {
  /** Given when other steps depend on it; otherwise made. */
  id?: string;
  protectedResourceId: string | null;
  action: string;
  dependsOn?: string[];
  /** Default: `<jobId>/<action>/<protected resource id or step id>`. */
  idempotencyKey?: string;
  params?: Record<string, unknown>;
}

/** What a kind's plan (inside the start transaction, after the shared refusals) returns. */
export interface JobPlan {
  steps: NewJobStep[];
  recoveryPointId?: string | null;
  /** The audit row's detail, e.g. "3 resource(s) from recovery point rp-1". */
  audit: string;
  /** After the job row is inserted, before its steps (rows that reference the job: the recovery point). */
  afterInsert?(): void;
}

export interface StartJob {
  /** A job id the caller made beforehand (failover names it in its lease first); default: a new one. */
  jobId?: string;
  policyId: string;
  kind: JobKind;
  trigger?: Exclude<JobTrigger, 'resume'>;
  actor: AuditActor;
  /** The audit action, e.g. 'replication.start'. */
  auditAction: string;
  /**
   * The kind's own preconditions and steps, inside the IMMEDIATE start transaction: throw a
   * DomainError to refuse (nothing is written), e.g. failover's compare-and-set of the policy state.
   */
  plan(ctx: { jobId: string; policy: PolicyRecord; now: string }): JobPlan;
}

/**
 * The refusal sentence when `policy` may not start a job of `kind` now, or null: one wording per rule,
 * for replication, test failover, reset and failover alike (and their retries).
 */
export function startRefusal(repos: Repos, policy: PolicyRecord, kind: JobKind, ignoreJobId?: string): string | null {
  const what = jobKindLabel(kind);
  if (policy.state === 'failed_over') {
    const at = policy.failedOverAt ? ` (${formatPointTime(repos, policy.failedOverAt)})` : '';
    return `Policy "${policy.name}" has already been failed over${at}; ${what} is no longer possible, as a policy fails over only once. Create a new policy to protect these resources again.`;
  }
  if (policy.state === 'failing_over') return `A failover of policy "${policy.name}" has already started and runs until it completes; ${what} cannot start.`;
  const active = repos.jobs.activeForPolicy(policy.id);
  if (active && active.id !== ignoreJobId) {
    const cancel = JOB_CANCEL[active.kind] === 'never' ? '' : ' (or cancel it)';
    return `A ${jobKindLabel(active.kind)} job is already running for policy "${policy.name}"; wait for it to finish${cancel} and try again.`;
  }
  return null;
}

/** The sentence jobs.cancel answers for a kind that cannot be cancelled. */
export function notCancellable(kind: JobKind): string {
  const label = jobKindLabel(kind);
  return `A ${label} cannot be cancelled once it has started; it runs until it completes.`;
}

export interface JobKindDefinition<P extends PreparedJob = PreparedJob> {
  kind: JobKind;
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
  /**
   * A step's final failure (not retryable, or out of attempts) that this kind accepts as done: the step
   * succeeds with the result returned (which says what was not done), instead of failing the job. For
   * work whose failure cannot undo what the job achieved (failover's stop of replication in a source
   * region that is gone). Undefined: the step fails as usual. Never called for a cancel or a crash.
   */
  settleFailure?(step: StepRecord, failure: ProviderFailure, prepared: P): StepSuccess | undefined;
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
  /** The audit log start() records in (one row per job started). */
  audit?: AuditLog;
  /** Told about a failed journal write: a storage fault (disk full...) names the job's cause. */
  storage?: { fault(err: unknown): StorageFault | null; deferClose(jobId: string, close: () => void): void };
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
  /** A throttled dr:job.progress carrying the job's counts, sent when a step's activity changes. */
  publishActivity?: () => void;
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
  /** Step journal writes of one event-loop turn share a transaction (one fsync). */
  readonly commits: CommitGroup;
  /** The latest ctx.progress message of each running step (the job view's `activity`), by job. */
  private readonly activity = new Map<string, Map<string, string>>();
  private readonly unregister: () => void;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  constructor(private readonly d: EngineDeps) {
    this.opts = { ...DEFAULT_ENGINE, ...d.options, hooks: { ...d.options?.hooks } };
    this.identity = newOwner();
    this.owner = this.identity.id;
    this.limiters = new RateLimiters(this.opts.rateLimits);
    this.commits = new CommitGroup(d.repos.db);
    this.unregister = registerLive(this.identity.instance, () => !this.closed && d.repos.db.open);
  }

  define<P extends PreparedJob>(def: JobKindDefinition<P>): void {
    this.defs.set(def.kind, def as unknown as JobKindDefinition);
  }

  /**
   * The one way to start a job: in ONE IMMEDIATE transaction the shared refusals (startRefusal), the
   * kind's plan (its own preconditions, e.g. failover's compare-and-set), the job and step rows owned
   * by this engine and the audit row; then the launch. Two clicks, two windows or the scheduler
   * racing an operator get one job and one clear sentence.
   */
  start(req: StartJob): { jobId: string } {
    if (!this.defs.has(req.kind)) throw new Error(`No job definition for kind ${req.kind}`);
    const jobId = req.jobId ?? newId('job');
    this.d.repos.db
      .transaction(() => {
        const policy = this.d.repos.policies.get(req.policyId);
        if (!policy) throw notFound('Policy', req.policyId);
        const refusal = startRefusal(this.d.repos, policy, req.kind);
        if (refusal) throw precondition(refusal);
        const now = this.d.clock.iso();
        const plan = req.plan({ jobId, policy, now });
        try {
          this.d.repos.jobs.insertJob({
            id: jobId,
            policyId: policy.id,
            kind: req.kind,
            status: 'running',
            trigger: req.trigger ?? 'manual',
            recoveryPointId: plan.recoveryPointId ?? null,
            createdAt: now,
            startedAt: now,
            owner: this.owner,
            heartbeatAt: now,
          });
        } catch (err) {
          // The unique index on failover jobs is the last guard (R2).
          if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' && req.kind === 'failover') {
            throw precondition(startRefusal(this.d.repos, { ...policy, state: 'failed_over' }, 'failover') ?? 'Failover runs only once per policy.');
          }
          throw err;
        }
        plan.afterInsert?.();
        plan.steps.forEach((st, i) => {
          const id = st.id ?? newId('step');
          this.d.repos.jobs.insertStep({
            id,
            jobId,
            seq: i + 1,
            protectedResourceId: st.protectedResourceId,
            action: st.action,
            dependsOn: st.dependsOn ?? [],
            idempotencyKey: st.idempotencyKey ?? `${jobId}/${st.action}/${st.protectedResourceId ?? id}`,
            params: st.params ?? {},
          });
        });
        this.d.audit?.record(req.actor, req.auditAction, policy.id, `job ${jobId}${plan.audit ? `: ${plan.audit}` : ''}`);
      })
      .immediate();
    void this.launch(jobId);
    this.d.events.emit('dr:policies.changed', { policyId: req.policyId });
    return { jobId };
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
        if (soft.signal.reason instanceof SuspendReason || JOB_CANCEL[def.kind] === 'never') {
          run.suspended = true;
          hard.abort(new SuspendReason());
        } else if (JOB_CANCEL[def.kind] === 'abort') hard.abort(soft.signal.reason);
      },
      { once: true },
    );
    run.done = this.execute(run)
      .catch((err: unknown) => {
        if (err instanceof LostOwnership || !this.d.repos.db.open) {
          this.d.logger.warn(`Job ${jobId} stopped: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        // A journal write failed because of the storage (disk full, I/O error, read-only file):
        // the job is closed with the sentence naming it, or as soon as a write works again.
        const fault = this.d.storage?.fault(err) ?? storageFault(err);
        if (fault) {
          const error = `The job stopped: ${fault.sentence}`;
          const close = () => this.finish(run, { status: 'failed', error, message: error }, true, 'StorageUnavailable');
          try {
            close();
          } catch (inner) {
            this.d.logger.warn(`Job ${jobId} could not be closed yet; it is closed when writes work again`, inner);
            this.d.storage?.deferClose(jobId, close);
          }
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
        this.activity.delete(jobId);
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
    for (const job of this.d.repos.jobs.unfinished()) {
      const def = this.defs.get(job.kind);
      if (!def?.resumable || this.runs.has(job.id)) continue;
      if (!this.orphaned(job)) continue;
      if (!this.d.repos.jobs.claim(job.id, this.owner, job.owner, this.d.clock.iso())) continue;
      this.point({ what: 'job-start', jobId: job.id, kind: job.kind });
      this.d.logger.info(`Resuming ${job.kind} job ${job.id} from its journal`);
      void this.launch(job.id);
      resumed.push(job.id);
    }
    return resumed;
  }

  /**
   * True when nobody runs this unfinished job any more: its owner is a dead process, a closed
   * engine, or has not renewed its lease (heartbeat) for leaseMs. Start-up clean-up of any kind
   * may touch only such jobs; a live console's job on the same file is never closed under it.
   */
  orphaned(job: Pick<JobRecord, 'id' | 'owner' | 'heartbeatAt'>): boolean {
    if (this.runs.has(job.id)) return false;
    const beat = job.heartbeatAt ? Date.parse(job.heartbeatAt) : Number.NaN;
    const age = Number.isFinite(beat) ? this.d.clock.now().getTime() - beat : Number.POSITIVE_INFINITY;
    return ownerGone(job.owner, age, this.opts.leaseMs);
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
    this.commits.flush();
    this.closed = true;
    this.stopHeartbeat();
    this.unregister();
    // Outcomes queued by the last steps are fsynced off the loop: wait for them before the file closes.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.commits.idle();
    this.commits.close();
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
    run.publishActivity = () => publish('running');

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
  private finish(run: Run, c: JobCompletion, internal: boolean, errorCode = 'Internal'): void {
    const at = this.d.clock.iso();
    let done = false;
    this.d.repos.db.transaction(() => {
      this.d.repos.jobs.closeOpenSteps(run.job.id, 'failed', c.error ?? 'Internal error.', errorCode, at);
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
   * Runs one step to an outcome: runs one attempt in a job slot and a provider slot, and sleeps out a
   * retryable failure's backoff outside both. Rate-limit tokens are taken per call, inside the attempt.
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
    const provider = providerOf(prepared.adapter);
    const scopeKey = rateScopeKey(account);
    const gate = (family: string): RateGate => this.limiters.gate(provider, scopeKey, family);

    for (let attempt = 1; ; attempt++) {
      if (run.suspended) return 'suspended';
      if (soft.aborted) return this.cancelStep(run, step);
      const slot = await StepSlot.take(jobQueue, providerQueue);
      let result: Awaited<ReturnType<JobEngine['attemptStep']>>;
      try {
        result = await this.attemptStep(run, step, prepared, attempt, backoff, gate, slot);
      } finally {
        slot.release();
      }
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
   * a commit of its own: it joins the first operation's intent, or the result when the handler
   * mutates nothing. Until an intent exists nothing was changed in the cloud, so nothing is lost by
   * that. Every write goes through the commit group and is awaited before the handler goes on.
   */
  private async attemptStep(
    run: Run,
    step: StepRecord,
    prepared: PreparedJob,
    attempt: number,
    backoff: BackoffOptions,
    family: (name: string) => RateGate,
    slot: StepSlot,
  ): Promise<{ kind: 'done'; outcome: StepOutcome } | { kind: 'retry'; delayMs: number }> {
    // A token that is there now is taken in the slot; waiting for one gives the slot up meanwhile.
    const gate = (name: string): RateGate => {
      const inner = family(name);
      return {
        tryTake: () => inner.tryTake(),
        take: (signal) => (inner.tryTake() ? (signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()) : slot.park(() => inner.take(signal))),
      };
    };
    const { job, def } = run;
    const jobs = this.d.repos.jobs;
    const done = (outcome: StepOutcome) => ({ kind: 'done' as const, outcome });
    if (run.suspended) return done('suspended');
    if (run.soft.signal.aborted) return done(this.cancelStep(run, step));
    const startedAt = this.d.clock.iso();
    const signal = run.hard.signal;
    let started = false;
    /** A journal write found the step closed by someone else, or the file is gone: like a crash. */
    let lost: unknown;
    /** Inside a transaction: journals the start once per attempt. */
    const markStarted = (): boolean => {
      if (started) return false;
      if (!jobs.startStep(step.id, startedAt)) throw new LostOwnership(`step ${step.id} was closed by another console`);
      started = true;
      return true;
    };
    const startPoint = (justStarted: boolean) => {
      if (justStarted) this.point({ what: 'step-start', jobId: job.id, kind: job.kind, stepId: step.id });
    };
    /** One grouped, awaited commit of a step write (joined by the step's start), then its journal point. */
    const write = async <T>(fn: () => T, point?: Omit<JournalPoint, 'jobId' | 'kind' | 'stepId'>): Promise<T> => {
      let first = false;
      try {
        // Waiting for the disk is not work on the cloud: the slot goes to another step meanwhile.
        return await slot.park(() => this.commits.commit(
          () => {
            first = markStarted();
            return fn();
          },
          () => {
            startPoint(first);
            if (point) this.point({ ...point, jobId: job.id, kind: job.kind, stepId: step.id });
          },
        ));
      } catch (err) {
        lost ??= err;
        throw err;
      }
    };
    /**
     * An outcome is queued, not awaited: it joins the group commit of the step's next write (its next
     * intent, its finish). Until then a crash leaves the op as "intent without outcome", which resume
     * handles anyway (the call may have happened), so waiting for its fsync would buy nothing.
     */
    const later = (fn: () => void, point: Omit<JournalPoint, 'jobId' | 'kind' | 'stepId'>): void => {
      let first = false;
      void this.commits
        .commit(
          () => {
            first = markStarted();
            fn();
          },
          () => {
            startPoint(first);
            this.point({ ...point, jobId: job.id, kind: job.kind, stepId: step.id });
          },
        )
        .catch((err: unknown) => {
          lost ??= err;
        });
    };
    const earlier: OperationRecord[] = jobs.operations(step.id);
    const earlierByKey = new Map(earlier.map((o) => [o.opKey, o]));
    const used = new Set<string>();
    const abortError = () => (signal.reason instanceof Error ? signal.reason : new ProviderFailure('Cancelled', cancelMessage(signal)));

    const mutate = async <T>(opKey: string, spec: MutateSpec<T>): Promise<T> => {
      if (typeof opKey !== 'string' || opKey.length === 0) throw new TypeError('ctx.mutate needs an op key');
      if (!isPlainObject(spec.intent)) throw new TypeError(`intent material of ${opKey} must be an object`);
      // One call per op key and attempt: the journal folds rows by key, so a second call would read as a retry.
      if (used.has(opKey)) throw new TypeError(`op key ${opKey} is used twice in one attempt of step ${step.id}`);
      used.add(opKey);
      const previous = earlierByKey.get(opKey);
      if (previous?.outcome?.status === 'succeeded') return previous.outcome.result as T;
      if (signal.aborted) throw abortError();
      const at = () => this.d.clock.iso();
      if (previous?.intent && spec.resume) {
        const adopted = await spec.resume(previous, signal);
        if (adopted !== undefined) {
          later(() => jobs.appendOperation(step.id, opKey, 'outcome', { status: 'succeeded', result: adopted as unknown, adopted: true }, at()), { what: 'op-outcome', opKey });
          return adopted;
        }
      }
      // The token first: a crash while waiting for it leaves no intent to resume.
      await gate(spec.family).take(signal);
      await write(() => jobs.appendOperation(step.id, opKey, 'intent', spec.intent, at()), { what: 'op-intent', opKey });
      // Cancelled while the intent reached the disk (or while the slot was taken back): no call made;
      // the intent without an outcome is what a resume handles anyway.
      if (signal.aborted) throw abortError();
      let result: T;
      try {
        result = await spec.call(signal, {
          handle: async (h) => {
            if (!isPlainObject(h)) throw new TypeError(`handle of ${opKey} must be an object`);
            await write(() => jobs.appendOperation(step.id, opKey, 'handle', h, at()), { what: 'op-handle', opKey });
          },
        });
      } catch (err) {
        // Aborted or suspended: the call may or may not have happened; no outcome, the next attempt resumes.
        if (signal.aborted || lost !== undefined || !this.d.repos.db.open) throw err;
        const failure = err instanceof ProviderFailure ? err : err instanceof DomainError ? new ProviderFailure(err.code, err.message) : null;
        const outcome = { status: 'failed', code: failure?.code ?? 'ProviderError', error: failure?.message ?? (err instanceof Error ? err.message : String(err)) };
        later(() => jobs.appendOperation(step.id, opKey, 'outcome', outcome, at()), { what: 'op-outcome', opKey });
        throw err;
      }
      later(() => jobs.appendOperation(step.id, opKey, 'outcome', { status: 'succeeded', result: result as unknown }, at()), { what: 'op-outcome', opKey });
      return result;
    };

    const ctx: StepContext = {
      jobId: job.id,
      stepId: step.id,
      policyId: job.policyId,
      source: prepared.source,
      target: prepared.target,
      idempotencyKey: step.idempotencyKey,
      signal,
      recoveryPointId: job.recoveryPointId,
      mutate,
      read: async (family, call) => {
        await gate(family).take(signal);
        return call(signal);
      },
      rateGate: (family) => gate(family),
      operations: () => earlier,
      progress: (message) => this.setActivity(run, step.id, message),
    };
    let failure: ProviderFailure;
    try {
      const success = await def.execute(step, ctx, prepared);
      if (lost !== undefined) throw lost;
      if (run.suspended) return done('suspended');
      const at = this.d.clock.iso();
      await write(
        () => {
          success.commit?.(at);
          if (!jobs.finishStep(step.id, { status: 'succeeded', result: success.result, at })) throw new LostOwnership(`step ${step.id} was closed by another console`);
        },
        { what: 'step-finish' },
      );
      this.clearActivity(run, step.id);
      return done('succeeded');
    } catch (err) {
      if (lost !== undefined) throw lost;
      // A failed journal write is not the provider's failure: it stops the run (see launch).
      if (err instanceof LostOwnership || !this.d.repos.db.open || storageFault(err)) throw err;
      if (run.suspended) return done('suspended');
      if (run.hard.signal.aborted) return done(this.cancelStep(run, step));
      failure = this.toFailure(step, err);
    }
    if (!failure.retryable || attempt >= backoff.maxAttempts) {
      const settled = def.settleFailure?.(step, failure, prepared);
      if (settled) {
        const at = this.d.clock.iso();
        await write(
          () => {
            settled.commit?.(at);
            if (!jobs.finishStep(step.id, { status: 'succeeded', result: settled.result, at })) throw new LostOwnership(`step ${step.id} was closed by another console`);
          },
          { what: 'step-finish' },
        );
        this.clearActivity(run, step.id);
        return done('succeeded');
      }
      const at = this.d.clock.iso();
      await write(
        () => {
          jobs.finishStep(step.id, { status: 'failed', error: failure.message, errorCode: failure.code, at });
          def.onStepFailed?.(step, failure, at);
        },
        { what: 'step-finish' },
      );
      this.clearActivity(run, step.id);
      return done('failed');
    }
    // A retryable failure: this attempt still counts against the step's budget.
    await write(() => undefined);
    return { kind: 'retry', delayMs: backoffDelay(attempt, backoff, this.opts.random, failure.retryAfterMs) };
  }

  /** Rate-limit tokens granted per API family since this engine started (benchmarks, tests). */
  tokensTaken(): ReadonlyMap<string, number> {
    return this.limiters.taken;
  }

  /** The same per gate (account scope + family) with each gate's limit. */
  tokensByGate(): ReadonlyMap<string, { scope: string; family: string; spec: RateLimitSpec; tokens: number }> {
    return this.limiters.takenByGate;
  }

  /** The activities (latest ctx.progress message) of a job's running steps, by step id. */
  activities(jobId: string): ReadonlyMap<string, string> {
    return this.activity.get(jobId) ?? new Map();
  }

  private setActivity(run: Run, stepId: string, message: string): void {
    if (typeof message !== 'string') return;
    let steps = this.activity.get(run.job.id);
    if (!steps) this.activity.set(run.job.id, (steps = new Map()));
    steps.set(stepId, message.slice(0, 300));
    // The publisher throttles: at most one event per interval per job carries the news.
    run.publishActivity?.();
  }

  private clearActivity(run: Run, stepId: string): void {
    this.activity.get(run.job.id)?.delete(stepId);
  }

  private cancelStep(run: Run, step: StepRecord): 'cancelled' {
    this.clearActivity(run, step.id);
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

/**
 * A step's place in its job's and its provider's concurrency (p-queue slots held until released). The
 * slot bounds the cloud work in flight, not the steps begun: a step that waits for a rate-limit token
 * or for a journal write to reach the disk parks, giving its slot to the next step, and takes one back
 * ahead of steps not yet begun (priority), so begun steps finish first.
 */
export class StepSlot {
  private releases: (() => void)[] = [];
  private constructor() {}

  static async take(jobQueue: PQueue, providerQueue: PQueue, priority = 0): Promise<StepSlot> {
    const slot = new StepSlot();
    await slot.acquire(jobQueue, providerQueue, priority);
    slot.queues = [jobQueue, providerQueue];
    return slot;
  }

  private queues: [PQueue, PQueue] | null = null;

  private async acquire(jobQueue: PQueue, providerQueue: PQueue, priority: number): Promise<void> {
    // Always the job's slot first, then the provider's: one order, so no two steps wait on each other.
    for (const q of [jobQueue, providerQueue]) {
      this.releases.push(await hold(q, priority));
    }
  }

  /** Gives the slots up while `wait` runs, then takes them back (ahead of steps not yet begun). */
  async park<T>(wait: () => Promise<T>): Promise<T> {
    const queues = this.queues;
    if (!queues) return wait();
    this.release();
    try {
      return await wait();
    } finally {
      await this.acquire(queues[0], queues[1], 1);
    }
  }

  release(): void {
    for (const r of this.releases.splice(0).reverse()) r();
  }
}

/** One slot of a p-queue, held until the returned function is called. */
function hold(queue: PQueue, priority: number): Promise<() => void> {
  return new Promise((resolve) => {
    void queue.add(
      () =>
        new Promise<void>((release) => {
          let done = false;
          resolve(() => {
            if (!done) {
              done = true;
              release();
            }
          });
        }),
      { priority },
    );
  });
}
