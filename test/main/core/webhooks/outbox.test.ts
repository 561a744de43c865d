import { afterEach, describe, expect, it } from 'vitest';
import { WebhookDeliveryView } from '../../../../shared/domain';
import { useTempDirs } from '../../../helpers/temp-dir';
import {
  DOCUMENT_EXAMPLE_JSON,
  createPolicy,
  freePort,
  insertFinishedJob,
  openCore,
  startReceiver,
  waitFor,
  type Receiver,
  type WebhookCore,
  receiverVerifies,
} from './webhook-fixtures';

const tempDir = useTempDirs('fc-webhook-');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function receiver(answer?: Parameters<typeof startReceiver>[0], port?: number): Promise<Receiver> {
  const r = await startReceiver(answer, port);
  cleanup.push(() => r.close());
  return r;
}

function core(opts: Parameters<typeof openCore>[1] = {}, dir = tempDir()): WebhookCore {
  const c = openCore(dir, opts);
  cleanup.push(() => c.close());
  return c;
}

const delivery = (c: WebhookCore, jobId: string) => c.services.webhooks.list(jobId)[0];
const attempts = (c: WebhookCore, deliveryId: string) =>
  c.db.prepare(`SELECT attempt, http_status AS httpStatus, error, finished_at IS NOT NULL AS finished FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt`).all(deliveryId) as {
    attempt: number;
    httpStatus: number | null;
    error: string | null;
    finished: number;
  }[];

describe('enqueueing a job', () => {
  it('stores one delivery for a succeeded failover, and the same one when enqueued again', async () => {
    const c = core({ startWebhooks: false });
    const { policy } = await createPolicy(c, { url: 'http://127.0.0.1:9/hook' });
    const jobId = insertFinishedJob(c, policy.id);
    const first = c.services.webhooks.enqueueForJob(jobId);
    const second = c.services.webhooks.enqueueForJob(jobId);
    expect(first).toMatchObject({ jobId, status: 'pending', attempts: 0, url: 'http://127.0.0.1:9/hook', signed: false, lastStatus: null });
    expect(second?.id).toBe(first?.id);
    expect(c.db.prepare('SELECT COUNT(*) FROM webhook_deliveries WHERE job_id = ?').pluck().get(jobId)).toBe(1);
    expect(c.db.prepare('SELECT event FROM webhook_deliveries WHERE job_id = ?').pluck().get(jobId)).toBe('failover');
  });

  it('stores nothing when the policy has no webhook URL, for replication jobs, or for jobs that did not succeed', async () => {
    const c = core({ startWebhooks: false });
    const none = await createPolicy(c, { url: null, name: 'No hook' });
    expect(c.services.webhooks.enqueueForJob(insertFinishedJob(c, none.policy.id))).toBeNull();
    const hooked = await createPolicy(c, { url: 'http://127.0.0.1:9/hook', name: 'Hooked', onTestFailover: true });
    expect(c.services.webhooks.enqueueForJob(insertFinishedJob(c, hooked.policy.id, { kind: 'replication' }))).toBeNull();
    expect(c.services.webhooks.enqueueForJob(insertFinishedJob(c, hooked.policy.id, { kind: 'test_failover', status: 'partially_failed' }))).toBeNull();
    expect(c.services.webhooks.enqueueForJob(insertFinishedJob(c, hooked.policy.id, { kind: 'failover', status: 'running' }))).toBeNull();
    expect(c.db.prepare('SELECT COUNT(*) FROM webhook_deliveries').pluck().get()).toBe(0);
    expect(() => c.services.webhooks.enqueueForJob('job_missing')).toThrow(/not found/);
  });

  it('sends test failovers only when the policy opted in', async () => {
    const c = core({ startWebhooks: false });
    const off = await createPolicy(c, { url: 'http://127.0.0.1:9/a', name: 'Opted out' });
    expect(c.services.webhooks.enqueueForJob(insertFinishedJob(c, off.policy.id, { kind: 'test_failover' }))).toBeNull();
    const on = await createPolicy(c, { url: 'http://127.0.0.1:9/b', name: 'Opted in', onTestFailover: true });
    expect(on.policy.webhookOnTestFailover).toBe(true);
    const jobId = insertFinishedJob(c, on.policy.id, { kind: 'test_failover' });
    expect(c.services.webhooks.enqueueForJob(jobId)).toMatchObject({ status: 'pending' });
    expect(c.db.prepare('SELECT event FROM webhook_deliveries WHERE job_id = ?').pluck().get(jobId)).toBe('test_failover');
  });

  it('is listed through dr:webhooks.list, and an unknown job is a clear NotFound', async () => {
    const c = core({ startWebhooks: false });
    const { policy } = await createPolicy(c, { url: 'http://127.0.0.1:9/hook' });
    const jobId = insertFinishedJob(c, policy.id);
    expect(await c.call('dr:webhooks.list', { jobId })).toEqual([]);
    const d = c.services.webhooks.enqueueForJob(jobId);
    expect(await c.call('dr:webhooks.list', { jobId })).toEqual([d]);
    expect(await c.fail('dr:webhooks.list', { jobId: 'job_nope' })).toMatchObject({ code: 'NotFound' });
  });

  it('happens when the job engine announces a succeeded failover, and at start for one it never announced', async () => {
    const dir = tempDir();
    const first = core({ startWebhooks: false }, dir);
    const { policy } = await createPolicy(first, { url: 'http://127.0.0.1:9/hook', onTestFailover: true });
    const missed = insertFinishedJob(first, policy.id);
    await first.close();

    const c = core({ webhooks: { baseDelayMs: 60_000, minDelayMs: 60_000 } }, dir);
    expect(delivery(c, missed)).toMatchObject({ jobId: missed });
    const announced = insertFinishedJob(c, policy.id, { kind: 'test_failover' });
    c.events.emit('dr:job.finished', { jobId: announced, policyId: policy.id, policyName: policy.name, kind: 'test_failover', status: 'succeeded', message: 'done' });
    expect(delivery(c, announced)).toMatchObject({ jobId: announced });
  });
});

describe('delivering', () => {
  it('sends nothing for a job whose completion rolls back after it was enqueued in the same transaction', async () => {
    const r = await receiver();
    const c = core();
    const { policy } = await createPolicy(c, { url: r.url });
    const jobId = insertFinishedJob(c, policy.id);
    const complete = c.db.transaction(() => {
      c.services.webhooks.enqueueForJob(jobId);
      throw new Error('rolled back');
    });
    expect(() => complete()).toThrow('rolled back');
    await new Promise((res) => setTimeout(res, 200));
    expect(r.requests).toHaveLength(0);
    expect(c.services.webhooks.list(jobId)).toEqual([]);
  });

  it('POSTs the document JSON with the delivery headers and a signature the receiver verifies with the secret', async () => {
    const r = await receiver();
    const secret = 'receiver-shared-secret-0123456789';
    const c = core();
    const { policy } = await createPolicy(c, { url: r.url, secret });
    expect(policy.webhookSigned).toBe(true);
    const jobId = insertFinishedJob(c, policy.id);
    const queued = c.services.webhooks.enqueueForJob(jobId);
    expect(queued?.signed).toBe(true);

    const done = await waitFor('delivered', () => (delivery(c, jobId)?.status === 'delivered' ? delivery(c, jobId) : null));
    expect(done).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, signed: true });
    expect(done.deliveredAt).not.toBeNull();
    // What crosses IPC matches the contract's schema.
    expect(WebhookDeliveryView.array().safeParse(await c.call('dr:webhooks.list', { jobId })).success).toBe(true);
    expect(r.requests).toHaveLength(1);
    const got = r.requests[0]!;
    expect(got).toMatchObject({ method: 'POST', path: '/hooks/dr?token=receiver-token', contentType: 'application/json', delivery: queued?.id, event: 'failover' });
    expect(got.body).toBe(DOCUMENT_EXAMPLE_JSON);
    expect(got.timestamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(got.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(receiverVerifies(secret, got)).toBe(true);
    expect(receiverVerifies('some-other-secret-0123456', got)).toBe(false);
    expect(attempts(c, done.id)).toEqual([{ attempt: 1, httpStatus: 200, error: null, finished: 1 }]);
  });

  it('sends no signature header for a policy without a secret', async () => {
    const r = await receiver();
    const c = core();
    const { policy } = await createPolicy(c, { url: r.url });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    await waitFor('delivered', () => delivery(c, jobId)?.status === 'delivered');
    expect(r.requests[0]?.signature).toBeUndefined();
    expect(delivery(c, jobId)?.signed).toBe(false);
  });

  it('retries a 500 and delivers on the second attempt with the same delivery id and identical body', async () => {
    const r = await receiver((_req, i) => (i === 0 ? 500 : 200));
    const c = core();
    const { policy } = await createPolicy(c, { url: r.url, secret: 'retry-secret-0123456789' });
    const jobId = insertFinishedJob(c, policy.id);
    const id = c.services.webhooks.enqueueForJob(jobId)?.id;
    const done = await waitFor('delivered', () => (delivery(c, jobId)?.status === 'delivered' ? delivery(c, jobId) : null));
    expect(done).toMatchObject({ id, attempts: 2, lastStatus: 200, lastError: null });
    expect(r.requests.map((q) => q.delivery)).toEqual([id, id]);
    expect(r.requests[1]?.body).toBe(r.requests[0]?.body);
    expect(r.requests.map((q) => receiverVerifies('retry-secret-0123456789', q))).toEqual([true, true]);
    const rows = attempts(c, id!);
    expect(rows.map((a) => a.httpStatus)).toEqual([500, 200]);
    expect(rows[0]?.error).toMatch(/answered 500.*only a 2xx answer counts as delivered/);
  });

  it('does not follow a redirect: a 302 is a failed attempt with a sentence, and the redirect target is never called', async () => {
    const elsewhere = await receiver();
    const r = await receiver(() => ({ status: 302, headers: { location: `${elsewhere.url.replace(/\?.*$/, '')}/moved?secret=x` } }));
    const c = core({ webhooks: { maxAttempts: 2 } });
    const { policy } = await createPolicy(c, { url: r.url });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    const failed = await waitFor('failed', () => (delivery(c, jobId)?.status === 'failed' ? delivery(c, jobId) : null));
    expect(r.requests).toHaveLength(2);
    expect(elsewhere.requests).toHaveLength(0);
    expect(failed).toMatchObject({ attempts: 2, lastStatus: 302, deliveredAt: null, nextAttemptAt: null });
    expect(failed.lastError).toMatch(/^Gave up after 2 attempts over .*: 127\.0\.0\.1:\d+ answered 302 \(a redirect to http:\/\/127\.0\.0\.1:\d+\/hooks\/dr\/moved\); redirects are not followed/);
    expect(failed.lastError).not.toContain('secret=x');
    const audit = c.db.prepare(`SELECT detail FROM audit_log WHERE action = 'webhook.failed' AND subject_id = ?`).pluck().all(jobId);
    expect(audit).toHaveLength(1);
  });

  it('counts an answer that takes longer than the timeout as a failed attempt and keeps the delivery pending', async () => {
    const r = await receiver(() => 'hold');
    const c = core({ webhooks: { timeoutMs: 150, baseDelayMs: 60_000, minDelayMs: 60_000 } });
    const { policy } = await createPolicy(c, { url: r.url });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    const d = await waitFor('first attempt over', () => (delivery(c, jobId)?.lastError ? delivery(c, jobId) : null));
    expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null });
    expect(d.lastError).toMatch(/^127\.0\.0\.1:\d+ did not answer within 150 ms\.$/);
    expect(Date.parse(d.nextAttemptAt!)).toBeGreaterThan(Date.now() + 30_000);
    expect(r.requests).toHaveLength(1);
  });

  it('keeps the delivery while the receiver is down (connection refused) and delivers once it is up', async () => {
    const port = await freePort();
    const c = core();
    const { policy } = await createPolicy(c, { url: `http://127.0.0.1:${port}/hook` });
    const jobId = insertFinishedJob(c, policy.id);
    const id = c.services.webhooks.enqueueForJob(jobId)?.id;
    const down = await waitFor('two refused attempts', () => ((delivery(c, jobId)?.attempts ?? 0) >= 2 ? delivery(c, jobId) : null));
    expect(down.status).toBe('pending');
    expect(down.lastError).toMatch(/^Could not connect to 127\.0\.0\.1:\d+: the connection was refused/);

    const r = await receiver(undefined, port);
    const done = await waitFor('delivered', () => (delivery(c, jobId)?.status === 'delivered' ? delivery(c, jobId) : null));
    expect(done.id).toBe(id);
    expect(done.attempts).toBeGreaterThanOrEqual(3);
    expect(r.requests.map((q) => q.delivery)).toEqual([id]);
    const rows = attempts(c, id!);
    expect(rows.at(-1)).toMatchObject({ httpStatus: 200, error: null });
    expect(rows.slice(0, -1).every((a) => a.httpStatus === null && /refused/.test(a.error ?? ''))).toBe(true);
  });

  it('gives up after the maximum age with a sentence, and never sends again', async () => {
    const r = await receiver(() => 503);
    const c = core({ webhooks: { maxAgeMs: 5 }, startWebhooks: false });
    const { policy } = await createPolicy(c, { url: r.url });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    await new Promise((res) => setTimeout(res, 20));
    c.services.webhooks.start();
    const failed = await waitFor('failed', () => (delivery(c, jobId)?.status === 'failed' ? delivery(c, jobId) : null));
    expect(failed.lastError).toMatch(/^Gave up after 1 attempt over \d+ s; the last one: 127\.0\.0\.1:\d+ answered 503/);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.requests).toHaveLength(1);
  });

  it('spreads retries with full-jitter exponential backoff within the configured cap', async () => {
    const port = await freePort();
    const c = core({ webhooks: { baseDelayMs: 1_000, maxDelayMs: 4_000, minDelayMs: 0, random: () => 0.999 } });
    const { policy } = await createPolicy(c, { url: `http://127.0.0.1:${port}/hook` });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    const d = await waitFor('first attempt over', () => (delivery(c, jobId)?.lastError ? delivery(c, jobId) : null));
    const lastAttemptAt = c.db.prepare('SELECT finished_at FROM webhook_attempts WHERE delivery_id = ?').pluck().get(d.id) as string;
    const wait = Date.parse(d.nextAttemptAt!) - Date.parse(lastAttemptAt);
    expect(wait).toBeGreaterThanOrEqual(990);
    expect(wait).toBeLessThanOrEqual(1_000);
  });
});
