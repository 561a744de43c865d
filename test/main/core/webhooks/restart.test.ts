import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../../helpers/temp-dir';
import { DOCUMENT_EXAMPLE_JSON, createPolicy, insertFinishedJob, openCore, startReceiver, waitFor, type Receiver, receiverVerifies } from './webhook-fixtures';

// Delivery is at-least-once: a request cut off by a close or a crash may have reached the receiver,
// so it is sent again with the same webhook-id, which is what a receiver dedupes on.

const tempDir = useTempDirs('fc-webhook-restart-');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const SECRET = 'restart-signing-secret-0123456789';
const REPO = resolve(import.meta.dirname, '../../../..');
const CHILD = resolve(import.meta.dirname, 'webhook-child.ts');

/** A receiver that holds the first request open (never answers it) and accepts the rest. */
async function holdingReceiver(): Promise<Receiver> {
  const r = await startReceiver((_q, i) => (i === 0 ? 'hold' : 200));
  cleanup.push(() => r.close());
  return r;
}

/** Sets up a policy and its completed failover with one pending delivery, with no worker running. */
async function seed(dir: string, url: string) {
  const c = openCore(dir, { startWebhooks: false });
  const p = await createPolicy(c, { url, secret: SECRET });
  const jobId = insertFinishedJob(c, p.policy.id);
  const deliveryId = c.services.webhooks.enqueueForJob(jobId)!.id;
  await c.close();
  return { jobId, deliveryId };
}

function expectDeliveredOnceAfterRestart(r: Receiver, deliveryId: string, c: ReturnType<typeof openCore>, jobId: string) {
  // The receiver saw the same delivery (id and bytes) at least once, and answered success once.
  expect(r.requests.length).toBeGreaterThanOrEqual(1);
  expect(new Set(r.requests.map((q) => q.delivery))).toEqual(new Set([deliveryId]));
  for (const q of r.requests) {
    expect(q.body).toBe(DOCUMENT_EXAMPLE_JSON);
    expect(receiverVerifies(SECRET, q)).toBe(true);
  }
  expect(r.requests.filter((q) => q.answered !== null && q.answered < 300)).toHaveLength(1);
  // The outbox marked it delivered once: one delivery row, one successful attempt.
  const [d, ...more] = c.services.webhooks.list(jobId);
  expect(more).toEqual([]);
  expect(d).toMatchObject({ id: deliveryId, status: 'delivered', lastStatus: 200, attempts: 2 });
  const rows = c.db.prepare('SELECT attempt, http_status AS s, error, finished_at IS NOT NULL AS done FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt').all(deliveryId);
  expect(rows).toEqual([
    { attempt: 1, s: null, error: expect.stringMatching(/^Interrupted: the console closed while this attempt was open/), done: 1 },
    { attempt: 2, s: 200, error: null, done: 1 },
  ]);
  expect(c.db.prepare(`SELECT COUNT(*) FROM audit_log WHERE action = 'webhook.delivered' AND subject_id = ?`).pluck().get(jobId)).toBe(1);
}

describe('a delivery across a restart', () => {
  it('closing the console while the receiver holds the request: the next start sends it again and it is delivered once', async () => {
    const r = await holdingReceiver();
    const dir = tempDir();
    const { jobId, deliveryId } = await seed(dir, r.url);

    const first = openCore(dir, { webhooks: { timeoutMs: 60_000 } });
    await waitFor('the held request', () => r.requests.length === 1);
    await first.close();
    expect(r.requests[0]?.answered).toBeNull();

    const second = openCore(dir);
    cleanup.push(() => second.close());
    await waitFor('delivered', () => second.services.webhooks.list(jobId)[0]?.status === 'delivered');
    expectDeliveredOnceAfterRestart(r, deliveryId, second, jobId);
  });

  it('a crash (SIGKILL) mid-request: the next start closes the open attempt, sends again and it is delivered once', async () => {
    const r = await holdingReceiver();
    const dir = tempDir();
    const { jobId, deliveryId } = await seed(dir, r.url);

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, signal) => res(signal ?? code)));
    try {
      await waitFor('the child to send the request', () => r.requests.length === 1 || child.exitCode !== null, 20_000);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited, stderr).toBe('SIGKILL');
    expect(r.requests).toHaveLength(1);

    const after = openCore(dir);
    cleanup.push(() => after.close());
    await waitFor('delivered', () => after.services.webhooks.list(jobId)[0]?.status === 'delivered');
    expectDeliveredOnceAfterRestart(r, deliveryId, after, jobId);
  }, 30_000);

  it('a pending delivery waiting for its next attempt is sent by the next start, keeping its id', async () => {
    let up = false;
    const r = await startReceiver(() => (up ? 200 : 503));
    cleanup.push(() => r.close());
    const dir = tempDir();
    const { jobId, deliveryId } = await seed(dir, r.url);
    const first = openCore(dir, { webhooks: { baseDelayMs: 300, minDelayMs: 300, maxDelayMs: 300 } });
    await waitFor('a failed attempt', () => first.services.webhooks.list(jobId)[0]?.lastStatus === 503);
    await first.close();
    up = true;
    const second = openCore(dir);
    cleanup.push(() => second.close());
    const d = await waitFor('delivered', () => (second.services.webhooks.list(jobId)[0]?.status === 'delivered' ? second.services.webhooks.list(jobId)[0] : null));
    expect(d).toMatchObject({ id: deliveryId, attempts: 2, lastStatus: 200 });
    expect(r.requests.map((q) => q.delivery)).toEqual([deliveryId, deliveryId]);
    expect(r.requests[1]?.body).toBe(r.requests[0]?.body);
  });
});
