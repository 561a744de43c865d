import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { lostOrChanged, snapshotRows } from '../../helpers/rows';
import { describe, expect, it } from 'vitest';
import type { EventName } from '../../../shared/ipc/contract';
import { ProviderFailure } from '../../../main/providers/provider-failure';
import type { ProtectedResourceRef, StepContext } from '../../../main/providers/types';
import { createFakeProvider, type FakeProviderOptions } from '../../helpers/fake-provider';
import { dbChecksum } from '../../helpers/db-checksum';
import { createTestCore, seedAwsPair, waitForJob, type TestCoreOptions } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

async function setup(fake: FakeProviderOptions = {}, opts: TestCoreOptions = {}, resourceCount = 4) {
  const provider = createFakeProvider({ perType: 3, ...fake });
  const dir = tempDir();
  const core = createTestCore(dir, { adapters: [provider], ...opts });
  const seeded = await seedAwsPair(core);
  const policy = await core.call('dr:policies.create', {
    name: 'Orders',
    sourceEnvironmentId: seeded.source.id,
    targetEnvironmentId: seeded.target.id,
    resources: seeded.inventory.slice(0, resourceCount),
    schedule: null,
    webhookUrl: null,
  });
  return { core, provider, policy, dir, ...seeded };
}

/** The replicate op: its intent journaled (and durable) before the no-op "call". */
const journal = (ctx: StepContext, intent: Record<string, unknown>, call: () => Promise<void> | void = () => undefined) =>
  ctx.mutate('replicate', { family: 'fake', intent, call: async () => call() });

const ok = async (r: ProtectedResourceRef, ctx: StepContext) => {
  await journal(ctx, { token: ctx.idempotencyKey });
  return { metadata: { id: r.nativeId }, dataRefs: [{ kind: 'snapshot', id: `s-${r.id}` }] };
};

/** A replicate that waits until released or aborted. */
function gate(expected = 1) {
  let release!: () => void;
  let enter!: () => void;
  let inside = 0;
  const opened = new Promise<void>((r) => (release = r));
  /** Resolves once `expected` steps are inside replicate, their intents journaled: a state to wait for, not a delay. */
  const entered = new Promise<void>((r) => (enter = r));
  const replicate = async (r: ProtectedResourceRef, ctx: StepContext) => {
    await journal(ctx, { token: ctx.idempotencyKey });
    if (++inside >= expected) enter();
    await new Promise<void>((resolve, reject) => {
      if (ctx.signal.aborted) return reject(new Error('aborted'));
      void opened.then(resolve);
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    return { metadata: { id: r.nativeId }, dataRefs: [{ kind: 'snapshot', id: `s-${r.id}` }] };
  };
  return { release, replicate, entered };
}

/** The pid of a process that has exited (so it is certainly not alive). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('replication', () => {
  it('runs one journaled step per protected resource and records a succeeded recovery point', async () => {
    const { core, policy, provider } = await setup();
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    const job = await waitForJob(core, jobId);
    expect(job).toMatchObject({ kind: 'replication', status: 'succeeded', trigger: 'manual', stepsTotal: 4, stepsDone: 4, stepsFailed: 0 });
    expect(job.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const point = await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! });
    expect(point).toMatchObject({ status: 'succeeded', itemCount: 4, failedItemCount: 0, jobId });
    expect(point.items[0]!.dataRefs[0]).toMatchObject({ kind: 'snapshot' });
    const keys = core.db.prepare('SELECT idempotency_key FROM job_steps WHERE job_id = ? ORDER BY seq').pluck().all(jobId);
    const resources = (await core.call('dr:policies.get', { policyId: policy.id })).resources;
    expect([...keys].sort()).toEqual(resources.map((r) => `${jobId}/replicate/${r.id}`).sort());
    expect(provider.calls.map((c) => c.idempotencyKey).sort()).toEqual([...keys].sort());
    const summary = (await core.call('dr:policies.list', {}))[0]!;
    expect(summary.latestRecoveryPointAt).toBe(point.createdAt);
    expect(summary.runningJobId).toBeNull();
    await core.close();
  });

  it('commits the intent row before the handler mutates anything (visible to another connection)', async () => {
    const seenByOtherConnection: unknown[] = [];
    let file = '';
    const { core, policy } = await setup({
      replicate: async (r, ctx) => {
        await journal(ctx, { clientToken: `ct-${ctx.idempotencyKey}` }, () => {
          // The "cloud call" happens here: the intent must already be durable.
          const other = new Database(file, { readonly: true });
          const row = other.prepare(`SELECT material FROM job_operations WHERE step_id = ? AND op_key = 'replicate' AND kind = 'intent'`).pluck().get(ctx.stepId);
          seenByOtherConnection.push(row === undefined ? null : JSON.parse(row as string));
          other.close();
        });
        return { metadata: { id: r.nativeId }, dataRefs: [{ kind: 'snapshot', id: `s-${r.id}` }] };
      },
    });
    file = core.file;
    const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
    expect(job.status).toBe('succeeded');
    expect(seenByOtherConnection).toHaveLength(4);
    for (const intent of seenByOtherConnection) expect(intent).toMatchObject({ clientToken: expect.stringMatching(/^ct-job_/) });
    await core.close();
  });

  it('marks the point partial when some items fail and failed when all do', async () => {
    let failFirst = '';
    const { core, policy } = await setup({
      replicate: (r, ctx) => {
        failFirst ||= r.id;
        if (r.id === failFirst) return Promise.reject(new ProviderFailure('ProviderPermissionDenied', 'Access denied to the bucket.'));
        return ok(r, ctx);
      },
    });
    const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
    expect(job).toMatchObject({ status: 'partially_failed', stepsFailed: 1, stepsDone: 4 });
    const failedStep = job.steps.find((s) => s.status === 'failed')!;
    expect(failedStep).toMatchObject({ errorCode: 'ProviderPermissionDenied', error: 'Access denied to the bucket.', attempts: 1 });
    const point = await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! });
    expect(point).toMatchObject({ status: 'partial', itemCount: 4, failedItemCount: 1 });

    const all = await setup({ replicate: () => Promise.reject(new ProviderFailure('ProviderAuthFailed', 'Expired.')) });
    const job2 = await waitForJob(all.core, (await all.core.call('dr:replication.run', { policyId: all.policy.id })).jobId);
    expect(job2.status).toBe('failed');
    expect((await all.core.call('dr:recoveryPoints.get', { recoveryPointId: job2.recoveryPointId! })).status).toBe('failed');
    expect((await all.core.call('dr:policies.get', { policyId: all.policy.id })).latestRecoveryPointAt).toBeNull();
    await core.close();
    await all.core.close();
  });

  it('retries only retryable provider failures, up to the attempt limit, and the retry sees the earlier intent', async () => {
    const { core, policy, provider } = await setup(
      {
        replicate: (r, ctx, attempt) => {
          if (r.name.endsWith('-1') && attempt < 3) {
            return journal(ctx, { attempt }, () => {
              throw new ProviderFailure('ProviderThrottled', 'Rate exceeded.', { retryAfterMs: 1 });
            }).then(() => ({ metadata: {}, dataRefs: [] }));
          }
          if (r.name.endsWith('-2')) return Promise.reject(new ProviderFailure('ProviderUnavailable', 'Region down.'));
          if (r.name.endsWith('-3')) return Promise.reject(new ProviderFailure('ProviderQuotaExceeded', 'Quota.'));
          return ok(r, ctx);
        },
      },
      { replication: { backoff: { maxAttempts: 3, baseMs: 1, capMs: 2 } } },
      3,
    );
    const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
    const byName = new Map(job.steps.map((s) => [s.resourceName!.replace(/^.*-/, ''), s]));
    expect(byName.get('1')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(byName.get('2')).toMatchObject({ status: 'failed', attempts: 3, errorCode: 'ProviderUnavailable' });
    expect(byName.get('3')).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'ProviderQuotaExceeded' });
    const first = provider.calls.filter((c) => c.attempt > 1 && c.previousIntent !== null);
    expect(first.length).toBeGreaterThan(0);
    await core.close();
  });

  it('keeps at most `concurrency` steps in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const { core, policy } = await setup(
      {
        replicate: async (r, ctx) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((res) => setTimeout(res, 5));
          inFlight--;
          return ok(r, ctx);
        },
      },
      { replication: { concurrency: 2 } },
      9,
    );
    const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
    expect(job.status).toBe('succeeded');
    expect(peak).toBe(2);
    await core.close();
  });

  it('refuses a second run while one is running, and a run for a policy that is not active, changing nothing', async () => {
    // All four steps inside replicate (concurrency 8): nothing more is written until the gate opens.
    const g = gate(4);
    const { core, policy } = await setup({ replicate: g.replicate });
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    await g.entered;
    const before = dbChecksum(core.db);
    const again = await core.fail('dr:replication.run', { policyId: policy.id });
    expect(again.code).toBe('PreconditionFailed');
    expect(again.message).toMatch(/already running/);
    expect(dbChecksum(core.db)).toBe(before);
    expect((await core.call('dr:policies.get', { policyId: policy.id })).runningJobId).toBe(jobId);
    g.release();
    await waitForJob(core, jobId);

    core.db.prepare(`UPDATE policies SET state = 'failed_over' WHERE id = ?`).run(policy.id);
    const frozen = dbChecksum(core.db);
    const refused = await core.fail('dr:replication.run', { policyId: policy.id });
    expect(refused).toMatchObject({ code: 'PreconditionFailed' });
    expect(refused.message).toMatch(/failed over/);
    expect(dbChecksum(core.db)).toBe(frozen);
    await core.close();
  });

  it('cancels a running replication through its AbortSignal', async () => {
    const g = gate();
    const { core, policy } = await setup({ replicate: g.replicate }, { replication: { concurrency: 1 } });
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    await g.entered;
    await core.call('dr:jobs.cancel', { jobId });
    const job = core.services.jobs.get(jobId);
    expect(job.status).toBe('cancelled');
    expect(job.steps.every((s) => s.status === 'cancelled')).toBe(true);
    expect((await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! })).status).toBe('failed');
    expect((await core.fail('dr:jobs.cancel', { jobId })).code).toBe('PreconditionFailed');
    const audit = (await core.call('dr:audit.list', { subjectId: policy.id })).items.map((e) => e.action);
    expect(audit).toContain('job.cancel');
    await core.close();
  });

  it('records a handler result that is not a usable item as a failed item', async () => {
    const { core, policy } = await setup({ replicate: () => Promise.resolve({ metadata: 'nope' }) }, {}, 1);
    const job = await waitForJob(core, (await core.call('dr:replication.run', { policyId: policy.id })).jobId);
    expect(job.steps[0]).toMatchObject({ status: 'failed', errorCode: 'ProviderError' });
    await core.close();
  });

  it('publishes progress events with a per-job increasing seq and a final status', async () => {
    const { core, policy } = await setup({}, { progressIntervalMs: 0 });
    const events: { name: EventName; payload: { jobId?: string; seq?: number; status?: string } }[] = [];
    core.events.subscribe((name, payload) => events.push({ name, payload: payload as never }));
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    await waitForJob(core, jobId);
    const progress = events.filter((e) => e.name === 'dr:job.progress' && e.payload.jobId === jobId);
    const seqs = progress.map((e) => e.payload.seq!);
    expect(seqs.length).toBeGreaterThanOrEqual(2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(progress.at(-1)!.payload.status).toBe('succeeded');
    expect(events.some((e) => e.name === 'dr:policies.changed')).toBe(true);
    await core.close();
  });

  it('closes replication jobs a crash left running as failed, keeping their intents', async () => {
    const g = gate(2);
    const { core, policy, dir } = await setup({ replicate: g.replicate }, { replication: { concurrency: 2 } });
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    await g.entered;
    // The first console crashed: its owner id names a process that no longer exists.
    core.db.prepare(`UPDATE jobs SET owner = ? WHERE id = ?`).run(`${hostname()}|${deadPid()}|crashed`, jobId);
    const restarted = createTestCore(dir, { adapters: [createFakeProvider()] });
    expect(restarted.services.replication.recoverInterrupted()).toBe(1);
    const job = restarted.services.jobs.get(jobId);
    expect(job).toMatchObject({ status: 'failed', error: 'Interrupted by app exit' });
    expect(job.steps.every((s) => s.status === 'failed' && s.error === 'Interrupted by app exit')).toBe(true);
    const intents = restarted.db
      .prepare(`SELECT o.material FROM job_operations o JOIN job_steps s ON s.id = o.step_id WHERE s.job_id = ? AND o.kind = 'intent'`)
      .pluck()
      .all(jobId);
    // Two slots: at least the two steps inside replicate journaled their intents, and every intent is kept.
    expect(intents.length).toBeGreaterThanOrEqual(2);
    const point = await restarted.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! });
    expect(point).toMatchObject({ status: 'failed', itemCount: 4, failedItemCount: 4 });
    expect(restarted.services.replication.recoverInterrupted()).toBe(0);
    // The crashed process's late writes cannot rewrite the closed journal.
    await core.close();
    expect(restarted.services.jobs.get(jobId).status).toBe('failed');
    expect(restarted.services.jobs.get(jobId).steps.every((s) => s.status === 'failed')).toBe(true);
    await restarted.close();
  });

  it('leaves interrupted jobs of other kinds for the resume engine', async () => {
    const { core, policy } = await setup();
    core.db
      .prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at) VALUES ('jf', ?, 'failover', 'running', 'manual', '2030-01-01T00:00:00.000Z')`)
      .run(policy.id);
    expect(core.services.replication.recoverInterrupted()).toBe(0);
    expect(core.services.jobs.get('jf').status).toBe('running');
    expect((await core.fail('dr:jobs.cancel', { jobId: 'jf' })).message).toMatch(/failover cannot be cancelled/);
    await core.close();
  });

  it("leaves another live console's replication on the same file running at start-up, and it completes", async () => {
    const g = gate();
    const { core, policy, dir } = await setup({ replicate: g.replicate }, { replication: { concurrency: 4 } });
    const { jobId } = await core.call('dr:replication.run', { policyId: policy.id });
    const journaled = () =>
      core.db.prepare(`SELECT COUNT(DISTINCT o.step_id) FROM job_operations o JOIN job_steps s ON s.id = o.step_id WHERE s.job_id = ? AND o.kind = 'intent'`).pluck().get(jobId);
    for (let i = 0; i < 200 && journaled() !== 4; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(journaled()).toBe(4);
    const before = snapshotRows(core.db);
    // A second console (a tool, the harness) opens the same file while the first one runs.
    const second = createTestCore(dir, { adapters: [createFakeProvider()] });
    expect(second.services.replication.recoverInterrupted()).toBe(0);
    expect(lostOrChanged(before, snapshotRows(second.db))).toEqual([]);
    expect(second.services.jobs.get(jobId).status).toBe('running');
    g.release();
    const job = await waitForJob(core, jobId);
    expect(job.status).toBe('succeeded');
    const point = await core.call('dr:recoveryPoints.get', { recoveryPointId: job.recoveryPointId! });
    expect(point).toMatchObject({ status: 'succeeded', failedItemCount: 0 });
    await second.close();
    await core.close();
  });

  it('closes a job of another host only once its lease has expired', async () => {
    const { core, policy } = await setup();
    const at = core.clock.iso();
    const insert = (id: string, heartbeatAt: string) =>
      core.db
        .prepare(`INSERT INTO jobs (id, policy_id, kind, status, trigger, created_at, owner, heartbeat_at) VALUES (?, ?, 'replication', 'running', 'manual', ?, 'other-host|4242|x', ?)`)
        .run(id, policy.id, at, heartbeatAt);
    insert('j_fresh', at);
    insert('j_stale', new Date(core.clock.now().getTime() - 61_000).toISOString());
    expect(core.services.replication.recoverInterrupted()).toBe(1);
    expect(core.services.jobs.get('j_fresh').status).toBe('running');
    expect(core.services.jobs.get('j_stale')).toMatchObject({ status: 'failed' });
    await core.close();
  });
});
