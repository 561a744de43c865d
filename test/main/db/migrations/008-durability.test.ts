import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../../main/db/connection';
import { MIGRATIONS } from '../../../../main/db/migrations';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();

describe('migration 008 (durability)', () => {
  it('adds webhook_allow_private to existing policies, off, and refuses values other than 0 and 1', () => {
    const db = new Database(join(tempDir(), 'v6.sqlite'));
    migrate(db, MIGRATIONS.filter((m) => m.version <= 6));
    const at = '2030-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e1','a1','Src','us-east-1','',?)`).run(at);
    db.prepare(`INSERT INTO environments VALUES ('e2','a1','Dst','us-west-2','',?)`).run(at);
    db.prepare(`INSERT INTO policies (id,name,source_environment_id,target_environment_id,webhook_url,created_at,updated_at) VALUES ('p1','Pol','e1','e2','http://169.254.169.254/',?,?)`).run(at, at);
    migrate(db, MIGRATIONS.filter((m) => m.version <= 8));
    expect(schemaVersion(db)).toBe(8);
    expect(db.prepare(`SELECT webhook_allow_private, webhook_url FROM policies WHERE id = 'p1'`).get()).toEqual({ webhook_allow_private: 0, webhook_url: 'http://169.254.169.254/' });
    expect(() => db.prepare(`UPDATE policies SET webhook_allow_private = 2`).run()).toThrow(/CHECK constraint/);
    db.close();
  });
});
