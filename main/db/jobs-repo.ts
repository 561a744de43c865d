// Jobs and their step journal. An intent row is written (and committed) before every cloud
// mutation and the result after it, so an interrupted job can later be resumed from here.

import type { ResourceTypeId } from '../../shared/catalog';
import { JOB_CANCEL, type JobKind, type JobStatus, type JobStepView, type JobView, type StepStatus } from '../../shared/domain';
import type { Db } from './connection';
import { StatementCache } from './statement-cache';

export type JobTrigger = JobView['trigger'];

export interface JobRecord {
  id: string;
  policyId: string;
  kind: JobKind;
  status: JobStatus;
  trigger: JobTrigger;
  recoveryPointId: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The engine instance running it ("<host>|<pid>|<instance>"), null before any claimed it. */
  owner: string | null;
  heartbeatAt: string | null;
}

export interface StepRecord {
  id: string;
  jobId: string;
  seq: number;
  protectedResourceId: string | null;
  action: string;
  dependsOn: string[];
  status: StepStatus;
  attempts: number;
  idempotencyKey: string;
  intent: Record<string, unknown> | null;
  result: unknown;
  error: string | null;
  errorCode: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** What the step works on besides its protected resource (recovery point item, test resource). */
  params: Record<string, unknown>;
}

/** One row of a step's journal of operations (migration 007); appended, never rewritten. */
export interface OperationRow {
  stepId: string;
  opKey: string;
  seq: number;
  kind: 'intent' | 'handle' | 'outcome';
  material: Record<string, unknown>;
  at: string;
}

export type OperationOutcome = { status: 'succeeded'; result: unknown } | { status: 'failed'; code: string; error: string };

/** One operation folded from its rows: the latest intent, the latest handle since it, the outcome. */
export interface OperationState {
  opKey: string;
  intent: Record<string, unknown> | null;
  handle: Record<string, unknown> | null;
  outcome: OperationOutcome | null;
}

/** Folds a step's rows (in seq order) into one state per op key, in order of first appearance. */
export function foldOperations(rows: readonly OperationRow[]): OperationState[] {
  const byKey = new Map<string, OperationState>();
  for (const r of rows) {
    let op = byKey.get(r.opKey);
    if (!op) byKey.set(r.opKey, (op = { opKey: r.opKey, intent: null, handle: null, outcome: null }));
    if (r.kind === 'intent') {
      // A new call of the op (after a failed outcome, or a resumed one): what follows is about it.
      op.intent = r.material;
      op.handle = null;
      op.outcome = null;
    } else if (r.kind === 'handle') op.handle = r.material;
    else op.outcome = r.material as OperationOutcome;
  }
  return [...byKey.values()];
}

export interface JobFilter {
  policyId?: string | undefined;
  kind?: JobKind | undefined;
  status?: JobStatus | undefined;
  offset: number;
  limit: number;
}

interface RawJob {
  id: string;
  policy_id: string;
  kind: JobKind;
  status: JobStatus;
  trigger: JobTrigger;
  recovery_point_id: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  owner: string | null;
  heartbeat_at: string | null;
}

interface RawJobWithCounts extends RawJob {
  steps_total: number;
  steps_done: number;
  steps_failed: number;
  resources_total: number;
  resources_done: number;
  resources_failed: number;
  recovery_point_at: string | null;
}

interface RawStep {
  id: string;
  job_id: string;
  seq: number;
  protected_resource_id: string | null;
  action: string;
  depends_on: string;
  status: StepStatus;
  attempts: number;
  idempotency_key: string;
  intent: string | null;
  result: string | null;
  error: string | null;
  error_code: string | null;
  started_at: string | null;
  finished_at: string | null;
  params: string;
}

/** A resource is done when none of its steps is open, failed when one failed (resource-progress.ts). */
const RESOURCE_COUNTS = `
  (SELECT COUNT(DISTINCT s.protected_resource_id) FROM job_steps s WHERE s.job_id = j.id) AS resources_total,
  (SELECT COUNT(DISTINCT s.protected_resource_id) FROM job_steps s WHERE s.job_id = j.id)
    - (SELECT COUNT(DISTINCT s.protected_resource_id) FROM job_steps s WHERE s.job_id = j.id AND s.status IN ('pending','running')) AS resources_done,
  (SELECT COUNT(DISTINCT s.protected_resource_id) FROM job_steps s WHERE s.job_id = j.id AND s.status = 'failed') AS resources_failed`;

/** Steps in a terminal status count as done; the progress bar reaches the end even when some fail. */
const COUNTS = `
  (SELECT COUNT(*) FROM job_steps s WHERE s.job_id = j.id) AS steps_total,
  (SELECT COUNT(*) FROM job_steps s WHERE s.job_id = j.id AND s.status IN ('succeeded','failed','skipped','cancelled')) AS steps_done,
  (SELECT COUNT(*) FROM job_steps s WHERE s.job_id = j.id AND s.status = 'failed') AS steps_failed,
  ${RESOURCE_COUNTS},
  (SELECT p.created_at FROM recovery_points p WHERE p.id = j.recovery_point_id) AS recovery_point_at`;

const toJob = (r: RawJob): JobRecord => ({
  id: r.id,
  policyId: r.policy_id,
  kind: r.kind,
  status: r.status,
  trigger: r.trigger,
  recoveryPointId: r.recovery_point_id,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  owner: r.owner,
  heartbeatAt: r.heartbeat_at,
});

const toJobView = (r: RawJobWithCounts): JobView => ({
  id: r.id,
  policyId: r.policy_id,
  kind: r.kind,
  status: r.status,
  trigger: r.trigger,
  recoveryPointId: r.recovery_point_id,
  recoveryPointAt: r.recovery_point_at,
  error: r.error,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  stepsTotal: r.steps_total,
  stepsDone: r.steps_done,
  stepsFailed: r.steps_failed,
  resourcesTotal: r.resources_total,
  resourcesDone: r.resources_done,
  resourcesFailed: r.resources_failed,
  cancellable: (r.status === 'queued' || r.status === 'running') && JOB_CANCEL[r.kind] !== 'never',
});

const parseJson = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

const toStep = (r: RawStep): StepRecord => ({
  id: r.id,
  jobId: r.job_id,
  seq: r.seq,
  protectedResourceId: r.protected_resource_id,
  action: r.action,
  dependsOn: parseJson<string[]>(r.depends_on, []),
  status: r.status,
  attempts: r.attempts,
  idempotencyKey: r.idempotency_key,
  intent: parseJson<Record<string, unknown> | null>(r.intent, null),
  result: parseJson<unknown>(r.result, null),
  error: r.error,
  errorCode: r.error_code,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  params: parseJson<Record<string, unknown>>(r.params, {}),
});

/** A job's status changed (or a console took it over to resume it); the audit log records each. */
export interface JobTransition {
  jobId: string;
  policyId: string;
  kind: JobKind;
  /** The status it is in now; 'resumed' when a console claimed it to continue from its journal. */
  to: JobStatus | 'resumed';
  from: JobStatus | null;
  error: string | null;
}

export class JobsRepo {
  private readonly transitionListeners: ((t: JobTransition) => void)[] = [];
  private readonly insertJobStmt;
  private readonly insertStepStmt;
  private readonly getJobStmt;
  private readonly getJobViewStmt;
  private readonly resourceCountsStmt;
  private readonly stepsViewStmt;
  private readonly stepsStmt;
  private readonly unfinishedStmt;
  private readonly activeForPolicyStmt;
  private readonly startJobStmt;
  private readonly finishJobStmt;
  private readonly setRecoveryPointStmt;
  private readonly stepStartStmt;
  private readonly stepIntentGetStmt;
  private readonly stepFinishStmt;
  private readonly stepsInterruptStmt;
  private readonly countsStmt;
  private readonly claimStmt;
  private readonly heartbeatStmt;
  private readonly reopenStmt;
  private readonly retryStepsStmt;
  private readonly stepAttemptsStmt;
  private readonly opAppendStmt;
  private readonly opRowsStmt;
  private readonly cache: StatementCache;

  constructor(private readonly db: Db) {
    this.cache = new StatementCache(db);
    this.insertJobStmt = db.prepare(
      `INSERT INTO jobs (id, policy_id, kind, status, trigger, recovery_point_id, created_at, started_at, owner, heartbeat_at)
       VALUES (@id, @policyId, @kind, @status, @trigger, @recoveryPointId, @createdAt, @startedAt, @owner, @heartbeatAt)`,
    );
    this.insertStepStmt = db.prepare(
      `INSERT INTO job_steps (id, job_id, seq, protected_resource_id, action, depends_on, status, idempotency_key, params)
       VALUES (@id, @jobId, @seq, @protectedResourceId, @action, @dependsOn, 'pending', @idempotencyKey, @params)`,
    );
    this.getJobStmt = db.prepare<[string], RawJob>('SELECT * FROM jobs WHERE id = ?');
    this.getJobViewStmt = db.prepare<[string], RawJobWithCounts>(`SELECT j.*, ${COUNTS} FROM jobs j WHERE j.id = ?`);
    this.stepsViewStmt = db.prepare<
      [string],
      RawStep & { resource_name: string | null; resource_type: ResourceTypeId | null; point_id: string | null; point_at: string | null }
    >(
      `SELECT s.*, r.name AS resource_name, r.type AS resource_type, p.id AS point_id, p.created_at AS point_at
       FROM job_steps s LEFT JOIN protected_resources r ON r.id = s.protected_resource_id
       LEFT JOIN recovery_points p ON p.id = json_extract(s.params, '$.recoveryPointId')
       WHERE s.job_id = ? ORDER BY s.seq`,
    );
    this.stepsStmt = db.prepare<[string], RawStep>('SELECT * FROM job_steps WHERE job_id = ? ORDER BY seq');
    this.unfinishedStmt = db.prepare<[], RawJob>(
      `SELECT * FROM jobs WHERE status IN ('queued','running') ORDER BY created_at`,
    );
    this.activeForPolicyStmt = db.prepare<[string], RawJob>(
      `SELECT * FROM jobs WHERE policy_id = ? AND status IN ('queued','running') ORDER BY created_at DESC LIMIT 1`,
    );
    this.startJobStmt = db.prepare(`UPDATE jobs SET status = 'running', started_at = @at WHERE id = @id AND status = 'queued'`);
    this.finishJobStmt = db.prepare(
      `UPDATE jobs SET status = @status, error = @error, finished_at = @at WHERE id = @id AND status IN ('queued','running')`,
    );
    this.setRecoveryPointStmt = db.prepare(`UPDATE jobs SET recovery_point_id = @recoveryPointId WHERE id = @id`);
    this.stepStartStmt = db.prepare(
      `UPDATE job_steps SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, @at),
         error = NULL, error_code = NULL
       WHERE id = @id AND status IN ('pending','running')`,
    );
    this.stepIntentGetStmt = db.prepare<[string], { intent: string | null }>('SELECT intent FROM job_steps WHERE id = ?');
    this.stepFinishStmt = db.prepare(
      `UPDATE job_steps SET status = @status, result = @result, error = @error, error_code = @errorCode, finished_at = @at
       WHERE id = @id AND status IN ('pending','running')`,
    );
    this.stepsInterruptStmt = db.prepare(
      `UPDATE job_steps SET status = @status, error = @error, error_code = @errorCode, finished_at = @at
       WHERE job_id = @jobId AND status IN ('pending','running')`,
    );
    this.resourceCountsStmt = db.prepare<[string], { resources_total: number; resources_done: number; resources_failed: number }>(
      `SELECT ${RESOURCE_COUNTS} FROM jobs j WHERE j.id = ?`,
    );
    this.countsStmt = db.prepare<[string], { total: number; done: number; failed: number }>(
      `SELECT COUNT(*) AS total,
         COALESCE(SUM(status IN ('succeeded','failed','skipped','cancelled')), 0) AS done,
         COALESCE(SUM(status = 'failed'), 0) AS failed
       FROM job_steps WHERE job_id = ?`,
    );
    // Compare-and-set on the owner: of two engines that find the same orphaned job, one wins.
    this.claimStmt = db.prepare(
      `UPDATE jobs SET owner = @owner, heartbeat_at = @at
       WHERE id = @id AND status IN ('queued','running') AND owner IS @expected`,
    );
    this.heartbeatStmt = db.prepare(
      `UPDATE jobs SET heartbeat_at = @at WHERE owner = @owner AND status IN ('queued','running')`,
    );
    this.reopenStmt = db.prepare(
      `UPDATE jobs SET status = 'running', error = NULL, finished_at = NULL, owner = @owner, heartbeat_at = @at
       WHERE id = @id AND status IN ('failed','partially_failed','cancelled')`,
    );
    this.retryStepsStmt = db.prepare(
      `UPDATE job_steps SET status = 'pending', finished_at = NULL
       WHERE job_id = @jobId AND status IN ('failed','cancelled')`,
    );
    this.stepAttemptsStmt = db.prepare<[string], { attempts: number }>('SELECT attempts FROM job_steps WHERE id = ?');
    this.opAppendStmt = db.prepare(
      `INSERT INTO job_operations (step_id, op_key, seq, kind, material, at)
       VALUES (@stepId, @opKey, (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_operations WHERE step_id = @stepId), @kind, @material, @at)`,
    );
    this.opRowsStmt = db.prepare<[string], { step_id: string; op_key: string; seq: number; kind: OperationRow['kind']; material: string; at: string }>(
      'SELECT * FROM job_operations WHERE step_id = ? ORDER BY seq',
    );
  }

  /**
   * Called after every status change, inside the statement's transaction (the caller's, when it has
   * one), so a transition and its audit entry are committed together or not at all.
   */
  onTransition(listener: (t: JobTransition) => void): void {
    this.transitionListeners.push(listener);
  }

  private transition(id: string, to: JobTransition['to'], from: JobStatus | null, error: string | null = null): void {
    if (this.transitionListeners.length === 0) return;
    const job = this.getJobStmt.get(id);
    if (!job) return;
    for (const l of this.transitionListeners) l({ jobId: id, policyId: job.policy_id, kind: job.kind, to, from, error });
  }

  private withTransition<T>(run: () => T): T {
    return this.transitionListeners.length === 0 ? run() : this.db.transaction(run)();
  }

  insertJob(
    j: Pick<JobRecord, 'id' | 'policyId' | 'kind' | 'status' | 'trigger' | 'recoveryPointId' | 'createdAt' | 'startedAt'> &
      Partial<Pick<JobRecord, 'owner' | 'heartbeatAt'>>,
  ): void {
    this.withTransition(() => {
      this.insertJobStmt.run({ owner: null, heartbeatAt: null, ...j });
      this.transition(j.id, j.status, null);
    });
  }

  insertStep(
    s: Pick<StepRecord, 'id' | 'jobId' | 'seq' | 'protectedResourceId' | 'action' | 'dependsOn' | 'idempotencyKey'> &
      Partial<Pick<StepRecord, 'params'>>,
  ): void {
    this.insertStepStmt.run({ ...s, dependsOn: JSON.stringify(s.dependsOn), params: JSON.stringify(s.params ?? {}) });
  }

  get(id: string): JobRecord | null {
    const row = this.getJobStmt.get(id);
    return row ? toJob(row) : null;
  }

  view(id: string): JobView | null {
    const row = this.getJobViewStmt.get(id);
    return row ? toJobView(row) : null;
  }

  stepViews(jobId: string): JobStepView[] {
    return this.stepsViewStmt.all(jobId).map((r) => ({
      id: r.id,
      jobId: r.job_id,
      seq: r.seq,
      protectedResourceId: r.protected_resource_id,
      resourceName: r.resource_name,
      type: r.resource_type,
      action: r.action,
      status: r.status,
      attempts: r.attempts,
      error: r.error,
      errorCode: r.error_code,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      warnings: stepWarnings(r.result),
      // The engine holds the activity of running steps in memory (jobs service overlays it).
      activity: null,
      recoveryPointId: r.point_id,
      recoveryPointAt: r.point_at,
    }));
  }

  steps(jobId: string): StepRecord[] {
    return this.stepsStmt.all(jobId).map(toStep);
  }

  list(f: JobFilter): { total: number; offset: number; items: JobView[] } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
    if (f.policyId !== undefined) {
      where.push('j.policy_id = @policyId');
      params.policyId = f.policyId;
    }
    if (f.kind !== undefined) {
      where.push('j.kind = @kind');
      params.kind = f.kind;
    }
    if (f.status !== undefined) {
      where.push('j.status = @status');
      params.status = f.status;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.cache.get(`SELECT COUNT(*) AS n FROM jobs j ${clause}`).get(params) as { n: number }).n;
    const rows = this.cache
      .get(`SELECT j.*, ${COUNTS} FROM jobs j ${clause} ORDER BY j.created_at DESC, j.id DESC LIMIT @limit OFFSET @offset`)
      .all(params) as RawJobWithCounts[];
    return { total, offset: f.offset, items: rows.map(toJobView) };
  }

  unfinished(): JobRecord[] {
    return this.unfinishedStmt.all().map(toJob);
  }

  activeForPolicy(policyId: string): JobRecord | null {
    const row = this.activeForPolicyStmt.get(policyId);
    return row ? toJob(row) : null;
  }

  start(id: string, at: string): boolean {
    return this.withTransition(() => {
      const done = this.startJobStmt.run({ id, at }).changes > 0;
      if (done) this.transition(id, 'running', 'queued');
      return done;
    });
  }

  /** Moves an unfinished job to its final status; a finished job is never rewritten. */
  finish(id: string, status: JobStatus, error: string | null, at: string): boolean {
    return this.withTransition(() => {
      const from = this.transitionListeners.length ? (this.getJobStmt.get(id)?.status ?? null) : null;
      const done = this.finishJobStmt.run({ id, status, error, at }).changes > 0;
      if (done) this.transition(id, status, from, error);
      return done;
    });
  }

  setRecoveryPoint(id: string, recoveryPointId: string): void {
    this.setRecoveryPointStmt.run({ id, recoveryPointId });
  }

  /** Marks an attempt; false when the step was closed meanwhile (by recovery or another owner). */
  startStep(id: string, at: string): boolean {
    return this.stepStartStmt.run({ id, at }).changes > 0;
  }

  attempts(id: string): number {
    return this.stepAttemptsStmt.get(id)?.attempts ?? 0;
  }

  /** Takes over an unfinished job whose owner is `expected` (null: never claimed). */
  claim(id: string, owner: string, expected: string | null, at: string): boolean {
    return this.withTransition(() => {
      const done = this.claimStmt.run({ id, owner, expected, at }).changes > 0;
      if (done) this.transition(id, 'resumed', this.getJobStmt.get(id)?.status ?? null);
      return done;
    });
  }

  /** Proves the owner is alive for every unfinished job it runs. */
  heartbeat(owner: string, at: string): void {
    this.heartbeatStmt.run({ owner, at });
  }

  /**
   * Retry of failed items: a finished (failed / partially failed / cancelled) job runs again with
   * the same steps and idempotency keys. Returns the number of steps put back to pending, or -1
   * when the job was not in a retryable status.
   */
  reopen(id: string, owner: string, at: string): number {
    return this.withTransition(() => {
      const from = this.transitionListeners.length ? (this.getJobStmt.get(id)?.status ?? null) : null;
      if (this.reopenStmt.run({ id, owner, at }).changes === 0) return -1;
      this.transition(id, 'running', from);
      return this.retryStepsStmt.run({ jobId: id }).changes;
    });
  }

  intent(id: string): Record<string, unknown> | null {
    return parseJson<Record<string, unknown> | null>(this.stepIntentGetStmt.get(id)?.intent ?? null, null);
  }

  /** Appends one row to a step's journal of operations; returns its seq. Rows are never rewritten. */
  appendOperation(stepId: string, opKey: string, kind: OperationRow['kind'], material: Record<string, unknown>, at: string): void {
    this.opAppendStmt.run({ stepId, opKey, kind, material: JSON.stringify(material), at });
  }

  /** A step's journal of operations, row by row, in order. */
  operationRows(stepId: string): OperationRow[] {
    return this.opRowsStmt.all(stepId).map((r) => ({
      stepId: r.step_id,
      opKey: r.op_key,
      seq: r.seq,
      kind: r.kind,
      material: JSON.parse(r.material) as Record<string, unknown>,
      at: r.at,
    }));
  }

  /** A step's operations folded per op key (what a resumed handler sees through ctx.operations()). */
  operations(stepId: string): OperationState[] {
    return foldOperations(this.operationRows(stepId));
  }

  /** Records a step's outcome once; a finished step is never rewritten. */
  finishStep(
    id: string,
    s: { status: StepStatus; result?: unknown; error?: string | null; errorCode?: string | null; at: string },
  ): boolean {
    return this.stepFinishStmt.run({
      id,
      status: s.status,
      result: s.result === undefined ? null : JSON.stringify(s.result),
      error: s.error ?? null,
      errorCode: s.errorCode ?? null,
      at: s.at,
    }).changes > 0;
  }

  /** Closes every unfinished step of a job (crash recovery, cancellation); intents are kept. */
  closeOpenSteps(jobId: string, status: StepStatus, error: string, errorCode: string, at: string): number {
    return this.stepsInterruptStmt.run({ jobId, status, error, errorCode, at }).changes;
  }

  /** The job's progress in protected resources (see resource-progress.ts for the rule). */
  resourceCounts(jobId: string): { resourcesTotal: number; resourcesDone: number; resourcesFailed: number } {
    const r = this.resourceCountsStmt.get(jobId);
    return r ? { resourcesTotal: r.resources_total, resourcesDone: r.resources_done, resourcesFailed: r.resources_failed } : { resourcesTotal: 0, resourcesDone: 0, resourcesFailed: 0 };
  }

  counts(jobId: string): { total: number; done: number; failed: number } {
    return this.countsStmt.get(jobId) ?? { total: 0, done: 0, failed: 0 };
  }
}

/** The `warnings` a (test) failover step journaled with its result (what the target did not carry). */
function stepWarnings(result: string | null): string[] {
  if (!result) return [];
  try {
    const parsed = JSON.parse(result) as { warnings?: unknown };
    return Array.isArray(parsed?.warnings) ? parsed.warnings.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}
