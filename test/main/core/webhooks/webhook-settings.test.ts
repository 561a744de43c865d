import { readFileSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { dbChecksum } from '../../../helpers/db-checksum';
import { useTempDirs } from '../../../helpers/temp-dir';
import { capturingLogger, createPolicy, insertFinishedJob, openCore, startReceiver, waitFor, type WebhookCore, receiverVerifies } from './webhook-fixtures';

const tempDir = useTempDirs('fc-webhook-settings-');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const SECRET = 'never-show-this-secret-4f1c9a';
const ROTATED = 'rotated-secret-also-hidden-77ab';

function core(dir = tempDir(), logger = capturingLogger()): WebhookCore & { lines: string[] } {
  const c = openCore(dir, { logger });
  cleanup.push(() => c.close());
  return Object.assign(c, { lines: logger.lines });
}

const sealed = (c: WebhookCore, policyId: string) =>
  c.db.prepare('SELECT webhook_secret FROM policies WHERE id = ?').pluck().get(policyId) as Buffer | null;

function editInput(p: Awaited<ReturnType<typeof createPolicy>>) {
  return {
    name: p.policy.name,
    sourceEnvironmentId: p.source.id,
    targetEnvironmentId: p.target.id,
    resources: [{ type: p.vm.type, nativeId: p.vm.nativeId, name: p.vm.name }],
    schedule: null,
    webhookUrl: p.policy.webhookUrl,
    webhookOnTestFailover: p.policy.webhookOnTestFailover,
  };
}

describe('the policy webhook secret', () => {
  it('is stored sealed under the policy id and only reported as webhookSigned', async () => {
    const c = core();
    const p = await createPolicy(c, { url: 'http://127.0.0.1:9/h', secret: SECRET });
    expect(p.policy.webhookSigned).toBe(true);
    expect(JSON.stringify(p.policy)).not.toContain(SECRET);
    const blob = sealed(c, p.policy.id);
    expect(blob).toBeInstanceOf(Buffer);
    expect(blob!.toString('latin1')).not.toContain(SECRET);
    // Bound to its policy: the same blob does not open as another policy's secret.
    expect(c.services.vault.openWebhookSecret(p.policy.id, blob!).toString('utf8')).toBe(SECRET);
    expect(() => c.services.vault.openWebhookSecret('pol_other', blob!)).toThrow(/could not be decrypted/);
  });

  it('is kept when an edit omits it, replaced when given, and removed with null', async () => {
    const c = core();
    const p = await createPolicy(c, { url: 'http://127.0.0.1:9/h', secret: SECRET });
    const before = sealed(c, p.policy.id);

    const kept = await c.call('dr:policies.update', { policyId: p.policy.id, expectedUpdatedAt: p.policy.updatedAt, policy: editInput(p) });
    expect(kept.webhookSigned).toBe(true);
    expect(sealed(c, p.policy.id)?.equals(before!)).toBe(true);

    const rotated = await c.call('dr:policies.update', {
      policyId: p.policy.id,
      expectedUpdatedAt: kept.updatedAt,
      policy: { ...editInput(p), webhookSecret: ROTATED, webhookOnTestFailover: true },
    });
    expect(rotated).toMatchObject({ webhookSigned: true, webhookOnTestFailover: true });
    expect(c.services.vault.openWebhookSecret(p.policy.id, sealed(c, p.policy.id)!).toString('utf8')).toBe(ROTATED);

    const removed = await c.call('dr:policies.update', {
      policyId: p.policy.id,
      expectedUpdatedAt: rotated.updatedAt,
      policy: { ...editInput(p), webhookSecret: null },
    });
    expect(removed).toMatchObject({ webhookSigned: false, webhookOnTestFailover: false });
    expect(sealed(c, p.policy.id)).toBeNull();
    const audit = c.db.prepare(`SELECT detail FROM audit_log WHERE action = 'policy.webhookSecret' AND subject_id = ? ORDER BY id`).pluck().all(p.policy.id);
    expect(audit).toEqual(['signing secret set', 'signing secret set', 'signing secret removed']);
  });

  it('that is too short is refused with a clear error and nothing changes', async () => {
    const c = core();
    const p = await createPolicy(c, { url: 'http://127.0.0.1:9/h', secret: SECRET });
    const before = dbChecksum(c.db);
    const err = await c.fail('dr:policies.update', {
      policyId: p.policy.id,
      expectedUpdatedAt: p.policy.updatedAt,
      policy: { ...editInput(p), webhookSecret: 'short' },
    });
    expect(err.code).toBe('ValidationFailed');
    expect(err.message).toMatch(/webhookSecret.*at least 16 characters/);
    expect(dbChecksum(c.db)).toBe(before);
  });

  it('signs pending deliveries with the current secret after a rotation', async () => {
    const r = await startReceiver((_q, i) => (i === 0 ? 500 : 200));
    cleanup.push(() => r.close());
    const c = openCore(tempDir(), { webhooks: { baseDelayMs: 400, minDelayMs: 400, maxDelayMs: 400 } });
    cleanup.push(() => c.close());
    const p = await createPolicy(c, { url: r.url, secret: SECRET, onTestFailover: true });
    const jobId = insertFinishedJob(c, p.policy.id, { kind: 'test_failover' });
    c.services.webhooks.enqueueForJob(jobId);
    await waitFor('first attempt', () => r.requests.length === 1);
    await c.call('dr:policies.update', {
      policyId: p.policy.id,
      expectedUpdatedAt: p.policy.updatedAt,
      policy: { ...editInput(p), webhookSecret: ROTATED },
    });
    await waitFor('delivered', () => c.services.webhooks.list(jobId)[0]?.status === 'delivered');
    const [first, second] = r.requests;
    expect(receiverVerifies(SECRET, first!)).toBe(true);
    expect(receiverVerifies(ROTATED, second!)).toBe(true);
    expect(second!.body).toBe(first!.body);
  });

  it('never appears in a view, the audit log, a log line or the database file in plain text', async () => {
    const r = await startReceiver((_q, i) => (i === 0 ? 500 : 200));
    cleanup.push(() => r.close());
    const dir = tempDir();
    const c = core(dir);
    const p = await createPolicy(c, { url: r.url, secret: SECRET, onTestFailover: true });
    await c.call('dr:policies.update', {
      policyId: p.policy.id,
      expectedUpdatedAt: p.policy.updatedAt,
      policy: { ...editInput(p), webhookSecret: ROTATED },
    });
    const jobId = insertFinishedJob(c, p.policy.id, { kind: 'test_failover' });
    c.services.webhooks.enqueueForJob(jobId);
    await waitFor('delivered', () => c.services.webhooks.list(jobId)[0]?.status === 'delivered');

    const views = JSON.stringify([
      await c.call('dr:policies.get', { policyId: p.policy.id }),
      await c.call('dr:policies.list', {}),
      await c.call('dr:webhooks.list', { jobId }),
      await c.call('dr:audit.list', {}),
    ]);
    const audit = (await c.call('dr:audit.list', {})).items;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['policy.create', 'policy.update', 'webhook.enqueue', 'webhook.delivered']));
    const deliveryRows = JSON.stringify(c.db.prepare('SELECT * FROM webhook_deliveries').all());
    const attemptRows = JSON.stringify(c.db.prepare('SELECT * FROM webhook_attempts').all());
    expect(c.lines.some((l) => l.includes('attempt 1 failed'))).toBe(true);
    await c.close();
    const files = ['console.sqlite', 'console.sqlite-wal'].map((f) => `${dir}/${f}`).filter((f) => existsSync(f));
    for (const secret of [SECRET, ROTATED]) {
      expect(views).not.toContain(secret);
      expect(deliveryRows).not.toContain(secret);
      expect(attemptRows).not.toContain(secret);
      expect(c.lines.join('\n')).not.toContain(secret);
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(secret))).toBe(false);
    }
  });
});
