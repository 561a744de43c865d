import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../../main/db/connection';
import { useTempDirs } from '../../../helpers/temp-dir';

const tempDir = useTempDirs();
const at = '2030-01-01T00:00:00.000Z';

describe('migration 010 (offline and handover)', () => {
  it('adds the connectivity, lease, manifest and sim object tables', () => {
    const db = openDatabase(join(tempDir(), 'v10.sqlite'));
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(10);
    const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['account_connectivity', 'failover_leases', 'catalog_manifests', 'sim_objects']));
    db.close();
  });

  it('forgets an account\'s connectivity with the account, and refuses an unknown state', () => {
    const db = openDatabase(join(tempDir(), 'fk.sqlite'));
    db.prepare(`INSERT INTO accounts VALUES ('a1','Acc','sim','aws','none',x'',?)`).run(at);
    db.prepare(`INSERT INTO account_connectivity (account_id, status, changed_at) VALUES ('a1', 'offline', ?)`).run(at);
    expect(() => db.prepare(`INSERT INTO account_connectivity (account_id, status, changed_at) VALUES ('a1', 'maybe', ?)`).run(at)).toThrow(/CHECK/);
    db.prepare(`DELETE FROM accounts WHERE id = 'a1'`).run();
    expect(db.prepare('SELECT COUNT(*) FROM account_connectivity').pluck().get()).toBe(0);
    db.close();
  });

  it('keeps one sim object per account and key, so a second conditional create is ignored', () => {
    const db = openDatabase(join(tempDir(), 'obj.sqlite'));
    const put = db.prepare(`INSERT OR IGNORE INTO sim_objects (account_id, region, key, body, revision, updated_at) VALUES ('a', 'r', 'k', ?, 1, ?)`);
    expect(put.run('first', at).changes).toBe(1);
    expect(put.run('second', at).changes).toBe(0);
    expect(db.prepare(`SELECT body FROM sim_objects WHERE key = 'k'`).pluck().get()).toBe('first');
    db.close();
  });
});
