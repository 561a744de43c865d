import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeCore, createProviders, type Core } from '../../main/compose';
import type { AwsProvider } from '../../main/providers/aws';
import { createFakeProvider } from '../helpers/fake-provider';
import { silentLogger } from '../../main/core/logger';
import type { Channel, RequestOf, ResponseOf } from '../../shared/ipc/contract';
import { CHANNELS } from '../../shared/ipc/contract';
import { testKeyProvider } from '../helpers/keys';
import { useTempDirs } from '../helpers/temp-dir';

const tempDir = useTempDirs();

async function call<C extends Channel>(core: Core, channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const result = await core.router.dispatch(channel, request, { id: 'test-window', trusted: true });
  if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
  return result.value as ResponseOf<C>;
}

async function waitDone(core: Core, jobId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const job = await call(core, 'dr:jobs.get', { jobId });
    if (job.status !== 'running' && job.status !== 'queued') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the composed core on the sim provider', () => {
  it('walks the rehearsal: workspace, discovery, a policy, two replications, two succeeded recovery points', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const core = composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, appVersion: '1.2.3', platform: 'linux', logger: silentLogger });
    expect(core.dataFile).toBe(join(dataDir, 'console.sqlite'));
    expect(existsSync(core.dataFile)).toBe(true);
    expect([...core.router.channels()].sort()).toEqual([...CHANNELS].sort());

    const info = await call(core, 'dr:app.info', {});
    expect(info).toMatchObject({ version: '1.2.3', platform: 'linux', workspaceReady: false });
    expect(info.providers).toEqual([
      expect.objectContaining({ kind: 'sim', simulated: true, clouds: ['azure', 'aws', 'gcp'] }),
      expect.objectContaining({ kind: 'aws', simulated: false, clouds: ['aws'] }),
      expect.objectContaining({ kind: 'azure', simulated: false, clouds: ['azure'] }),
    ]);

    const workspace = await call(core, 'dr:workspace.createRehearsal', {});
    expect(workspace).toMatchObject({ accounts: 3, environments: 6 });
    expect(workspace.resources).toBeGreaterThan(0);
    expect((await call(core, 'dr:app.info', {})).workspaceReady).toBe(true);

    const envs = await call(core, 'dr:environments.list', {});
    const source = envs.find((e) => e.region === 'us-east-1')!;
    const target = envs.find((e) => e.region === 'us-west-2')!;
    const inventory = await call(core, 'dr:inventory.discover', { environmentId: source.id });
    expect(inventory.length).toBeGreaterThan(0);
    expect(new Set(inventory.map((r) => r.type.split('.')[0]))).toEqual(new Set(['aws']));

    const policy = await call(core, 'dr:policies.create', {
      name: 'Rehearsal payments',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: inventory.slice(0, 6).map((r) => ({ type: r.type, nativeId: r.nativeId, name: r.name })),
      schedule: '0 2 * * *',
      webhookUrl: null,
    });
    expect(policy).toMatchObject({ simulated: true, resourceCount: Math.min(6, inventory.length), state: 'active' });

    const events: string[] = [];
    const off = core.events.subscribe((name) => events.push(name));
    for (let i = 0; i < 2; i++) {
      const { jobId } = await call(core, 'dr:replication.run', { policyId: policy.id });
      const job = await waitDone(core, jobId);
      expect(job.status).toBe('succeeded');
    }
    off();
    expect(events).toContain('dr:job.progress');

    const points = await call(core, 'dr:recoveryPoints.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(points.total).toBe(2);
    expect(points.items.map((p) => p.status)).toEqual(['succeeded', 'succeeded']);
    const detail = await call(core, 'dr:recoveryPoints.get', { recoveryPointId: points.items[0]!.id });
    expect(detail.items.every((i) => i.status === 'succeeded' && i.dataRefs.length > 0)).toBe(true);
    const [summary] = await call(core, 'dr:policies.list', {});
    expect(summary!.latestRecoveryPointAt).toBe(points.items[0]!.createdAt);
    expect(summary!.nextReplicationAt).not.toBeNull();
    const jobs = await call(core, 'dr:jobs.list', { policyId: policy.id, offset: 0, limit: 10 });
    expect(jobs.total).toBe(2);
    await core.close();
  });

  it('reopens the same data folder with everything kept, and closes twice harmlessly', async () => {
    const dataDir = tempDir();
    const first = composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, logger: silentLogger });
    await call(first, 'dr:workspace.createRehearsal', {});
    await first.close();
    await first.close();
    const second = composeCore({ dataDir, keyProvider: testKeyProvider(), logger: silentLogger });
    expect(await call(second, 'dr:accounts.list', {})).toHaveLength(3);
    await second.close();
  });

  it('closes replication jobs left running by a crash when it starts', async () => {
    const dataDir = tempDir();
    const first = composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, logger: silentLogger });
    await call(first, 'dr:workspace.createRehearsal', {});
    const envs = await call(first, 'dr:environments.list', {});
    const source = envs.find((e) => e.region === 'eastus')!;
    const target = envs.find((e) => e.region === 'westus2')!;
    const inventory = await call(first, 'dr:inventory.discover', { environmentId: source.id });
    const policy = await call(first, 'dr:policies.create', {
      name: 'P',
      sourceEnvironmentId: source.id,
      targetEnvironmentId: target.id,
      resources: inventory.slice(0, 2),
      schedule: null,
      webhookUrl: null,
    });
    // Simulate a crash mid-job: a running job with a pending step, written straight into the journal.
    const at = new Date().toISOString();
    const resourceId = policy.resources[0]!.id;
    first.db.exec(`INSERT INTO jobs (id, policy_id, kind, status, trigger, recovery_point_id, created_at, started_at)
      VALUES ('job_crashed', '${policy.id}', 'replication', 'running', 'manual', 'rp_crashed', '${at}', '${at}')`);
    first.db.exec(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at) VALUES ('rp_crashed', '${policy.id}', 'job_crashed', 'in_progress', '${at}')`);
    first.db.exec(`INSERT INTO job_steps (id, job_id, seq, protected_resource_id, action, status, idempotency_key, intent)
      VALUES ('step_crashed', 'job_crashed', 1, '${resourceId}', 'replicate', 'running', 'job_crashed/replicate/${resourceId}', '{"clientToken":"t"}')`);
    await first.close();

    const second = composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, logger: silentLogger });
    const job = await call(second, 'dr:jobs.get', { jobId: 'job_crashed' });
    expect(job).toMatchObject({ status: 'failed', error: 'Interrupted by app exit' });
    expect(second.db.prepare(`SELECT intent FROM job_steps WHERE id = 'step_crashed'`).pluck().get()).toBe('{"clientToken":"t"}');
    expect((await call(second, 'dr:recoveryPoints.get', { recoveryPointId: 'rp_crashed' })).status).toBe('failed');
    // And the policy can replicate again.
    const { jobId } = await call(second, 'dr:replication.run', { policyId: policy.id });
    expect((await waitDone(second, jobId)).status).toBe('succeeded');
    await second.close();
  });
});

describe('the provider composition root', () => {
  it('builds every built-in provider by default, and only those chosen', () => {
    const dataDir = tempDir();
    let kinds: string[][] = [];
    const core = composeCore({
      dataDir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      logger: silentLogger,
      providers: (deps) => {
        kinds = [
          createProviders(deps).map((a) => a.kind),
          createProviders(deps, { aws: false }).map((a) => a.kind),
          createProviders(deps, { sim: false, aws: { endpoint: 'http://127.0.0.1:9' } }).map((a) => a.kind),
          createProviders(deps, { aws: false, azure: false }).map((a) => a.kind),
        ];
        return [];
      },
    });
    expect(kinds).toEqual([['sim', 'aws', 'azure'], ['sim', 'azure'], ['aws', 'azure'], ['sim']]);
    return core.close();
  });

  it('disposes every adapter once when the core closes, before the database closes, even when one fails', async () => {
    const dataDir = tempDir();
    const order: string[] = [];
    const seen: { db?: Core['db'] } = {};
    const fakes = [createFakeProvider({ kind: 'sim' }), createFakeProvider({ kind: 'aws', simulated: false, clouds: ['aws'] })];
    for (const f of fakes) {
      const own = f.dispose.bind(f);
      f.dispose = () => {
        order.push(`${f.kind}:${seen.db?.open ? 'db-open' : 'db-closed'}`);
        return own();
      };
    }
    // One adapter failing to close does not keep the others (or the database) open.
    fakes[0]!.dispose = () => {
      order.push('sim:failing');
      return Promise.reject(new Error('socket hung'));
    };
    const warnings: string[] = [];
    const core = composeCore({
      dataDir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      logger: { ...silentLogger, warn: (m: string) => void warnings.push(m) },
      providers: () => fakes,
    });
    seen.db = core.db;
    await core.close();
    await core.close();
    expect(order).toEqual(['sim:failing', 'aws:db-open']);
    expect(fakes[1]!.disposed).toBe(1);
    expect(core.db.open).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/did not close cleanly: Error: socket hung/)]);
  });

  it("destroys the AWS provider's SDK clients when the core closes", async () => {
    const dataDir = tempDir();
    let destroyed = 0;
    const core = composeCore({
      dataDir,
      keyProvider: testKeyProvider(),
      startScheduler: false,
      logger: silentLogger,
      providers: (deps) => {
        const adapters = createProviders(deps, { aws: { endpoint: 'http://127.0.0.1:9' } });
        const aws = adapters.find((a): a is AwsProvider => a.kind === 'aws')!;
        const destroy = aws.aws.destroy.bind(aws.aws);
        aws.aws.destroy = () => {
          destroyed++;
          destroy();
        };
        return adapters;
      },
    });
    expect(destroyed).toBe(0);
    await core.close();
    expect(destroyed).toBe(1);
  });
});
