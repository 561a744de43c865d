import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../../main/db/connection';
import * as m001 from '../../../../main/db/migrations/001-initial';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

function openAt001() {
  const db = new Database(join(tempDir(), 'v1.sqlite'));
  db.pragma('foreign_keys = ON');
  migrate(db, [m001]);
  return db;
}

function seedPolicy(db: Database.Database) {
  const at = '2030-01-01T00:00:00.000Z';
  db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
  db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p1','Pol','e1','e2',?,?)`).run(at, at);
  return at;
}

describe('migration 001 (initial)', () => {
  it('creates every core table and sets user_version to 1', () => {
    const db = openAt001();
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name`).pluck().all();
    expect(tables).toEqual([
      'accounts',
      'audit_log',
      'environments',
      'job_steps',
      'jobs',
      'policies',
      'protected_resources',
      'recovery_point_items',
      'recovery_points',
      'resource_mappings',
      'settings',
      'test_resources',
      'webhook_deliveries',
    ]);
    expect(schemaVersion(db)).toBe(1);
    db.close();
  });

  it('creates the indexes the console pages and the one-failover rule rely on', () => {
    const db = openAt001();
    const indexes = db.prepare(`SELECT name FROM sqlite_schema WHERE type='index' AND name NOT LIKE 'sqlite_%'`).pluck().all();
    expect(indexes).toEqual(
      expect.arrayContaining([
        'jobs_policy',
        'jobs_unfinished',
        'jobs_one_failover',
        'job_steps_job',
        'recovery_points_policy',
        'recovery_points_policy_status',
        'test_resources_live',
        'webhook_deliveries_due',
        'audit_log_subject',
      ]),
    );
    db.close();
  });

  it('allows only one failover job per policy, ever, while other kinds repeat', () => {
    const db = openAt001();
    const at = seedPolicy(db);
    const insert = db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES (?, 'p1', ?, 'succeeded', 'manual', ?)`);
    insert.run('j1', 'replication', at);
    insert.run('j2', 'replication', at);
    insert.run('j3', 'test_failover', at);
    insert.run('j4', 'failover', at);
    expect(() => insert.run('j5', 'failover', at)).toThrow(/UNIQUE/);
    db.close();
  });

  it('refuses a policy whose source and target are the same environment', () => {
    const db = openAt001();
    const at = seedPolicy(db);
    expect(() =>
      db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p2','Other','e1','e1',?,?)`).run(at, at),
    ).toThrow(/CHECK/);
  });

  it('makes account and policy names unique regardless of case', () => {
    const db = openAt001();
    const at = seedPolicy(db);
    expect(() => db.prepare(`INSERT INTO accounts VALUES ('a2','ACC','sim','aws','none',x'',?)`).run(at)).toThrow(/UNIQUE/);
    expect(() =>
      db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p2','pol','e1','e2',?,?)`).run(at, at),
    ).toThrow(/UNIQUE/);
  });

  it('keeps environments from being deleted while a policy uses them (foreign keys on)', () => {
    const db = openAt001();
    seedPolicy(db);
    expect(() => db.prepare(`DELETE FROM environments WHERE id = 'e1'`).run()).toThrow(/FOREIGN KEY/);
  });

  it('rejects unknown states, kinds and statuses through CHECK constraints', () => {
    const db = openAt001();
    const at = seedPolicy(db);
    expect(() => db.prepare(`UPDATE policies SET state = 'deleted' WHERE id = 'p1'`).run()).toThrow(/CHECK/);
    expect(() =>
      db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('j1','p1','backup','running','manual',?)`).run(at),
    ).toThrow(/CHECK/);
  });

  it('makes step idempotency keys unique across the whole journal', () => {
    const db = openAt001();
    const at = seedPolicy(db);
    db.prepare(`INSERT INTO jobs (id,policy_id,kind,status,trigger,created_at) VALUES ('j1','p1','replication','running','manual',?)`).run(at);
    const step = db.prepare(`INSERT INTO job_steps (id,job_id,seq,action,status,idempotency_key) VALUES (?, 'j1', ?, 'replicate', 'pending', ?)`);
    step.run('s1', 1, 'k1');
    expect(() => step.run('s2', 2, 'k1')).toThrow(/UNIQUE/);
  });

  it('opens through openDatabase with WAL, synchronous FULL and foreign keys on', () => {
    const db = openDatabase(join(tempDir(), 'c.sqlite'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});
