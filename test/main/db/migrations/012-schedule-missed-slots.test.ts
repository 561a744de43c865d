import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const at = '2030-01-01T00:00:00.000Z';
const UP_TO_12 = MIGRATIONS.filter((m) => m.version <= 12);

/** A file as version 11 left it, with one scheduled policy. */
function version11File() {
  const db = openDatabase(join(tempDir(), 'v11.sqlite'), { migrations: MIGRATIONS.filter((m) => m.version <= 11) });
  db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','{"cloud":"aws","region":"us-east-1","accountId":null}',?)`).run(at);
  db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','{"cloud":"aws","region":"us-west-2","accountId":null}',?)`).run(at);
  db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,schedule,created_at,updated_at) VALUES ('p1','Pol','e1','e2','*/5 * * * *',?,?)`).run(at, at);
  return db;
}

describe('migration 012 (schedule missed slots)', () => {
  it('adds the missed-slot table on top of version 11 and keeps what was there', () => {
    const db = version11File();
    expect(schemaVersion(db)).toBe(11);
    expect(migrate(db, UP_TO_12)).toBe(12);
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
    expect(tables).toContain('schedule_missed_slots');
    expect(db.prepare(`SELECT schedule FROM policies WHERE id = 'p1'`).pluck().get()).toBe('*/5 * * * *');
    db.close();
  });

  it('keeps one row per policy, refuses a count below one, and forgets the row with its policy', () => {
    const db = version11File();
    migrate(db, UP_TO_12);
    const put = db.prepare(`INSERT INTO schedule_missed_slots (policy_id, first_missed_at, last_missed_at, missed) VALUES ('p1', ?, ?, ?)`);
    put.run(at, at, 1);
    expect(() => put.run(at, at, 1)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare(`UPDATE schedule_missed_slots SET missed = 0`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO schedule_missed_slots VALUES ('nope', ?, ?, 1)`).run(at, at)).toThrow(/FOREIGN KEY/);
    db.prepare(`DELETE FROM policies WHERE id = 'p1'`).run();
    expect(db.prepare('SELECT COUNT(*) FROM schedule_missed_slots').pluck().get()).toBe(0);
    db.close();
  });
});
