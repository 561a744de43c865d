// The webhook outbox's storage (R8): deliveries, their attempts, and the reads the payload needs
// (a job's resource mappings, its policy's webhook settings). Claims are compare-and-set updates.

import type { JobKind, JobStatus } from '../../shared/domain';
import type { Db } from './connection';

export type WebhookEvent = 'failover' | 'test_failover';
export type WebhookStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  policyId: string;
  jobId: string;
  event: WebhookEvent;
  url: string;
  body: string;
  status: WebhookStatus;
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  signed: boolean;
  createdAt: string;
  deliveredAt: string | null;
}

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  httpStatus: number | null;
  error: string | null;
}

export interface MappingRow {
  protectedResourceId: string | null;
  sourceId: string;
  kind: string;
  name: string;
  targetId: string;
}

/** What enqueue needs to know about a job and its policy, in one read. */
export interface JobWebhookContext {
  jobId: string;
  kind: JobKind;
  status: JobStatus;
  finishedAt: string | null;
  policyId: string;
  policyName: string;
  webhookUrl: string | null;
  signed: boolean;
  onTestFailover: boolean;
}

interface RawDelivery {
  id: string;
  policy_id: string;
  job_id: string;
  event: WebhookEvent;
  url: string;
  body: string;
  status: WebhookStatus;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  signed: number;
  created_at: string;
  delivered_at: string | null;
}

interface RawAttempt {
  delivery_id: string;
  attempt: number;
  started_at: string;
  finished_at: string | null;
  http_status: number | null;
  error: string | null;
}

const toDelivery = (r: RawDelivery): DeliveryRecord => ({
  id: r.id,
  policyId: r.policy_id,
  jobId: r.job_id,
  event: r.event,
  url: r.url,
  body: r.body,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  signed: r.signed === 1,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

const toAttempt = (r: RawAttempt): AttemptRecord => ({
  deliveryId: r.delivery_id,
  attempt: r.attempt,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  httpStatus: r.http_status,
  error: r.error,
});

export interface AttemptOutcome {
  id: string;
  attempt: number;
  at: string;
  httpStatus: number | null;
  error: string | null;
}

export class WebhooksRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly byJobStmt;
  private readonly dueStmt;
  private readonly nextDueStmt;
  private readonly claimStmt;
  private readonly insertAttemptStmt;
  private readonly finishAttemptStmt;
  private readonly deliveredStmt;
  private readonly retryStmt;
  private readonly failedStmt;
  private readonly attemptsStmt;
  private readonly openAttemptsStmt;
  private readonly mappingsStmt;
  private readonly contextStmt;
  private readonly secretStmt;
  private readonly allowPrivateStmt;
  private readonly undeliveredFailoversStmt;
  private readonly interruptDeliveriesStmt;
  private readonly interruptAttemptsStmt;

  constructor(private readonly db: Db) {
    // OR IGNORE on the unique job index: a second enqueue of the same job is a no-op.
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO webhook_deliveries (id, policy_id, job_id, event, url, body, status, attempts, next_attempt_at, signed, created_at)
       VALUES (@id, @policyId, @jobId, @event, @url, @body, 'pending', 0, @nextAttemptAt, @signed, @createdAt)`,
    );
    this.getStmt = db.prepare<[string], RawDelivery>('SELECT * FROM webhook_deliveries WHERE id = ?');
    this.byJobStmt = db.prepare<[string], RawDelivery>('SELECT * FROM webhook_deliveries WHERE job_id = ? ORDER BY created_at, id');
    this.dueStmt = db.prepare<[string, number], RawDelivery>(
      `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.nextDueStmt = db.prepare<[], { at: string | null }>(
      `SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`,
    );
    // The lease: pushing next_attempt_at past the attempt's timeout keeps the row from being picked
    // twice; the attempts guard makes the claim a compare-and-set.
    this.claimStmt = db.prepare(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = @leaseUntil, signed = @signed
       WHERE id = @id AND status = 'pending' AND attempts = @attempts AND next_attempt_at <= @now`,
    );
    this.insertAttemptStmt = db.prepare(
      `INSERT INTO webhook_attempts (delivery_id, attempt, started_at) VALUES (@id, @attempt, @now)`,
    );
    this.finishAttemptStmt = db.prepare(
      `UPDATE webhook_attempts SET finished_at = @at, http_status = @httpStatus, error = @error
       WHERE delivery_id = @id AND attempt = @attempt AND finished_at IS NULL`,
    );
    this.deliveredStmt = db.prepare(
      `UPDATE webhook_deliveries SET status = 'delivered', last_status = @httpStatus, last_error = NULL, delivered_at = @at
       WHERE id = @id AND status = 'pending'`,
    );
    this.retryStmt = db.prepare(
      `UPDATE webhook_deliveries SET last_status = @httpStatus, last_error = @error, next_attempt_at = @nextAttemptAt
       WHERE id = @id AND status = 'pending'`,
    );
    this.failedStmt = db.prepare(
      `UPDATE webhook_deliveries SET status = 'failed', last_status = @httpStatus, last_error = @error
       WHERE id = @id AND status = 'pending'`,
    );
    this.attemptsStmt = db.prepare<[string], RawAttempt>('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt');
    this.openAttemptsStmt = db.prepare<[], RawAttempt & { status: WebhookStatus }>(
      `SELECT a.*, d.status FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE a.finished_at IS NULL`,
    );
    this.mappingsStmt = db.prepare<[string], { protected_resource_id: string | null; source_id: string; kind: string; name: string; target_id: string }>(
      `SELECT protected_resource_id, source_id, kind, name, target_id FROM resource_mappings WHERE job_id = ? ORDER BY id`,
    );
    this.contextStmt = db.prepare<
      [string],
      {
        id: string;
        kind: JobKind;
        status: JobStatus;
        finished_at: string | null;
        policy_id: string;
        policy_name: string;
        webhook_url: string | null;
        signed: number;
        on_test: number;
      }
    >(
      `SELECT j.id, j.kind, j.status, j.finished_at, p.id AS policy_id, p.name AS policy_name, p.webhook_url,
         (p.webhook_secret IS NOT NULL) AS signed, p.webhook_on_test_failover AS on_test
       FROM jobs j JOIN policies p ON p.id = j.policy_id WHERE j.id = ?`,
    );
    this.secretStmt = db.prepare<[string], { webhook_secret: Buffer | null }>('SELECT webhook_secret FROM policies WHERE id = ?');
    this.allowPrivateStmt = db.prepare<[string], { webhook_allow_private: number }>('SELECT webhook_allow_private FROM policies WHERE id = ?');
    this.undeliveredFailoversStmt = db.prepare<[string], { id: string }>(
      `SELECT j.id FROM jobs j JOIN policies p ON p.id = j.policy_id
       WHERE j.kind = 'failover' AND j.status = 'succeeded' AND j.finished_at >= ? AND p.webhook_url IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.job_id = j.id)`,
    );
    this.interruptDeliveriesStmt = db.prepare(
      `UPDATE webhook_deliveries SET next_attempt_at = @now, last_error = @error
       WHERE status = 'pending' AND id IN (SELECT delivery_id FROM webhook_attempts WHERE finished_at IS NULL)`,
    );
    this.interruptAttemptsStmt = db.prepare(`UPDATE webhook_attempts SET finished_at = @now, error = @error WHERE finished_at IS NULL`);
  }

  /**
   * Closes attempts a previous process left open (it ended while a request was in flight) and
   * makes their deliveries due now. Returns how many attempts were closed.
   */
  closeInterrupted(now: string, error: string): number {
    return this.db
      .transaction(() => {
        this.interruptDeliveriesStmt.run({ now, error });
        return this.interruptAttemptsStmt.run({ now, error }).changes;
      })
      .immediate();
  }

  /** Returns false when the job already has a delivery (the unique index kept the first one). */
  insert(d: {
    id: string;
    policyId: string;
    jobId: string;
    event: WebhookEvent;
    url: string;
    body: string;
    nextAttemptAt: string;
    signed: boolean;
    createdAt: string;
  }): boolean {
    return this.insertStmt.run({ ...d, signed: d.signed ? 1 : 0 }).changes > 0;
  }

  get(id: string): DeliveryRecord | null {
    const row = this.getStmt.get(id);
    return row ? toDelivery(row) : null;
  }

  byJob(jobId: string): DeliveryRecord[] {
    return this.byJobStmt.all(jobId).map(toDelivery);
  }

  due(now: string, limit: number): DeliveryRecord[] {
    return this.dueStmt.all(now, limit).map(toDelivery);
  }

  /** Pending deliveries waiting out a backoff become due at `now`; rows with an attempt open are left alone. */
  makeDueNow(now: string): number {
    return this.db
      .prepare(
        `UPDATE webhook_deliveries SET next_attempt_at = ?
         WHERE status = 'pending' AND next_attempt_at > ?
           AND NOT EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id AND a.finished_at IS NULL)`,
      )
      .run(now, now).changes;
  }

  nextDueAt(): string | null {
    return this.nextDueStmt.get()?.at ?? null;
  }

  /**
   * Takes the delivery for one attempt: counts it, leases the row and writes the attempt's start,
   * in one transaction. Returns the attempt number, or null when someone else got there first.
   */
  claim(c: { id: string; attempts: number; now: string; leaseUntil: string; signed: boolean }): number | null {
    return this.db
      .transaction(() => {
        const changed = this.claimStmt.run({ id: c.id, attempts: c.attempts, now: c.now, leaseUntil: c.leaseUntil, signed: c.signed ? 1 : 0 }).changes;
        if (changed === 0) return null;
        const attempt = c.attempts + 1;
        this.insertAttemptStmt.run({ id: c.id, attempt, now: c.now });
        return attempt;
      })
      .immediate();
  }

  markDelivered(o: AttemptOutcome): void {
    this.db.transaction(() => {
      this.finishAttemptStmt.run(o);
      this.deliveredStmt.run({ id: o.id, httpStatus: o.httpStatus, at: o.at });
    })();
  }

  scheduleRetry(o: AttemptOutcome & { nextAttemptAt: string }): void {
    this.db.transaction(() => {
      this.finishAttemptStmt.run({ id: o.id, attempt: o.attempt, at: o.at, httpStatus: o.httpStatus, error: o.error });
      this.retryStmt.run({ id: o.id, httpStatus: o.httpStatus, error: o.error, nextAttemptAt: o.nextAttemptAt });
    })();
  }

  markFailed(o: AttemptOutcome & { finalError: string }): void {
    this.db.transaction(() => {
      this.finishAttemptStmt.run({ id: o.id, attempt: o.attempt, at: o.at, httpStatus: o.httpStatus, error: o.error });
      this.failedStmt.run({ id: o.id, httpStatus: o.httpStatus, error: o.finalError });
    })();
  }

  attempts(deliveryId: string): AttemptRecord[] {
    return this.attemptsStmt.all(deliveryId).map(toAttempt);
  }

  /** Attempts that were started and never finished: the process ended while the request was open. */
  openAttempts(): (AttemptRecord & { status: WebhookStatus })[] {
    return this.openAttemptsStmt.all().map((r) => ({ ...toAttempt(r), status: r.status }));
  }

  mappings(jobId: string): MappingRow[] {
    return this.mappingsStmt.all(jobId).map((r) => ({
      protectedResourceId: r.protected_resource_id,
      sourceId: r.source_id,
      kind: r.kind,
      name: r.name,
      targetId: r.target_id,
    }));
  }

  jobContext(jobId: string): JobWebhookContext | null {
    const r = this.contextStmt.get(jobId);
    if (!r) return null;
    return {
      jobId: r.id,
      kind: r.kind,
      status: r.status,
      finishedAt: r.finished_at,
      policyId: r.policy_id,
      policyName: r.policy_name,
      webhookUrl: r.webhook_url,
      signed: r.signed === 1,
      onTestFailover: r.on_test === 1,
    };
  }

  /** The policy's sealed signing secret (vault ciphertext), or null when deliveries are unsigned. */
  sealedSecret(policyId: string): Buffer | null {
    return this.secretStmt.get(policyId)?.webhook_secret ?? null;
  }

  /** Whether the policy lets its webhook reach link-local and metadata addresses (off when it is gone). */
  allowsPrivateTargets(policyId: string): boolean {
    return this.allowPrivateStmt.get(policyId)?.webhook_allow_private === 1;
  }

  /** Succeeded failover jobs since `since` whose delivery was never enqueued (a crash in between). */
  failoversWithoutDelivery(since: string): string[] {
    return this.undeliveredFailoversStmt.all(since).map((r) => r.id);
  }
}
