// The durable webhook outbox (R8): a completed failover (or opted-in test failover) becomes one
// stored delivery, and a worker POSTs due deliveries with retries until delivered or given up.
// At-least-once: a crash mid-request sends again with the same webhook-id, so receivers dedupe.

import type { WebhookDeliveryView } from '../../../shared/domain';
import type { Vault } from '../../credentials/vault';
import type { DeliveryRecord, WebhookEvent, WebhooksRepo } from '../../db/webhooks-repo';
import type { AuditLog } from '../audit-log';
import { backoffDelay } from '../backoff';
import type { Clock } from '../clock';
import { describeError, notFound } from '../errors';
import type { EventBus } from '../events';
import { newId } from '../ids';
import type { Logger } from '../logger';
import { attemptDelivery, defaultFetch, hostOf, INTERRUPTED_MESSAGE, type FetchLike } from './delivery';
import { systemLookup, type LookupAll } from './target';
import { buildPayload, serializePayload } from './payload';
import { signatureHeaders } from './signer';

export interface WebhookOptions {
  /** Per attempt, connection to answer. */
  timeoutMs: number;
  /** Full-jitter exponential backoff between attempts: the first ceiling, and the cap. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Never retry sooner than this (full jitter can draw zero). */
  minDelayMs: number;
  /** Give up (status failed) after this many attempts or once the delivery is this old. */
  maxAttempts: number;
  maxAgeMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** The worker looks again at least this often, so a changed clock cannot stall it. */
  idleRecheckMs: number;
  random: () => number;
  fetch: FetchLike;
  /** Resolves webhook hosts; each address is checked at delivery (target.ts). */
  lookup: LookupAll;
  userAgent: string;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  timeoutMs: 10_000,
  baseDelayMs: 5_000,
  maxDelayMs: 60 * 60_000,
  minDelayMs: 1_000,
  maxAttempts: 100,
  maxAgeMs: 72 * 60 * 60_000,
  concurrency: 4,
  idleRecheckMs: 60_000,
  random: Math.random,
  fetch: defaultFetch,
  lookup: systemLookup,
  userAgent: 'FailoverConsole-Webhook',
};

export interface WebhookOutboxDeps {
  repo: WebhooksRepo;
  vault: Vault;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  events?: EventBus;
  options?: Partial<WebhookOptions>;
}

const EVENTS: Record<string, WebhookEvent | undefined> = { failover: 'failover', test_failover: 'test_failover' };

export class WebhookOutbox {
  readonly options: WebhookOptions;
  private running = false;
  private stopController = new AbortController();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly d: WebhookOutboxDeps) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...d.options };
  }

  /**
   * Stores the delivery for a completed job when its policy asks for one: failover jobs whenever the
   * policy has a URL, test failovers only with the policy's opt-in. Idempotent per job (the first
   * delivery and its id are kept). Returns the delivery, or null when none is due for this job.
   */
  enqueueForJob(jobId: string): WebhookDeliveryView | null {
    const ctx = this.d.repo.jobContext(jobId);
    if (!ctx) throw notFound('Job', jobId);
    const event = EVENTS[ctx.kind];
    // Only a completed job has the whole mapping; a partial failover is retried until it succeeds.
    if (!event || ctx.status !== 'succeeded' || ctx.webhookUrl === null) return null;
    if (event === 'test_failover' && !ctx.onTestFailover) return null;

    const existing = this.d.repo.byJob(jobId)[0];
    if (existing) return this.view(existing);

    const now = this.d.clock.iso();
    const body = serializePayload(buildPayload(ctx.policyName, this.d.repo.mappings(jobId)));
    const id = newId('whd');
    const inserted = this.d.repo.insert({
      id,
      policyId: ctx.policyId,
      jobId,
      event,
      url: ctx.webhookUrl,
      body,
      nextAttemptAt: now,
      signed: ctx.signed,
      createdAt: now,
    });
    if (inserted) {
      this.d.audit.record('system', 'webhook.enqueue', jobId, `${event} delivery ${id} to ${hostOf(ctx.webhookUrl)}${ctx.signed ? ', signed' : ''}`);
      // Not now: the caller may be inside its own transaction, and nothing may be sent for a job
      // whose completion could still roll back. By the next turn it has committed (or vanished).
      setImmediate(() => this.pump());
    }
    const row = this.d.repo.byJob(jobId)[0];
    return row ? this.view(row) : null;
  }

  list(jobId: string): WebhookDeliveryView[] {
    if (!this.d.repo.jobContext(jobId)) throw notFound('Job', jobId);
    return this.d.repo.byJob(jobId).map((r) => this.view(r));
  }

  /**
   * Resumes the outbox: attempts a previous process left open become due now, succeeded failovers
   * that never got their delivery enqueued (a crash in between) get it, and due rows are sent.
   */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    const closed = this.d.repo.closeInterrupted(this.d.clock.iso(), INTERRUPTED_MESSAGE);
    if (closed > 0) this.d.logger.warn(`Webhook outbox: ${closed} delivery attempt(s) were cut short by the last exit; sending them again`);
    const since = new Date(this.d.clock.now().getTime() - this.options.maxAgeMs).toISOString();
    for (const jobId of this.d.repo.failoversWithoutDelivery(since)) this.safeEnqueue(jobId);
    // A backstop for the job engine's own call: every successful (test) failover reaches the outbox.
    this.unsubscribe = this.d.events?.subscribe((name, payload) => {
      if (name !== 'dr:job.finished') return;
      const p = payload as { jobId: string; kind: string; status: string };
      if (p.status === 'succeeded' && EVENTS[p.kind]) this.safeEnqueue(p.jobId);
    }) ?? null;
    this.pump();
  }

  /** Stops the worker: open requests are aborted and recorded as interrupted (due again at start). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopController.abort(new Error('The console is closing.'));
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * The network is back (an offline account answered again): pending deliveries waiting out their
   * backoff are made due now, so they go out at once rather than up to an hour later. Each is still
   * claimed once per attempt, so a delivery is sent once.
   */
  wake(): number {
    if (!this.running) return 0;
    const n = this.d.repo.makeDueNow(this.d.clock.iso());
    this.pump();
    return n;
  }

  /** Resolves when no attempt is in flight (tests and tools; the worker itself never waits). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Starts every due delivery (up to the concurrency) and sets the timer for the next one. */
  pump(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const free = this.options.concurrency - this.inFlight.size;
    if (free > 0) {
      for (const row of this.d.repo.due(this.d.clock.iso(), free + this.inFlight.size)) {
        if (this.inFlight.size >= this.options.concurrency) break;
        if (this.inFlight.has(row.id)) continue;
        const run = this.deliver(row)
          .catch((err: unknown) => this.d.logger.error(`Webhook outbox: delivery ${row.id} failed unexpectedly`, describeError(err)))
          .finally(() => {
            this.inFlight.delete(row.id);
            this.pump();
          });
        this.inFlight.set(row.id, run);
      }
    }
    const next = this.d.repo.nextDueAt();
    const wait = next === null ? this.options.idleRecheckMs : Math.min(this.options.idleRecheckMs, Math.max(0, Date.parse(next) - this.d.clock.now().getTime()));
    this.timer = setTimeout(() => this.pump(), wait);
    // The outbox must never keep a closing process alive; pending rows wait in the database.
    this.timer.unref?.();
  }

  private safeEnqueue(jobId: string): void {
    try {
      this.enqueueForJob(jobId);
    } catch (err) {
      this.d.logger.error(`Webhook outbox: could not enqueue the delivery of job ${jobId}`, describeError(err));
    }
  }

  private async deliver(row: DeliveryRecord): Promise<void> {
    const o = this.options;
    const started = this.d.clock.now();
    // Standard Webhooks headers: the id is the same on every attempt (receivers dedupe on it).
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': o.userAgent,
      'webhook-id': row.id,
      'webhook-timestamp': String(Math.floor(started.getTime() / 1000)),
      'X-DR-Event': row.event,
    };

    // Signed with the policy's current secret, so a rotated secret applies to pending deliveries too.
    let signError: string | null = null;
    const sealed = this.d.repo.sealedSecret(row.policyId);
    if (sealed !== null) {
      try {
        const secret = this.d.vault.openWebhookSecret(row.policyId, sealed);
        try {
          Object.assign(headers, signatureHeaders(secret, row.id, started, row.body));
        } finally {
          secret.fill(0);
        }
      } catch (err) {
        signError = `The delivery could not be signed: ${describeError(err)}`;
      }
    }

    // Lease past the attempt's timeout, so a slow answer is not sent twice by the next pump.
    const leaseUntil = new Date(started.getTime() + o.timeoutMs + 5_000).toISOString();
    const attempt = this.d.repo.claim({ id: row.id, attempts: row.attempts, now: started.toISOString(), leaseUntil, signed: sealed !== null });
    if (attempt === null) return;

    const result = signError
      ? { outcome: 'failed' as const, httpStatus: null, error: signError }
      : await attemptDelivery(
          { url: row.url, body: row.body, headers },
          // The policy's current choice, like its secret: turning private targets off stops pending deliveries too.
          { timeoutMs: o.timeoutMs, stop: this.stopController.signal, fetch: o.fetch, lookup: o.lookup, allowPrivate: this.d.repo.allowsPrivateTargets(row.policyId) },
        );

    const at = this.d.clock.iso();
    const host = hostOf(row.url);
    if (result.outcome === 'delivered') {
      this.d.repo.markDelivered({ id: row.id, attempt, at, httpStatus: result.httpStatus, error: null });
      this.d.audit.record('system', 'webhook.delivered', row.jobId, `${row.event} delivery ${row.id} to ${host}: ${result.httpStatus} on attempt ${attempt}`);
      return;
    }
    if (result.outcome === 'interrupted') {
      this.d.repo.scheduleRetry({ id: row.id, attempt, at, httpStatus: null, error: result.error, nextAttemptAt: at });
      return;
    }
    const age = Date.parse(at) - Date.parse(row.createdAt);
    if (attempt >= o.maxAttempts || age >= o.maxAgeMs) {
      const span = formatSpan(age);
      const finalError = `Gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} over ${span}; the last one: ${result.error}`;
      this.d.repo.markFailed({ id: row.id, attempt, at, httpStatus: result.httpStatus, error: result.error, finalError });
      this.d.audit.record('system', 'webhook.failed', row.jobId, `${row.event} delivery ${row.id} to ${host}: ${finalError}`);
      this.d.logger.warn(`Webhook delivery ${row.id} to ${host} failed for good: ${result.error}`);
      return;
    }
    const delay = Math.max(o.minDelayMs, backoffDelay(attempt, { maxAttempts: o.maxAttempts, baseMs: o.baseDelayMs, capMs: o.maxDelayMs }, o.random));
    const nextAttemptAt = new Date(Date.parse(at) + delay).toISOString();
    this.d.repo.scheduleRetry({ id: row.id, attempt, at, httpStatus: result.httpStatus, error: result.error, nextAttemptAt });
    this.d.logger.info(`Webhook delivery ${row.id} to ${host}: attempt ${attempt} failed (${result.error}); next at ${nextAttemptAt}`);
  }

  private view(r: DeliveryRecord): WebhookDeliveryView {
    return {
      id: r.id,
      jobId: r.jobId,
      url: r.url,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt : null,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      createdAt: r.createdAt,
      deliveredAt: r.deliveredAt,
      signed: r.signed,
    };
  }
}

function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  return `${Math.round(m / 60)} h`;
}
