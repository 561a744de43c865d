import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestCore, seedAwsPair, waitForJob } from '../../helpers/test-core';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

async function setup(schedule: string | null) {
  // Local time for croner, so that "0 * * * *" is on the hour wherever the tests run.
  const start = new Date(2030, 0, 15, 10, 20, 0, 0);
  const clock = new FakeClock(start);
  const core = createTestCore(tempDir(), { clock });
  const { source, target, inventory } = await seedAwsPair(core);
  const policy = await core.call('dr:policies.create', {
    name: 'Nightly',
    sourceEnvironmentId: source.id,
    targetEnvironmentId: target.id,
    resources: inventory.slice(0, 2),
    schedule,
    webhookUrl: null,
  });
  return { core, clock, policy, start };
}

describe('the scheduler', () => {
  it('starts a scheduled replication when the policy is due, not before, and once per slot', async () => {
    const { core, clock, policy, start } = await setup('0 * * * *');
    const scheduler = core.services.scheduler;
    scheduler.reload();
    expect(scheduler.nextRunAt(policy.id)).toEqual(new Date(2030, 0, 15, 11, 0, 0, 0));
    expect(scheduler.tick()).toEqual([]);
    clock.set(new Date(start.getTime() + 39 * 60_000 + 59_000));
    expect(scheduler.tick()).toEqual([]);
    clock.set(new Date(2030, 0, 15, 11, 0, 1));
    const [jobId] = scheduler.tick();
    expect(jobId).toBeTruthy();
    const job = await waitForJob(core, jobId!);
    expect(job).toMatchObject({ trigger: 'schedule', status: 'succeeded' });
    expect(scheduler.tick()).toEqual([]);
    expect(scheduler.nextRunAt(policy.id)).toEqual(new Date(2030, 0, 15, 12, 0, 0, 0));
    const audit = (await core.call('dr:audit.list', { subjectId: policy.id })).items;
    expect(audit.filter((e) => e.action.startsWith('replication.')).map((e) => [e.action, e.actor])).toEqual([
      ['replication.finish', 'scheduler'],
      ['replication.start', 'scheduler'],
    ]);
    await core.close();
  });

  it('never runs for a policy that is not active or has no schedule, and follows edits', async () => {
    const { core, clock, policy } = await setup('*/5 * * * *');
    const scheduler = core.services.scheduler;
    scheduler.start();
    core.db.prepare(`UPDATE policies SET state = 'failed_over' WHERE id = ?`).run(policy.id);
    clock.advance(60 * 60_000);
    expect(scheduler.tick()).toEqual([]);
    expect(scheduler.nextRunAt(policy.id)).toBeNull();
    core.db.prepare(`UPDATE policies SET state = 'active' WHERE id = ?`).run(policy.id);
    const current = await core.call('dr:policies.get', { policyId: policy.id });
    await core.call('dr:policies.update', {
      policyId: policy.id,
      expectedUpdatedAt: current.updatedAt,
      policy: { name: current.name, sourceEnvironmentId: current.sourceEnvironment.id, targetEnvironmentId: current.targetEnvironment.id, resources: current.resources, schedule: null, webhookUrl: null },
    });
    expect(scheduler.nextRunAt(policy.id)).toBeNull();
    clock.advance(60 * 60_000);
    expect(scheduler.tick()).toEqual([]);
    expect(core.services.jobs.list({ offset: 0, limit: 10 }).total).toBe(0);
    scheduler.stop();
    await core.close();
  });

  it('skips a slot when a replication is already running for the policy', async () => {
    const { core, clock, policy } = await setup('*/5 * * * *');
    const scheduler = core.services.scheduler;
    scheduler.reload();
    const { jobId } = core.services.replication.start(policy.id, 'manual');
    clock.advance(10 * 60_000);
    expect(scheduler.tick()).toEqual([]);
    await waitForJob(core, jobId);
    clock.advance(5 * 60_000);
    expect(scheduler.tick()).toHaveLength(1);
    await core.close();
  });

  it('fires from its own timer while started, and not after stop()', async () => {
    // The system clock here: a schedule due every minute would make this test take a minute,
    // so the timer is proven by arming it for a due time already in the past.
    const { core, policy, clock } = await setup('* * * * *');
    const scheduler = core.services.scheduler;
    scheduler.start();
    clock.advance(2 * 60_000);
    core.events.emit('dr:policies.changed', { policyId: policy.id }); // re-arms the timer
    const deadline = Date.now() + 5_000;
    while (core.services.jobs.list({ offset: 0, limit: 1 }).total === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(core.services.jobs.list({ offset: 0, limit: 1 }).total).toBe(1);
    const jobId = core.services.jobs.list({ offset: 0, limit: 1 }).items[0]!.id;
    await waitForJob(core, jobId);
    scheduler.stop();
    clock.advance(10 * 60_000);
    core.events.emit('dr:policies.changed', { policyId: policy.id });
    await new Promise((r) => setTimeout(r, 50));
    expect(core.services.jobs.list({ offset: 0, limit: 10 }).total).toBe(1);
    await core.close();
  });

  it('reads a daily 02:00 in the display time zone, and re-reads it when the setting changes', async () => {
    const { core, policy } = await setup('0 2 * * *');
    const scheduler = core.services.scheduler;
    scheduler.start();
    await core.call('dr:settings.update', { timeZone: 'Asia/Tokyo' });
    // 02:00 in Tokyo (UTC+09:00) is 17:00 UTC the day before.
    expect(scheduler.nextRunAt(policy.id)?.toISOString()).toMatch(/T17:00:00\.000Z$/);
    expect((await core.call('dr:policies.get', { policyId: policy.id })).nextReplicationAt).toMatch(/T17:00:00\.000Z$/);
    await core.call('dr:settings.update', { timeZone: 'America/New_York' });
    // 02:00 in New York in January (UTC-05:00) is 07:00 UTC.
    expect(scheduler.nextRunAt(policy.id)?.toISOString()).toMatch(/T07:00:00\.000Z$/);
    scheduler.stop();
    await core.close();
  });
});
