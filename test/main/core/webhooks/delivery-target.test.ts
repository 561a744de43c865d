// Webhook targets checked at delivery, not only when saved: a host name that resolves to a
// link-local or cloud metadata address by the time the POST goes out (DNS rebinding) gets nothing,
// the outbox keeps a sentence, and nothing else changes; the connection goes to the address that
// was checked; the policy's "allow private targets" opt-in is read at each attempt. Host names are
// answered by a lookup table (no DNS query), and every connection made is to loopback.

import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { Response } from 'undici';
import type { FetchLike } from '../../../../main/core/webhooks/delivery';
import type { LookupAll } from '../../../../main/core/webhooks/target';
import type { WebhookOptions } from '../../../../main/core/webhooks/outbox';
import { addressTargetProblem } from '../../../../shared/webhook-url';
import { useTempDirs } from '../../../helpers/temp-dir';
import { lostOrChanged, snapshotRows } from '../../../helpers/rows';
import { createPolicy, insertFinishedJob, openCore, startReceiver, waitFor, type Receiver, type WebhookCore } from './webhook-fixtures';

const tempDir = useTempDirs('fc-webhook-target-');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const HOST = 'hooks.rebind.test';

/** A lookup answering from `answer` (called with how many times this host was looked up before). */
function tableLookup(answer: (calls: number) => LookupAddress[]): LookupAll & { calls: number } {
  const fn = ((hostname, _options, callback) => {
    if (hostname !== HOST) {
      queueMicrotask(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []));
      return;
    }
    const addresses = answer(fn.calls++);
    queueMicrotask(() => callback(null, addresses));
  }) as LookupAll & { calls: number };
  fn.calls = 0;
  return fn;
}

async function receiver(host = '127.0.0.1', port = 0): Promise<Receiver> {
  const r = await startReceiver(undefined, port, host);
  cleanup.push(() => r.close());
  return r;
}

function core(webhooks: Partial<WebhookOptions>): WebhookCore {
  const c = openCore(tempDir(), { webhooks });
  cleanup.push(() => c.close());
  return c;
}

const urlFor = (port: number) => `http://${HOST}:${port}/hooks/dr?token=receiver-token`;
const delivery = (c: WebhookCore, jobId: string) => c.services.webhooks.list(jobId)[0];
const webhookTables = (table: string) => table === 'webhook_deliveries' || table === 'webhook_attempts' || table === 'audit_log';

describe('webhook targets at delivery', () => {
  it.each([
    ['169.254.169.254', [{ address: '169.254.169.254', family: 4 }]],
    ['fd00:ec2::254', [{ address: 'fd00:ec2::254', family: 6 }]],
    ['::ffff:169.254.169.254', [{ address: '::ffff:169.254.169.254', family: 6 }]],
    ['fe80::1%eth0', [{ address: 'fe80::1%eth0', family: 6 }]],
    // One bad address among good ones is enough: the connection could pick it.
    ['169.254.169.254', [{ address: '127.0.0.1', family: 4 }, { address: '169.254.169.254', family: 4 }]],
  ])('refuses a host name that now resolves to %s, keeps the sentence in the outbox, sends nothing and changes nothing else', async (bad, answer) => {
    const r = await receiver();
    const lookup = tableLookup(() => answer);
    // A long backoff: the one refused attempt is what this test looks at.
    const c = core({ lookup, baseDelayMs: 60_000, minDelayMs: 60_000, maxDelayMs: 60_000 });
    // Saved while the name looked harmless (the save-time check sees only the name).
    const { policy } = await createPolicy(c, { url: urlFor(r.port) });
    const jobId = insertFinishedJob(c, policy.id);
    const before = snapshotRows(c.db);
    c.services.webhooks.enqueueForJob(jobId);

    const failed = await waitFor('the refused attempt', () => (delivery(c, jobId)?.lastError ? delivery(c, jobId) : null));
    const sentence = `The webhook host ${HOST} resolves to ${bad}, a link-local or cloud metadata address, so nothing was sent; allow private targets for this policy to send to it.`;
    // Pending: retried after its backoff like any failed attempt (the operator may allow private targets).
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastError: sentence });
    const attempts = c.db.prepare('SELECT attempt, http_status AS httpStatus, error FROM webhook_attempts WHERE delivery_id = ?').all(failed.id);
    expect(attempts).toEqual([{ attempt: 1, httpStatus: null, error: sentence }]);
    expect(r.requests).toEqual([]);
    expect(lookup.calls).toBeGreaterThanOrEqual(1);
    // Only the outbox's own rows (and its audit row) moved on; every other committed row is as it was.
    expect(lostOrChanged(before, snapshotRows(c.db), webhookTables)).toEqual([]);
    expect(c.db.prepare('SELECT state FROM policies WHERE id = ?').pluck().get(policy.id)).toBe('active');
  });

  it('connects to the address it checked and never resolves the name again for that attempt', async () => {
    const good = await receiver('127.0.0.1');
    // Where a second lookup would send it (the rebinding answer, kept on loopback for the test).
    const elsewhere = await receiver('127.0.0.2', good.port);
    const lookup = tableLookup((calls) => [{ address: calls === 0 ? '127.0.0.1' : '127.0.0.2', family: 4 }]);
    const c = core({ lookup });
    const { policy } = await createPolicy(c, { url: urlFor(good.port) });
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);

    await waitFor('delivered', () => delivery(c, jobId)?.status === 'delivered');
    expect(good.requests).toHaveLength(1);
    expect(good.requests[0]).toMatchObject({ method: 'POST', path: '/hooks/dr?token=receiver-token', delivery: delivery(c, jobId)?.id });
    expect(elsewhere.requests).toEqual([]);
    expect(lookup.calls).toBe(1);
  });

  it("respects the policy's allow-private-targets opt-in, read at each attempt", async () => {
    // The opt-in case must not connect to 169.254.169.254: fetch is replaced by a recorder that answers 200.
    const sent: { url: string; pinned: boolean }[] = [];
    const fetch: FetchLike = (url, init) => {
      sent.push({ url, pinned: init.dispatcher !== undefined });
      return Promise.resolve(new Response('ok', { status: 200 }));
    };
    const lookup = tableLookup(() => [{ address: '169.254.169.254', family: 4 }]);
    const c = core({ lookup, fetch, baseDelayMs: 30, minDelayMs: 30, maxDelayMs: 30 });

    const strict = await createPolicy(c, { url: urlFor(9), name: 'strict01' });
    const strictJob = insertFinishedJob(c, strict.policy.id);
    c.services.webhooks.enqueueForJob(strictJob);
    await waitFor('the refused attempt', () => delivery(c, strictJob)?.lastError);
    expect(sent).toEqual([]);

    const open = await createPolicy(c, { url: urlFor(9), name: 'open01', allowPrivateTargets: true });
    expect(open.policy.webhookAllowPrivateTargets).toBe(true);
    const openJob = insertFinishedJob(c, open.policy.id);
    c.services.webhooks.enqueueForJob(openJob);
    await waitFor('delivered', () => delivery(c, openJob)?.status === 'delivered');
    expect(sent).toEqual([{ url: urlFor(9), pinned: true }]);

    // The strict policy's delivery is retried under the policy's current choice: once the operator
    // allows private targets, the next attempt goes out.
    c.db.prepare('UPDATE policies SET webhook_allow_private = 1 WHERE id = ?').run(strict.policy.id);
    await waitFor('the strict policy delivered', () => delivery(c, strictJob)?.status === 'delivered');
    expect(sent).toHaveLength(2);
  });

  it('refuses an IP literal in a metadata range at delivery too (a URL stored before the save-time check)', async () => {
    const lookup = tableLookup(() => []);
    const c = core({ lookup });
    const { policy } = await createPolicy(c, { url: 'http://127.0.0.1:9/hooks' });
    // As migration 008 keeps a URL saved by an older version.
    c.db.prepare('UPDATE policies SET webhook_url = ? WHERE id = ?').run('http://169.254.169.254/latest/meta-data/', policy.id);
    const jobId = insertFinishedJob(c, policy.id);
    c.services.webhooks.enqueueForJob(jobId);
    const failed = await waitFor('the refused attempt', () => (delivery(c, jobId)?.lastError ? delivery(c, jobId) : null));
    expect(failed.lastError).toBe('The webhook target 169.254.169.254 is a link-local or cloud metadata address, so nothing was sent; allow private targets for this policy to send to it.');
    expect(lookup.calls).toBe(0);
  });
});

describe('addressTargetProblem', () => {
  it('flags link-local and metadata addresses in every written form, and leaves others to the operator', () => {
    for (const a of ['169.254.169.254', '169.254.0.1', 'fd00:ec2::254', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.169.254', '100.100.100.200', '168.63.129.16']) {
      expect(addressTargetProblem(a), a).toMatch(/link-local or cloud metadata/);
    }
    for (const a of ['127.0.0.1', '::1', '10.0.0.5', '192.168.1.10', '93.184.216.34', '2001:db8::1']) expect(addressTargetProblem(a), a).toBeNull();
  });
});
