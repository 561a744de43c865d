import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../main/core/audit-log';
import { openDatabase } from '../../../main/db/connection';
import { canonicalEntry, GENESIS_HASH } from '../../../main/db/audit-chain';
import { createRepos } from '../../../main/db/repos';
import { FakeClock } from '../../helpers/fake-clock';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();

/** A console data file with `n` audit entries written through the real AuditLog, then closed. */
function fileWithEntries(n: number): string {
  const file = join(tempDir(), 'console.sqlite');
  const db = openDatabase(file);
  const repos = createRepos(db);
  const audit = new AuditLog(repos, new FakeClock(), { osUser: () => 'dana', host: () => 'dr-laptop-07' });
  for (let i = 1; i <= n; i++) audit.record(i % 3 === 0 ? 'system' : 'operator', `policy.update`, `pol_${i % 4}`, `entry ${i}: "quoted", é, \u2028`);
  db.close();
  return file;
}

function verifyFile(file: string) {
  const db = openDatabase(file);
  try {
    return createRepos(db).audit.verify();
  } finally {
    db.close();
  }
}

/** What a person with the file and sqlite (not the console) could do to it. */
function tamper(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...params);
  db.close();
}

describe('the audit hash chain', () => {
  it('links every entry to the SHA-256 of the one before, from a genesis of zeros', () => {
    const file = fileWithEntries(5);
    const db = new Database(file, { readonly: true });
    const rows = db.prepare('SELECT id, prev_hash, hash FROM audit_log ORDER BY id').all() as { id: number; prev_hash: string; hash: string }[];
    db.close();
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    expect(new Set(rows.map((r) => r.hash)).size).toBe(5);
    expect(verifyFile(file)).toMatchObject({ ok: true, entries: 5, headId: rows[4]!.id, headHash: rows[4]!.hash });
  });

  it('serialises an entry canonically: fixed field order, JSON escaping, so fields cannot run into each other', () => {
    const base = { id: 1, at: 'a', actor: 'operator', osUser: 'u', operatorName: null, host: 'h', action: 'x', subjectId: null, policyId: null, jobId: null, detail: 'ab', prevHash: GENESIS_HASH };
    expect(canonicalEntry(base)).not.toBe(canonicalEntry({ ...base, action: 'xa', detail: 'b' }));
    expect(canonicalEntry(base)).toBe(canonicalEntry({ ...base }));
  });

  const FIELDS: [string, unknown][] = [
    ['at', '2020-01-01T00:00:00.000Z'],
    ['actor', 'system'],
    ['os_user', 'mallory'],
    ['operator_name', 'Someone Else'],
    ['host', 'other-laptop'],
    ['action', 'policy.delete'],
    ['subject_id', 'pol_x'],
    ['policy_id', 'pol_x'],
    ['job_id', 'job_x'],
    ['detail', 'entry rewritten'],
  ];

  for (const k of [1, 4, 8]) {
    for (const [field, value] of FIELDS) {
      it(`detects a change to ${field} of entry ${k} of 8 at that entry`, () => {
        const file = fileWithEntries(8);
        tamper(file, `UPDATE audit_log SET ${field} = ? WHERE id = ?`, value, k);
        const v = verifyFile(file);
        expect(v).toMatchObject({ ok: false, brokenId: k });
        if (!v.ok) expect(v.reason).toMatch(new RegExp(`^Entry ${k} was changed`));
      });
    }
  }

  it('detects an entry whose hash was recomputed to match its new content, at that entry', () => {
    const file = fileWithEntries(6);
    const db = new Database(file);
    db.prepare(`UPDATE audit_log SET detail = 'forged', hash = ? WHERE id = 3`).run('f'.repeat(64));
    db.close();
    expect(verifyFile(file)).toMatchObject({ ok: false, brokenId: 3 });
  });

  it('detects a removed entry at the one that followed it', () => {
    const file = fileWithEntries(6);
    tamper(file, 'DELETE FROM audit_log WHERE id = 4');
    const v = verifyFile(file);
    expect(v).toMatchObject({ ok: false, brokenId: 5 });
    if (!v.ok) expect(v.reason).toMatch(/does not follow the entry before it/);
  });

  it('keeps chaining after a verified file is reopened', () => {
    const file = fileWithEntries(3);
    const db = openDatabase(file);
    const repos = createRepos(db);
    new AuditLog(repos, new FakeClock()).record('operator', 'policy.create', 'pol_9', 'later');
    expect(repos.audit.verify()).toMatchObject({ ok: true, entries: 4 });
    db.close();
  });
});
