import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSimProvider } from '../../../main/providers/sim';
import { FakeClock } from '../../helpers/fake-clock';
import { useTempDirs } from '../../helpers/temp-dir';
import { call, fail, failover, open, protect, waitJob } from './failover/failover-bed';

const tempDir = useTempDirs();

function offlineBed(opts: { clock?: FakeClock; webhooks?: boolean } = {}) {
  const network = { online: true };
  const core = open(tempDir(), {
    providers: ({ db, clock }) => [createSimProvider({ db, clock, network })],
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.webhooks ? { startWebhooks: true, webhooks: { baseDelayMs: 60_000, minDelayMs: 60_000, timeoutMs: 2_000 } } : {}),
  });
  return { core, network };
}

async function until<T>(what: string, probe: () => T | null | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connectivity per account', () => {
  it('records the last successful call and the current state, and refuses cloud actions at once while offline', async () => {
    const { core, network } = offlineBed();
    const p = await protect(core, 'aws', ['aws.ec2-instance']);
    const [online] = await call(core, 'dr:connectivity.list', {});
    expect(online).toMatchObject({ accountId: p.accountId, status: 'online', lastError: null });
    const lastOk = online!.lastOkAt;
    expect(lastOk).not.toBeNull();

    const changes: unknown[] = [];
    core.events.subscribe((name, payload) => {
      if (name === 'dr:connectivity.changed') changes.push(payload);
    });
    network.online = false;
    const first = await fail(core, 'dr:inventory.discover', { environmentId: p.sourceId });
    expect(first.code).toBe('ProviderOffline');
    const [offline] = await call(core, 'dr:connectivity.list', {});
    expect(offline).toMatchObject({ status: 'offline', lastOkAt: lastOk });
    expect(offline!.lastError).toMatch(/offline/);
    expect(changes).toEqual([{ accountId: p.accountId, status: 'offline' }]);

    // Known offline: replication, test failover and discovery say so in a sentence and start nothing.
    const jobsBefore = core.services.jobs.list({ offset: 0, limit: 100 }).total;
    for (const [channel, req] of [
      ['dr:replication.run', { policyId: p.policyId }],
      ['dr:testFailover.run', { policyId: p.policyId }],
      ['dr:inventory.discover', { environmentId: p.sourceId }],
    ] as const) {
      const e = await fail(core, channel, req as never);
      expect(e.code).toBe('ProviderOffline');
      expect(e.message).toMatch(/^Offline: .* did not start because account "Sim aws" cannot be reached \(its last successful call was at .*\)\. Nothing was changed/);
    }
    expect(core.services.jobs.list({ offset: 0, limit: 100 }).total).toBe(jobsBefore);
    // Lists and searches still answer from the local database.
    expect((await call(core, 'dr:policies.list', {})).map((x) => x.id)).toEqual([p.policyId]);
    expect((await call(core, 'dr:recoveryPoints.list', { policyId: p.policyId, offset: 0, limit: 10, query: '20' })).total).toBe(1);

    network.online = true;
    expect(await call(core, 'dr:connectivity.check', { accountId: p.accountId })).toMatchObject({ status: 'online' });
    expect(changes).toEqual([{ accountId: p.accountId, status: 'offline' }, { accountId: p.accountId, status: 'online' }]);
    await core.close();
  });

  it('pauses scheduled replication while offline and runs it once when the network returns, not once per missed slot', async () => {
    const clock = new FakeClock(new Date(2030, 0, 15, 10, 1, 0));
    const { core, network } = offlineBed({ clock });
    const p = await protect(core, 'azure', ['azure.sql-database']);
    await call(core, 'dr:policies.update', {
      policyId: p.policyId,
      expectedUpdatedAt: (await call(core, 'dr:policies.get', { policyId: p.policyId })).updatedAt,
      policy: { ...(await policyInput(core, p.policyId)), schedule: '*/5 * * * *' },
    });
    const scheduler = core.services.scheduler;
    scheduler.start();
    const replications = () => core.services.jobs.list({ policyId: p.policyId, kind: 'replication', offset: 0, limit: 100 }).total;
    const before = replications();

    network.online = false;
    await core.services.connectivity.check(p.accountId);
    expect(core.services.connectivity.isOffline(p.accountId)).toBe(true);
    for (let slot = 0; slot < 4; slot++) {
      clock.advance(5 * 60_000);
      expect(scheduler.tick()).toEqual([]);
    }
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(true);
    expect(replications()).toBe(before);

    network.online = true;
    await core.services.connectivity.recheck();
    const started = await until('the catch-up replication', () => (replications() === before + 1 ? true : null));
    expect(started).toBe(true);
    const job = core.services.jobs.list({ policyId: p.policyId, kind: 'replication', offset: 0, limit: 1 }).items[0]!;
    expect(job.trigger).toBe('schedule');
    await waitJob(core, job.id);
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(false);
    expect(scheduler.tick()).toEqual([]);
    expect(replications()).toBe(before + 1);
    scheduler.stop();
    await core.close();
  });

  it('keeps a catch-up missed offline across a restart, runs it once when the network returns, and never twice after a crash', async () => {
    const clock = new FakeClock(new Date(2030, 0, 15, 10, 1, 0));
    const dir = tempDir();
    const network = { online: true };
    const reopen = () => open(dir, { clock, providers: ({ db, clock: c }) => [createSimProvider({ db, clock: c, network })] });
    let core = reopen();
    const p = await protect(core, 'aws', ['aws.s3-bucket']);
    await call(core, 'dr:policies.update', {
      policyId: p.policyId,
      expectedUpdatedAt: (await call(core, 'dr:policies.get', { policyId: p.policyId })).updatedAt,
      policy: { ...(await policyInput(core, p.policyId)), schedule: '*/5 * * * *' },
    });
    const replications = () => core.services.jobs.list({ policyId: p.policyId, kind: 'replication', offset: 0, limit: 100 }).total;
    const before = replications();
    core.services.scheduler.reload();
    network.online = false;
    await core.services.connectivity.check(p.accountId);
    clock.advance(5 * 60_000);
    expect(core.services.scheduler.tick()).toEqual([]);
    expect(core.services.scheduler.waitingForNetwork(p.policyId)).toBe(true);
    await core.close();

    // The console restarts while still offline: the catch-up is still owed, and more slots add none.
    core = reopen();
    const scheduler = core.services.scheduler;
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(true);
    scheduler.start();
    for (let slot = 0; slot < 3; slot++) {
      clock.advance(5 * 60_000);
      expect(scheduler.tick()).toEqual([]);
    }
    expect(replications()).toBe(before);
    network.online = true;
    await core.services.connectivity.recheck();
    await until('the catch-up replication', () => (replications() === before + 1 ? true : null));
    const job = core.services.jobs.list({ policyId: p.policyId, kind: 'replication', offset: 0, limit: 1 }).items[0]!;
    expect(job.trigger).toBe('schedule');
    await waitJob(core, job.id);
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(false);
    expect(scheduler.tick()).toEqual([]);
    expect(replications()).toBe(before + 1);
    scheduler.stop();

    // A crash right after the catch-up started, before its slot was cleared: the row is still there,
    // but the replication created since the missed slot is the catch-up; it does not run again.
    core.db.prepare('INSERT INTO schedule_missed_slots (policy_id, first_missed_at, last_missed_at, missed) VALUES (?, ?, ?, 1)').run(p.policyId, job.createdAt, job.createdAt);
    await core.close();
    core = reopen();
    expect(core.services.scheduler.waitingForNetwork(p.policyId)).toBe(true);
    expect(core.services.scheduler.tick()).toEqual([]);
    expect(core.services.scheduler.waitingForNetwork(p.policyId)).toBe(false);
    expect(replications()).toBe(before + 1);
    await core.close();
  });

  it('probes the accounts of a scheduled policy not heard from since start before its run: never a job whose every step fails offline', async () => {
    const clock = new FakeClock(new Date(2030, 0, 15, 10, 1, 0));
    const dir = tempDir();
    const network = { online: true };
    const reopen = () => open(dir, { clock, providers: ({ db, clock: c }) => [createSimProvider({ db, clock: c, network })] });
    let core = reopen();
    const p = await protect(core, 'aws', ['aws.s3-bucket']);
    await call(core, 'dr:policies.update', {
      policyId: p.policyId,
      expectedUpdatedAt: (await call(core, 'dr:policies.get', { policyId: p.policyId })).updatedAt,
      policy: { ...(await policyInput(core, p.policyId)), schedule: '*/5 * * * *' },
    });
    const replications = () => core.services.jobs.list({ policyId: p.policyId, kind: 'replication', offset: 0, limit: 100 }).items;
    const before = replications().length;
    await core.close();

    // Restarted with the network gone; nothing has called the cloud yet, so the account is "unknown".
    network.online = false;
    core = reopen();
    let scheduler = core.services.scheduler;
    scheduler.start();
    expect(core.services.connectivity.get(p.accountId).status).toBe('unknown');
    clock.advance(5 * 60_000);
    expect(scheduler.tick()).toEqual([]);
    await until('the probe', () => (core.services.connectivity.isOffline(p.accountId) ? true : null));
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(true);
    expect(replications()).toHaveLength(before);
    scheduler.stop();
    await core.close();

    // Restarted online: the due slot waits for the probe, then runs once.
    network.online = true;
    core = reopen();
    core.db.prepare('DELETE FROM schedule_missed_slots').run();
    core.db.prepare("UPDATE account_connectivity SET status = 'online'").run();
    await core.close();
    core = reopen();
    scheduler = core.services.scheduler;
    scheduler.start();
    expect(core.services.connectivity.get(p.accountId).status).toBe('unknown');
    clock.advance(5 * 60_000);
    expect(scheduler.tick()).toEqual([]);
    const run = await until('the scheduled run after the probe', () => (replications().length === before + 1 ? replications()[0]! : null));
    expect(run.trigger).toBe('schedule');
    expect((await waitJob(core, run.id)).status).toBe('succeeded');
    expect(scheduler.waitingForNetwork(p.policyId)).toBe(false);
    expect(replications().filter((j) => j.status === 'failed')).toEqual([]);
    scheduler.stop();
    await core.close();
  });

  it('keeps a webhook delivery in the outbox while offline and delivers it once when the network returns', async () => {
    // A port nothing listens on yet: the receiver "is on the other side of the lost network".
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((ok) => probe.close(ok));

    const { core, network } = offlineBed({ webhooks: true });
    const p = await protect(core, 'gcp', ['gcp.cloud-sql'], { webhookUrl: `http://127.0.0.1:${port}/hook` });
    const job = await failover(core, p.policyId);
    expect(job.status).toBe('succeeded');
    const pending = await until('a failed first attempt', () => {
      const d = core.services.webhooks.list(job.id)[0];
      return d && d.attempts >= 1 && d.status === 'pending' && d.lastError !== null ? d : null;
    });
    expect(pending.lastError).toMatch(/refused/);
    network.online = false;
    await core.services.connectivity.check(p.accountId);

    const received: string[] = [];
    const receiver: Server = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((ok) => receiver.listen(port, '127.0.0.1', ok));
    try {
      network.online = true;
      await core.services.connectivity.recheck();
      const delivered = await until('the delivery', () => {
        const d = core.services.webhooks.list(job.id)[0];
        return d?.status === 'delivered' ? d : null;
      });
      await core.services.webhooks.idle();
      // Its backoff was a minute; the network's return sent it at once, and once.
      expect(received).toEqual([delivered.id]);
      core.services.webhooks.wake();
      await core.services.webhooks.idle();
      expect(received).toEqual([delivered.id]);
    } finally {
      await core.close();
      await new Promise((ok) => receiver.close(ok));
    }
  });
});

async function policyInput(core: ReturnType<typeof open>, policyId: string) {
  const d = await call(core, 'dr:policies.get', { policyId });
  return { name: d.name, sourceEnvironmentId: d.sourceEnvironment.id, targetEnvironmentId: d.targetEnvironment.id, resources: d.resources, schedule: d.schedule, webhookUrl: d.webhookUrl };
}
