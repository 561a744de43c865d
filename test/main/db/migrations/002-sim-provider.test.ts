import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../../main/db/connection';
import * as m001 from '../../../../main/db/migrations/001-initial';
import * as m002 from '../../../../main/db/migrations/002-sim-provider';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('migration 002 (sim provider)', () => {
  it('adds sim_resources with its indexes on top of version 1 and sets user_version to 2', () => {
    const db = new Database(join(tempDir(), 'v2.sqlite'));
    migrate(db, [m001]);
    expect(schemaVersion(db)).toBe(1);
    migrate(db, [m001, m002]);
    expect(schemaVersion(db)).toBe(2);
    const cols = db.prepare(`SELECT name FROM pragma_table_info('sim_resources')`).pluck().all();
    expect(cols).toEqual(expect.arrayContaining(['id', 'account_id', 'native_id', 'origin', 'step_key', 'deleted_at']));
    const idx = db.prepare(`SELECT name FROM sqlite_schema WHERE type='index' AND tbl_name='sim_resources' AND name NOT LIKE 'sqlite_%'`).pluck().all();
    expect(idx).toEqual(expect.arrayContaining(['sim_resources_env', 'sim_resources_step']));
    db.close();
  });

  it('keeps native ids unique per simulated account and checks the origin', () => {
    const db = new Database(join(tempDir(), 'v2.sqlite'));
    migrate(db, [m001, m002]);
    const insert = db.prepare(
      `INSERT INTO sim_resources (id, account_id, region, type, kind, native_id, name, origin, created_at) VALUES (?, ?, 'r', 't', 'k', ?, 'n', ?, 'now')`,
    );
    insert.run('1', 'a', 'n1', 'inventory');
    insert.run('2', 'b', 'n1', 'inventory');
    expect(() => insert.run('3', 'a', 'n1', 'test')).toThrow(/UNIQUE/);
    expect(() => insert.run('4', 'a', 'n2', 'elsewhere')).toThrow(/CHECK/);
    db.close();
  });
});
