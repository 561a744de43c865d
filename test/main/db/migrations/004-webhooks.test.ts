import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import * as m004 from '../../../../main/db/migrations/004-webhooks';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const upTo = (v: number) => MIGRATIONS.filter((m) => m.version <= v);
const at = '2030-01-01T00:00:00.000Z';

function v3WithPolicyAndJob(): Database.Database {
  const db = new Database(join(tempDir(), 'v4.sqlite'));
  db.pragma('foreign_keys = ON');
  migrate(db, upTo(3));
  db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','azure','none',x'',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','westeurope','',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','northeurope','',?)`).run(at);
  db.prepare(
    `INSERT INTO policies (id,name,source_environment_id,target_environment_id,webhook_url,created_at,updated_at) VALUES ('p1','Pol','e1','e2','http://127.0.0.1:9/h',?,?)`,
  ).run(at, at);
  db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('j1','p1','failover','succeeded','manual',?)`).run(at);
  return db;
}

describe('migration 004 (webhooks)', () => {
  it('adds the policy webhook settings with existing policies unsigned and not opted in to test failovers', () => {
    const db = v3WithPolicyAndJob();
    migrate(db, upTo(4));
    expect(schemaVersion(db)).toBe(4);
    expect(m004.version).toBe(4);
    const row = db.prepare(`SELECT webhook_secret, webhook_on_test_failover FROM policies WHERE id='p1'`).get();
    expect(row).toEqual({ webhook_secret: null, webhook_on_test_failover: 0 });
    expect(() => db.prepare(`UPDATE policies SET webhook_on_test_failover = 2 WHERE id='p1'`).run()).toThrow(/CHECK/);
    db.close();
  });

  it('allows one delivery per job, checks the event, and records attempts that go with their delivery', () => {
    const db = v3WithPolicyAndJob();
    migrate(db, upTo(4));
    const insert = db.prepare(
      `INSERT INTO webhook_deliveries (id,policy_id,job_id,url,body,status,next_attempt_at,created_at,event) VALUES (?, 'p1','j1','u','{}','pending',?,?,?)`,
    );
    insert.run('d1', at, at, 'failover');
    expect(() => insert.run('d2', at, at, 'failover')).toThrow(/UNIQUE/);
    expect(db.prepare(`SELECT event, signed FROM webhook_deliveries WHERE id='d1'`).get()).toEqual({ event: 'failover', signed: 0 });
    db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('j2','p1','replication','succeeded','manual',?)`).run(at);
    expect(() => insert.run('d3', at, at, 'replication')).toThrow(/CHECK/);

    db.prepare(`INSERT INTO webhook_attempts (delivery_id, attempt, started_at) VALUES ('d1', 1, ?)`).run(at);
    expect(() => db.prepare(`INSERT INTO webhook_attempts (delivery_id, attempt, started_at) VALUES ('d1', 1, ?)`).run(at)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare(`INSERT INTO webhook_attempts (delivery_id, attempt, started_at) VALUES ('nope', 1, ?)`).run(at)).toThrow(/FOREIGN KEY/);
    db.prepare(`DELETE FROM webhook_deliveries WHERE id='d1'`).run();
    expect(db.prepare(`SELECT COUNT(*) FROM webhook_attempts`).pluck().get()).toBe(0);
    db.close();
  });
});
