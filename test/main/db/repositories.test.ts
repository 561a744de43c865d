import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/db/connection';
import { createRepos, type Repos } from '../../../main/db/repos';
import { toAccountView } from '../../../main/db/accounts-repo';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();
const AT = '2030-01-01T00:00:00.000Z';

function setup(): { db: Db; repos: Repos } {
  const db = openDatabase(join(tempDir(), 'repo.sqlite'));
  const repos = createRepos(db);
  repos.accounts.insert({ id: 'a1', name: 'Prod AWS', provider: 'aws', cloud: 'aws', credentialKind: 'aws-profile', secret: Buffer.from([1, 2, 3]), createdAt: AT });
  repos.environments.insert({ id: 'e1', accountId: 'a1', name: 'Source', region: 'us-east-1', scope: { cloud: 'aws', region: 'us-east-1', accountId: '111122223333' }, createdAt: AT });
  repos.environments.insert({ id: 'e2', accountId: 'a1', name: 'Target', region: 'us-west-2', scope: { cloud: 'aws', region: 'us-west-2', accountId: '111122223333' }, createdAt: AT });
  repos.policies.insert({ id: 'p1', name: 'Payments', sourceEnvironmentId: 'e1', targetEnvironmentId: 'e2', schedule: '0 * * * *', webhookUrl: null, createdAt: AT, updatedAt: AT });
  repos.policies.insertResource({ id: 'r1', policyId: 'p1', type: 'aws.s3-bucket', nativeId: 'bucket-1', name: 'bucket-1', addedAt: AT });
  repos.policies.insertResource({ id: 'r2', policyId: 'p1', type: 'aws.rds', nativeId: 'db-1', name: 'db-1', addedAt: AT });
  repos.jobs.insertJob({ id: 'j1', policyId: 'p1', kind: 'replication', status: 'running', trigger: 'manual', recoveryPointId: null, createdAt: AT, startedAt: AT });
  return { db, repos };
}

/** Inserts `n` finished points one second apart, every tenth failed. */
function bulkPoints(db: Db, n: number) {
  const insert = db.prepare(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at, completed_at) VALUES (?, 'p1', 'j1', ?, ?, ?)`);
  const base = Date.parse('2029-01-01T00:00:00.000Z');
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const at = new Date(base + i * 1000).toISOString();
      insert.run(`rp${String(i).padStart(6, '0')}`, i % 10 === 0 ? 'failed' : 'succeeded', at, at);
    }
  })();
}

describe('accounts repository', () => {
  it('finds accounts by name regardless of case and never puts the secret in views', () => {
    const { repos } = setup();
    expect(repos.accounts.findByName('PROD aws')?.id).toBe('a1');
    const view = toAccountView(repos.accounts.get('a1')!);
    expect(view).toEqual({ id: 'a1', name: 'Prod AWS', provider: 'aws', cloud: 'aws', credentialKind: 'aws-profile', simulated: false, createdAt: AT });
    expect(JSON.stringify(repos.accounts.list())).not.toContain('secret');
    expect(repos.accounts.secret('a1')).toEqual(Buffer.from([1, 2, 3]));
    expect(repos.accounts.environmentCount('a1')).toBe(2);
  });
});

describe('environments repository', () => {
  it('joins the account cloud and counts the policies using an environment', () => {
    const { repos } = setup();
    expect(repos.environments.get('e1')).toMatchObject({ cloud: 'aws', provider: 'aws', region: 'us-east-1' });
    expect(repos.environments.list('a1').map((e) => e.name)).toEqual(['Source', 'Target']);
    expect(repos.environments.policyCount('e2')).toBe(1);
    expect(repos.environments.findByName('a1', 'source')?.id).toBe('e1');
  });
});

describe('policies repository', () => {
  it('reads a policy with its aggregates: live resource count, latest successful point, running job', () => {
    const { db, repos } = setup();
    repos.recoveryPoints.insert({ id: 'rpA', policyId: 'p1', jobId: 'j1', createdAt: '2030-01-01T01:00:00.000Z' });
    repos.recoveryPoints.complete('rpA', 'succeeded', AT);
    repos.recoveryPoints.insert({ id: 'rpB', policyId: 'p1', jobId: 'j1', createdAt: '2030-01-01T02:00:00.000Z' });
    repos.recoveryPoints.complete('rpB', 'partial', AT);
    repos.policies.retireResource('r2', AT);
    const p = repos.policies.get('p1')!;
    expect(p).toMatchObject({
      resourceCount: 1,
      latestRecoveryPointAt: '2030-01-01T01:00:00.000Z',
      runningJobId: 'j1',
      cloud: 'aws',
      source: { id: 'e1', name: 'Source', region: 'us-east-1' },
      target: { id: 'e2', name: 'Target', region: 'us-west-2' },
    });
    expect(repos.policies.resources('p1').map((r) => r.id)).toEqual(['r1']);
    expect(repos.policies.allResources('p1')).toHaveLength(2);
    db.close();
  });

  it('updates only as a compare-and-set on updated_at and only while active', () => {
    const { db, repos } = setup();
    const base = { id: 'p1', name: 'Payments 2', sourceEnvironmentId: 'e1', targetEnvironmentId: 'e2', schedule: null, webhookUrl: null, updatedAt: '2030-01-02T00:00:00.000Z' };
    expect(repos.policies.update({ ...base, expectedUpdatedAt: 'stale' })).toBe(false);
    expect(repos.policies.update({ ...base, expectedUpdatedAt: AT })).toBe(true);
    db.prepare(`UPDATE policies SET state = 'failed_over'`).run();
    expect(repos.policies.update({ ...base, name: 'X', expectedUpdatedAt: base.updatedAt })).toBe(false);
    expect(repos.policies.delete('p1')).toBe(false);
    expect(repos.policies.get('p1')!.name).toBe('Payments 2');
  });
});

describe('jobs repository', () => {
  it('journals steps with intent before result and reports progress counts', () => {
    const { repos } = setup();
    repos.jobs.insertStep({ id: 's1', jobId: 'j1', seq: 1, protectedResourceId: 'r1', action: 'replicate', dependsOn: [], idempotencyKey: 'j1/r1' });
    repos.jobs.insertStep({ id: 's2', jobId: 'j1', seq: 2, protectedResourceId: 'r2', action: 'replicate', dependsOn: ['s1'], idempotencyKey: 'j1/r2' });
    repos.jobs.startStep('s1', AT);
    repos.jobs.appendOperation('s1', 'create', 'intent', { clientToken: 'tok' }, AT);
    expect(repos.jobs.operations('s1')).toEqual([{ opKey: 'create', intent: { clientToken: 'tok' }, handle: null, outcome: null }]);
    repos.jobs.finishStep('s1', { status: 'succeeded', result: { id: 'x' }, at: AT });
    expect(repos.jobs.counts('j1')).toEqual({ total: 2, done: 1, failed: 0 });
    const [s1, s2] = repos.jobs.steps('j1');
    expect(s1).toMatchObject({ status: 'succeeded', attempts: 1, result: { id: 'x' } });
    expect(s2).toMatchObject({ status: 'pending', dependsOn: ['s1'] });
    expect(repos.jobs.stepViews('j1')[1]).toMatchObject({ resourceName: 'db-1', type: 'aws.rds' });
    expect(repos.jobs.closeOpenSteps('j1', 'failed', 'boom', 'Internal', AT)).toBe(1);
    expect(repos.jobs.steps('j1')[1]).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('never rewrites a finished job', () => {
    const { repos } = setup();
    expect(repos.jobs.finish('j1', 'succeeded', null, AT)).toBe(true);
    expect(repos.jobs.finish('j1', 'failed', 'late', AT)).toBe(false);
    expect(repos.jobs.get('j1')!.status).toBe('succeeded');
    expect(repos.jobs.activeForPolicy('p1')).toBeNull();
  });

  it('pages and filters jobs newest first', () => {
    const { repos } = setup();
    repos.jobs.insertJob({ id: 'j2', policyId: 'p1', kind: 'test_failover', status: 'succeeded', trigger: 'manual', recoveryPointId: null, createdAt: '2030-01-02T00:00:00.000Z', startedAt: null });
    expect(repos.jobs.list({ offset: 0, limit: 10 }).items.map((j) => j.id)).toEqual(['j2', 'j1']);
    expect(repos.jobs.list({ kind: 'replication', offset: 0, limit: 10 })).toMatchObject({ total: 1, items: [{ id: 'j1' }] });
    expect(repos.jobs.list({ policyId: 'p1', status: 'succeeded', offset: 0, limit: 10 }).total).toBe(1);
  });
});

describe('recovery points repository', () => {
  it('pages 100,000 points of one policy newest first, with totals, status filter and time or id search', () => {
    const { db, repos } = setup();
    bulkPoints(db, 100_000);
    const first = repos.recoveryPoints.list({ policyId: 'p1', offset: 0, limit: 50 });
    expect(first.total).toBe(100_000);
    expect(first.items).toHaveLength(50);
    expect(first.items[0]!.id).toBe('rp099999');
    expect(first.items[49]!.id).toBe('rp099950');
    const deep = repos.recoveryPoints.list({ policyId: 'p1', offset: 99_990, limit: 50 });
    expect(deep.items.map((p) => p.id).at(-1)).toBe('rp000000');
    expect(repos.recoveryPoints.list({ policyId: 'p1', status: 'failed', offset: 0, limit: 1 }).total).toBe(10_000);
    // 2029-01-01T00:00 + 3600 s .. : points 3600..3659 fall in minute 01:00.
    const minute = repos.recoveryPoints.list({ policyId: 'p1', query: '2029-01-01T01:00', offset: 0, limit: 100 });
    expect(minute.total).toBe(60);
    expect(repos.recoveryPoints.list({ policyId: 'p1', query: 'rp00004', offset: 0, limit: 100 }).total).toBe(10);
  });

  it('plans paging and counting on the policy indexes, never a table scan or a sort', () => {
    const { db } = setup();
    bulkPoints(db, 1000);
    db.exec('ANALYZE');
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ policyId: 'p1', status: 'succeeded', limit: 10, offset: 0 }) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    const columns = 'rp.id, rp.policy_id, rp.job_id, rp.status, rp.created_at, rp.completed_at, rp.item_count, rp.failed_item_count';
    const page = plan(`SELECT ${columns} FROM recovery_points rp WHERE rp.policy_id = @policyId ORDER BY rp.created_at DESC, rp.id DESC LIMIT @limit OFFSET @offset`);
    expect(page).toMatch(/USING COVERING INDEX recovery_points_page\b/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    const byStatus = plan(`SELECT ${columns} FROM recovery_points rp WHERE rp.policy_id = @policyId AND rp.status = @status ORDER BY rp.created_at DESC, rp.id DESC LIMIT @limit`);
    expect(byStatus).toMatch(/USING COVERING INDEX recovery_points_page_status/);
    expect(byStatus).not.toMatch(/TEMP B-TREE/);
    const count = plan(`SELECT COUNT(*) FROM recovery_points rp WHERE rp.policy_id = @policyId AND rp.status = @status`);
    expect(count).toMatch(/USING COVERING INDEX recovery_points_(policy_status|page_status)/);
  });

  it('keeps one item per resource per point and reports item counts', () => {
    const { repos } = setup();
    repos.recoveryPoints.insert({ id: 'rp1', policyId: 'p1', jobId: 'j1', createdAt: AT });
    const item = { id: 'i1', recoveryPointId: 'rp1', protectedResourceId: 'r1', status: 'failed' as const, metadata: {}, dataRefs: [], error: 'x', capturedAt: AT };
    repos.recoveryPoints.upsertItem(item);
    repos.recoveryPoints.upsertItem({ ...item, id: 'i1b', status: 'succeeded', metadata: { a: 1 }, dataRefs: [{ kind: 'snap', id: 's' }], error: null });
    repos.recoveryPoints.upsertItem({ ...item, id: 'i2', protectedResourceId: 'r2' });
    expect(repos.recoveryPoints.itemCounts('rp1')).toEqual({ total: 2, failed: 1 });
    expect(repos.recoveryPoints.get('rp1')).toMatchObject({ itemCount: 2, failedItemCount: 1, status: 'in_progress' });
    expect(repos.recoveryPoints.itemViews('rp1').find((i) => i.protectedResourceId === 'r1')).toMatchObject({
      status: 'succeeded',
      metadata: { a: 1 },
      resourceName: 'bucket-1',
      type: 'aws.s3-bucket',
    });
    expect(repos.recoveryPoints.complete('rp1', 'partial', AT)).toBe(true);
    expect(repos.recoveryPoints.complete('rp1', 'succeeded', AT)).toBe(false);
  });
});

describe('audit and settings repositories', () => {
  it('lists audit entries newest first, optionally for one subject', () => {
    const { repos } = setup();
    repos.audit.record({ at: AT, actor: 'operator', action: 'a.one', subjectId: 'p1', detail: '' });
    repos.audit.record({ at: AT, actor: 'scheduler', action: 'a.two', subjectId: 'p2', detail: 'd' });
    expect(repos.audit.list({ offset: 0, limit: 10 }).items.map((e) => e.action)).toEqual(['a.two', 'a.one']);
    expect(repos.audit.list({ subjectId: 'p1', offset: 0, limit: 10 })).toMatchObject({ total: 1, items: [{ actor: 'operator' }] });
  });

  it('upserts and deletes settings', () => {
    const { repos } = setup();
    expect(repos.settings.get('k')).toBeNull();
    repos.settings.set('k', '1');
    repos.settings.set('k', '2');
    expect(repos.settings.get('k')).toBe('2');
    repos.settings.delete('k');
    expect(repos.settings.get('k')).toBeNull();
  });
});
