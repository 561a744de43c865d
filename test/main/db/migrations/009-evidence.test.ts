import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../../main/db/connection';
import { verifyChain, GENESIS_HASH } from '../../../../main/db/audit-chain';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const AT = '2030-01-01T00:00:00.000Z';

function v6(file: string) {
  const db = new Database(file);
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.filter((m) => m.version <= 6));
  db.prepare(`INSERT INTO accounts VALUES ('acc_1','Acc','sim','aws','none',x'',?)`).run(AT);
  db.prepare(`INSERT INTO environments VALUES ('env_1','acc_1','Src','us-east-1','',?)`).run(AT);
  db.prepare(`INSERT INTO environments VALUES ('env_2','acc_1','Dst','us-west-2','',?)`).run(AT);
  db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('pol_1','Pol','env_1','env_2',?,?)`).run(AT, AT);
  db.prepare(`INSERT INTO protected_resources (id, policy_id, type, native_id, name, added_at) VALUES ('res_1','pol_1','aws.ec2-instance','i-1','web',?)`).run(AT);
  db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('job_1','pol_1','replication','succeeded','manual',?)`).run(AT);
  return db;
}

describe('migration 009 (evidence)', () => {
  it('chains the audit rows written before it, in id order, and links them to their policy and job', () => {
    const db = v6(join(tempDir(), 'v6.sqlite'));
    const audit = db.prepare('INSERT INTO audit_log (at, actor, action, subject_id, detail) VALUES (?, ?, ?, ?, ?)');
    audit.run(AT, 'operator', 'account.create', 'acc_1', 'Acc (sim, aws, none)');
    audit.run(AT, 'operator', 'policy.create', 'pol_1', 'Pol: 1 resource(s)');
    audit.run(AT, 'operator', 'replication.start', 'pol_1', 'job job_1 (manual), 1 resource(s)');
    audit.run(AT, 'system', 'webhook.delivered', 'job_1', 'failover delivery whd_1 to example.org: 200');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 9));
    expect(schemaVersion(db)).toBe(9);
    const rows = db.prepare('SELECT id, policy_id, job_id, prev_hash, hash FROM audit_log ORDER BY id').all() as {
      id: number;
      policy_id: string | null;
      job_id: string | null;
      prev_hash: string;
      hash: string;
    }[];
    expect(rows.map((r) => [r.policy_id, r.job_id])).toEqual([
      [null, null],
      ['pol_1', null],
      ['pol_1', 'job_1'],
      ['pol_1', 'job_1'],
    ]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(verifyChain(db)).toMatchObject({ ok: true, entries: 4, headId: rows[3]!.id, headHash: rows[3]!.hash });
    db.close();
  });

  it('moves item counts onto recovery points and keeps them, and the per-day totals, with triggers', () => {
    const db = v6(join(tempDir(), 'rp.sqlite'));
    db.prepare(`INSERT INTO protected_resources (id, policy_id, type, native_id, name, added_at) VALUES ('res_2','pol_1','aws.ec2-instance','i-2','api',?)`).run(AT);
    db.prepare(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at) VALUES ('rp_1','pol_1','job_1','partial',?)`).run(AT);
    const item = db.prepare(`INSERT INTO recovery_point_items (id, recovery_point_id, protected_resource_id, status, captured_at) VALUES (?, 'rp_1', ?, ?, ?)`);
    item.run('rpi_1', 'res_1', 'succeeded', AT);
    item.run('rpi_2', 'res_2', 'failed', AT);
    migrate(db, MIGRATIONS);
    const counts = () => db.prepare(`SELECT item_count, failed_item_count FROM recovery_points WHERE id = 'rp_1'`).get();
    expect(counts()).toEqual({ item_count: 2, failed_item_count: 1 });
    db.prepare(`UPDATE recovery_point_items SET status = 'succeeded' WHERE id = 'rpi_2'`).run();
    expect(counts()).toEqual({ item_count: 2, failed_item_count: 0 });
    db.prepare(`DELETE FROM recovery_point_items WHERE id = 'rpi_1'`).run();
    expect(counts()).toEqual({ item_count: 1, failed_item_count: 0 });

    const days = () => db.prepare(`SELECT day, status, n FROM recovery_point_days WHERE n > 0 ORDER BY day, status`).all();
    expect(days()).toEqual([{ day: '2030-01-01', status: 'partial', n: 1 }]);
    db.prepare(`INSERT INTO recovery_points (id, policy_id, job_id, status, created_at) VALUES ('rp_2','pol_1','job_1','in_progress','2030-01-02T10:00:00.000Z')`).run();
    db.prepare(`UPDATE recovery_points SET status = 'succeeded' WHERE id = 'rp_2'`).run();
    expect(days()).toEqual([
      { day: '2030-01-01', status: 'partial', n: 1 },
      { day: '2030-01-02', status: 'succeeded', n: 1 },
    ]);
    db.prepare(`DELETE FROM recovery_points WHERE id = 'rp_1'`).run();
    expect(days()).toEqual([{ day: '2030-01-02', status: 'succeeded', n: 1 }]);
    db.close();
  });

  it('pages every picker filter from a covering index, never a sort', () => {
    const db = v6(join(tempDir(), 'plan.sqlite'));
    migrate(db, MIGRATIONS);
    const cols = 'rp.id, rp.policy_id, rp.job_id, rp.status, rp.created_at, rp.completed_at, rp.item_count, rp.failed_item_count';
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    const order = 'ORDER BY rp.created_at DESC, rp.id DESC LIMIT 100';
    for (const where of [
      `rp.policy_id = 'p'`,
      `rp.policy_id = 'p' AND (rp.created_at, rp.id) < ('2030', 'rp_x')`,
      `rp.policy_id = 'p' AND rp.status = 'succeeded'`,
      `rp.policy_id = 'p' AND rp.status = 'succeeded' AND (rp.created_at, rp.id) < ('2030', 'rp_x')`,
      `rp.policy_id = 'p' AND rp.created_at >= '2030-01' AND rp.created_at < '2030-01\uffff'`,
      `rp.policy_id = 'p' AND rp.status = 'failed' AND rp.created_at >= '2030-01' AND rp.created_at < '2030-01\uffff'`,
    ]) {
      const p = plan(`SELECT ${cols} FROM recovery_points rp WHERE ${where} ${order}`);
      expect(p, where).toMatch(/USING COVERING INDEX recovery_points_page/);
      expect(p, where).not.toMatch(/TEMP B-TREE/);
    }
  });
});
