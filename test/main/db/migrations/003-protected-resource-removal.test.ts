import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import * as m001 from '../../../../main/db/migrations/001-initial';
import * as m002 from '../../../../main/db/migrations/002-sim-provider';
import { dbChecksum } from '../../../helpers/db-checksum';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('migration 003 (protected resource removal)', () => {
  it('adds removed_at to protected_resources, keeping existing rows live', () => {
    const db = new Database(join(tempDir(), 'v3.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, [m001, m002]);
    const at = '2030-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
    db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,created_at,updated_at) VALUES ('p1','Pol','e1','e2',?,?)`).run(at, at);
    db.prepare(`INSERT INTO protected_resources VALUES ('r1','p1','aws.s3-bucket','b1','b1',?)`).run(at);
    migrate(db, MIGRATIONS.filter((m) => m.version <= 3));
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare(`SELECT removed_at FROM protected_resources WHERE id='r1'`).pluck().get()).toBeNull();
    const idx = db.prepare(`SELECT name FROM sqlite_schema WHERE type='index' AND name='protected_resources_live'`).pluck().get();
    expect(idx).toBe('protected_resources_live');
    db.close();
  });

  it('is applied by openDatabase on a new file, which reaches the newest version', () => {
    const db = openDatabase(join(tempDir(), 'new.sqlite'));
    expect(schemaVersion(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    db.close();
  });
});

describe('a file written by a newer console', () => {
  it('is refused with a clear message and left unchanged', () => {
    const file = join(tempDir(), 'future.sqlite');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO settings VALUES ('k','v')`).run();
    db.pragma('user_version = 99');
    const before = dbChecksum(db);
    db.close();

    expect(() => openDatabase(file)).toThrow(/newer Failover Console \(schema 99/);

    const again = new Database(file, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    expect(dbChecksum(again)).toBe(before);
    again.close();
  });
});
