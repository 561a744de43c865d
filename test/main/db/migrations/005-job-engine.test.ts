import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('migration 005 (job engine)', () => {
  it('adds job owners and step params, keeping existing rows', () => {
    const db = new Database(join(tempDir(), 'v5.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS.filter((m) => m.version <= 4));
    const at = '2030-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
    db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p1','Pol','e1','e2',?,?)`).run(at, at);
    db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('j1','p1','failover','running','manual',?)`).run(at);
    db.prepare(`INSERT INTO job_steps (id,job_id,seq,action,status,idempotency_key) VALUES ('s1','j1',1,'failover','pending','k1')`).run();
    migrate(db, MIGRATIONS.filter((m) => m.version <= 5));
    expect(schemaVersion(db)).toBe(5);
    expect(db.prepare(`SELECT owner, heartbeat_at FROM jobs WHERE id='j1'`).get()).toEqual({ owner: null, heartbeat_at: null });
    expect(db.prepare(`SELECT params FROM job_steps WHERE id='s1'`).pluck().get()).toBe('{}');
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name='test_resources_job'`).pluck().get()).toBe('test_resources_job');
    db.close();
  });
});
