// The data file at open: empty, foreign, newer and damaged files are refused with a sentence and
// left byte-for-byte as they were; backups are taken before migrations and on request, and one
// can be restored with every row it held.

import Database from 'better-sqlite3';
import { existsSync, readFileSync, readdirSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeCore, openCore, DATA_FILE_NAME, type Core } from '../../../main/compose';
import { MigrationPendingError, migrate, schemaVersion } from '../../../main/db/connection';
import { MIGRATIONS } from '../../../main/db/migrations';
import { BACKUP_DIR, listBackups, pruneBackups, restoreBackup, takeBackup } from '../../../main/db/backups';
import { BackupService } from '../../../main/core/backup-service';
import type { Clock } from '../../../main/core/clock';
import { DataFileError } from '../../../main/db/file-check';
import { silentLogger } from '../../../main/core/logger';
import { testKeyProvider } from '../../helpers/keys';
import { snapshotRows, lostOrChanged } from '../../helpers/rows';
import { useTempDirs } from '../../helpers/temp-dir';

const tempDir = useTempDirs();
const KNOWN = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

function compose(dataDir: string, extra: Partial<Parameters<typeof composeCore>[0]> = {}): Core {
  return composeCore({ dataDir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, backupIntervalMs: false, logger: silentLogger, ...extra });
}

function refusal(fn: () => unknown): DataFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DataFileError) return err;
    throw err;
  }
  throw new Error('the file was not refused');
}

async function workspace(dir: string): Promise<Core> {
  const core = compose(dir);
  await core.router.dispatch('dr:workspace.createRehearsal', {});
  // Enough rows that the file has middle pages worth damaging.
  const audit = core.db.prepare(`INSERT INTO audit_log (at, actor, action, subject_id, detail) VALUES (?, 'system', 'test.fill', NULL, ?)`);
  for (let i = 0; i < 400; i++) audit.run(new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(), `row ${i} ${'x'.repeat(200)}`);
  return core;
}

describe('opening the data file', () => {
  it('refuses a zero-byte file with a sentence and leaves it empty, unless the operator chooses a new workspace', () => {
    const dir = tempDir();
    const file = join(dir, DATA_FILE_NAME);
    writeFileSync(file, '');
    const err = refusal(() => compose(dir));
    expect(err.problem).toBe('empty');
    expect(err.message).toMatch(/^The data file .*console\.sqlite is empty \(0 bytes\), so it holds no workspace; the console did not change it\. Restore a backup, or choose to start a new workspace in its place\. No backup of it exists yet\.$/);
    expect(statSync(file).size).toBe(0);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const core = compose(dir, { replaceEmptyDataFile: true });
    expect(schemaVersion(core.db)).toBe(KNOWN);
    return core.close();
  });

  it('refuses a file that is not SQLite, and an SQLite file of another application, changing neither', () => {
    const dir = tempDir();
    const file = join(dir, DATA_FILE_NAME);
    writeFileSync(file, 'PK\u0003\u0004 a zip archive, not a database'.padEnd(4096, '.'));
    const before = readFileSync(file);
    expect(refusal(() => compose(dir)).message).toMatch(/is not a Failover Console data file \(it is not an SQLite database\); the console did not change it\./);
    expect(readFileSync(file).equals(before)).toBe(true);

    const other = new Database(file.replace('console', 'other'));
    other.exec('CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)');
    other.close();
    const otherDir = tempDir();
    writeFileSync(join(otherDir, DATA_FILE_NAME), readFileSync(file.replace('console', 'other')));
    const bytes = readFileSync(join(otherDir, DATA_FILE_NAME));
    expect(refusal(() => compose(otherDir)).message).toMatch(/is an SQLite database of another application/);
    expect(readFileSync(join(otherDir, DATA_FILE_NAME)).equals(bytes)).toBe(true);
  });

  it('refuses a file from a newer version before any write: a rollback-journal file keeps every byte (18, 19, 27 and 95 included)', () => {
    const dir = tempDir();
    const file = join(dir, DATA_FILE_NAME);
    const newer = new Database(file);
    newer.pragma('journal_mode = DELETE');
    newer.exec('CREATE TABLE t (x)');
    newer.pragma(`user_version = ${KNOWN + 5}`);
    newer.close();
    const before = readFileSync(file);
    expect([before[18], before[19]]).toEqual([1, 1]);
    const err = refusal(() => compose(dir));
    expect(err.problem).toBe('newer');
    expect(err.message).toBe(`This data file was written by a newer Failover Console (schema ${KNOWN + 5}, this app knows ${KNOWN}). Update the app; the file was not changed.`);
    const after = readFileSync(file);
    expect([after[18], after[19], after[27], after[95]]).toEqual([before[18], before[19], before[27], before[95]]);
    expect(after.equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses a file with damaged middle pages (quick_check), offering the latest backup, and writes nothing to it', async () => {
    const dir = tempDir();
    const core = await workspace(dir);
    const rowsAtBackup = snapshotRows(core.db);
    const backup = await core.services.backups.create('manual');
    await core.close();

    const file = join(dir, DATA_FILE_NAME);
    const pageSize = readFileSync(file).readUInt16BE(16);
    const pages = statSync(file).size / pageSize;
    const fd = openSync(file, 'r+');
    for (let p = Math.floor(pages / 2); p < Math.floor(pages / 2) + 3; p++) writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, p * pageSize);
    closeSync(fd);
    const damaged = readFileSync(file);

    const err = refusal(() => compose(dir));
    expect(err.problem).toBe('damaged');
    expect(err.message).toMatch(/^The data file .* is damaged \(integrity check: .+\); nothing was written to it\. Restore the latest backup \(console-\d{8}T\d{9}Z-v\d+-manual\.sqlite, taken .+\) to continue\.$/);
    expect(err.message).toContain(backup.name);
    expect(readFileSync(file).equals(damaged)).toBe(true);
    // The app's path (openCore checks once, then skips the check in the open) refuses it the same way.
    const viaApp = await openCore({ dataDir: dir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, backupIntervalMs: false, logger: silentLogger }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(viaApp).toBeInstanceOf(DataFileError);
    expect((viaApp as DataFileError).problem).toBe('damaged');
    expect(readFileSync(file).equals(damaged)).toBe(true);

    // The operator restores it: every row the backup held is back, and the damaged file is kept.
    const { restoreBackup } = await import('../../../main/db/backups');
    const done = restoreBackup(file, dir, backup.name, KNOWN, new Date());
    expect(done.keptAs).not.toBeNull();
    expect(readFileSync(done.keptAs!).equals(damaged)).toBe(true);
    const restored = compose(dir);
    expect(lostOrChanged(rowsAtBackup, snapshotRows(restored.db))).toEqual([]);
    await restored.close();
  });

  it('backs an older file up with the backup API before migrating it (openCore), page for page, as it was', async () => {
    const dir = tempDir();
    const file = join(dir, DATA_FILE_NAME);
    const old = new Database(file);
    migrate(old, MIGRATIONS.filter((m) => m.version <= 6));
    old.prepare(`INSERT INTO settings (key, value) VALUES ('marker', 'before the upgrade')`).run();
    // Free pages: SQLite's backup API copies them as they are; VACUUM INTO would leave none.
    old.prepare(`INSERT INTO settings (key, value) VALUES ('filler', ?)`).run('x'.repeat(64 * 1024));
    old.prepare(`DELETE FROM settings WHERE key = 'filler'`).run();
    const pagesBefore = old.pragma('page_count', { simple: true }) as number;
    expect(old.pragma('freelist_count', { simple: true })).toBeGreaterThan(0);
    old.close();

    const core = await openCore({ dataDir: dir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, backupIntervalMs: false, logger: silentLogger });
    expect(schemaVersion(core.db)).toBe(KNOWN);
    expect(core.db.prepare(`SELECT value FROM settings WHERE key = 'marker'`).pluck().get()).toBe('before the upgrade');
    await core.close();
    const [copy, ...others] = listBackups(dir);
    expect(others).toEqual([]);
    expect(copy).toMatchObject({ reason: 'pre-migration', schemaVersion: 6 });
    const check = new Database(copy!.file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(6);
    expect(check.pragma('quick_check', { simple: true })).toBe('ok');
    expect(check.pragma('page_count', { simple: true })).toBe(pagesBefore);
    expect(check.pragma('freelist_count', { simple: true })).toBeGreaterThan(0);
    expect(check.prepare(`SELECT value FROM settings WHERE key = 'marker'`).pluck().get()).toBe('before the upgrade');
    check.close();
    // Opened again: nothing left to migrate, so no second backup.
    const again = await openCore({ dataDir: dir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, backupIntervalMs: false, logger: silentLogger });
    await again.close();
    expect(listBackups(dir)).toHaveLength(1);
  });

  it('never migrates an older file without its backup: composeCore refuses it, and a backup that cannot be written leaves it unmigrated', async () => {
    const dir = tempDir();
    const file = join(dir, DATA_FILE_NAME);
    const old = new Database(file);
    migrate(old, MIGRATIONS.filter((m) => m.version <= 6));
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    const before = readFileSync(file);

    expect(() => compose(dir)).toThrow(MigrationPendingError);
    expect(() => compose(dir)).toThrow(/needs migrating to schema \d+, which is done only after an online backup: open it with prepareDataFile first \(the app's openCore does\)\. The file was not changed\.$/);
    expect(readFileSync(file).equals(before)).toBe(true);

    // backups/ cannot be made (a file is in its place): the backup fails, so no migration runs.
    writeFileSync(join(dir, 'backups'), 'not a folder');
    await expect(openCore({ dataDir: dir, keyProvider: testKeyProvider(), startScheduler: false, startWebhooks: false, backupIntervalMs: false, logger: silentLogger })).rejects.toThrow();
    const still = new Database(file, { readonly: true });
    expect(still.pragma('user_version', { simple: true })).toBe(6);
    still.close();
  });

  it('takes online backups with the backup API while the console runs, keeping the newest five of each kind', async () => {
    const dir = tempDir();
    const core = compose(dir);
    for (let i = 0; i < 7; i++) await takeBackup(core.db, dir, 'scheduled', new Date(Date.UTC(2030, 0, 1, i)));
    await takeBackup(core.db, dir, 'manual', new Date(Date.UTC(2030, 0, 2)));
    pruneBackups(dir);
    const list = listBackups(dir);
    expect(list.filter((b) => b.reason === 'scheduled').map((b) => b.createdAt)).toEqual(
      [6, 5, 4, 3, 2].map((h) => new Date(Date.UTC(2030, 0, 1, h)).toISOString()),
    );
    expect(list.filter((b) => b.reason === 'manual')).toHaveLength(1);
    const copy = new Database(list[0]!.file, { readonly: true });
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    copy.close();
    expect((await core.router.dispatch('dr:backups.list', {})).ok).toBe(true);
    await core.close();
  });

  it('restores a backup chosen over IPC when the console closes, keeping the file it replaces', async () => {
    const dir = tempDir();
    const core = await workspace(dir);
    const rows = snapshotRows(core.db);
    const made = await core.router.dispatch('dr:backups.create', {});
    if (!made.ok) throw new Error(made.error.message);
    const name = (made.value as { name: string }).name;
    core.db.prepare(`DELETE FROM audit_log WHERE action = 'test.fill'`).run();
    const answer = await core.router.dispatch('dr:backups.restore', { name });
    expect(answer).toMatchObject({ ok: true, value: { restarting: false, message: expect.stringMatching(/replaces the data file when the console closes; the current file is kept beside it\./) } });
    await core.close();
    const again = compose(dir);
    expect(lostOrChanged(rows, snapshotRows(again.db))).toEqual([]);
    await again.close();
  });
});

/** Overwrites three pages in the middle of a file with junk (a damaged disk or copy). */
function damagePages(file: string): Buffer {
  const pageSize = readFileSync(file).readUInt16BE(16);
  const pages = statSync(file).size / pageSize;
  const fd = openSync(file, 'r+');
  for (let p = Math.floor(pages / 2); p < Math.floor(pages / 2) + 3; p++) writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, p * pageSize);
  closeSync(fd);
  return readFileSync(file);
}

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The BackupService of a composed core, on its own schedule and clock. */
function scheduler(core: Core, dir: string, clock: Clock, extra: { intervalMs: number; dueDelayMs?: number }): BackupService {
  return new BackupService({ db: core.db, dataDir: dir, dataFile: core.dataFile, knownVersion: KNOWN, clock, audit: core.services.audit, logger: silentLogger, ...extra });
}

describe('backups', () => {
  it('takes a scheduled backup every interval with the backup API and keeps the newest five', async () => {
    const dir = tempDir();
    const core = compose(dir);
    // Each backup's time (its name) is an hour after the one before.
    let hour = 0;
    const clock: Clock = { now: () => new Date(Date.UTC(2030, 0, 1, hour++)), iso: () => new Date(Date.UTC(2030, 0, 1, hour)).toISOString() };
    const backups = scheduler(core, dir, clock, { intervalMs: 25 });
    backups.start();
    const scheduled = () => listBackups(dir).filter((b) => b.reason === 'scheduled');
    const first = (await until('the first scheduled backup', () => scheduled()[0])).name;
    // More than five were taken once the first one is gone and five remain.
    await until('the first backup pruned', () => scheduled().length === 5 && !scheduled().some((b) => b.name === first));
    await backups.stop();
    const kept = scheduled();
    expect(kept).toHaveLength(5);
    const hours = kept.map((b) => new Date(b.createdAt).getUTCHours());
    expect(hours).toEqual([...hours].sort((a, b) => b - a));
    expect(hours[0]! - hours[4]!).toBe(4);
    for (const b of kept) {
      const copy = new Database(b.file, { readonly: true });
      expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
      expect(copy.pragma('user_version', { simple: true })).toBe(KNOWN);
      copy.close();
    }
    // stop() ends the schedule: nothing more is taken.
    const names = kept.map((b) => b.name);
    await core.close();
    expect(scheduled().map((b) => b.name)).toEqual(names);
  });

  it('runs the schedule in a composed console (backupIntervalMs)', async () => {
    const dir = tempDir();
    const core = compose(dir, { backupIntervalMs: 30 });
    const made = await until('a scheduled backup', () => listBackups(dir).find((b) => b.reason === 'scheduled'));
    expect(made.schemaVersion).toBe(KNOWN);
    await core.close();
  });

  it('counts the schedule from the newest scheduled backup on disk, so short sessions still get one when it is due', async () => {
    const dir = tempDir();
    const core = compose(dir);
    const clock: Clock = { now: () => new Date(Date.UTC(2030, 0, 1, 12)), iso: () => new Date(Date.UTC(2030, 0, 1, 12)).toISOString() };
    // The last scheduled backup is 7 hours old; the interval is 6 hours: one is due at start.
    await takeBackup(core.db, dir, 'scheduled', new Date(Date.UTC(2030, 0, 1, 5)));
    const backups = scheduler(core, dir, clock, { intervalMs: 6 * 60 * 60 * 1000, dueDelayMs: 20 });
    backups.start();
    const made = await until('the due backup', () => listBackups(dir).find((b) => b.reason === 'scheduled' && b.createdAt === '2030-01-01T12:00:00.000Z'));
    await backups.stop();
    expect(made.schemaVersion).toBe(KNOWN);
    await core.close();
  });

  it('refuses to restore a damaged backup with a sentence, over IPC and at close, and changes nothing', async () => {
    const dir = tempDir();
    const core = await workspace(dir);
    const made = await core.services.backups.create('manual');
    const backupBytes = damagePages(join(dir, BACKUP_DIR, made.name));
    const rows = snapshotRows(core.db);

    const answer = await core.router.dispatch('dr:backups.restore', { name: made.name });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error.code).toBe('PreconditionFailed');
    expect(answer.error.message).toMatch(
      new RegExp(`^The backup ${made.name.replace(/\./g, '\\.')} is damaged \\(integrity check: .+\\), so it was not restored; the data file was not changed\\. Choose another backup\\.$`),
    );
    expect(lostOrChanged(rows, snapshotRows(core.db))).toEqual([]);
    await core.close();
    // Nothing was swapped when the console closed: no file kept aside, the same rows, the backup as it was.
    const file = join(dir, DATA_FILE_NAME);
    expect(readdirSync(dir).filter((n) => n.includes('.replaced-'))).toEqual([]);
    const fileBytes = readFileSync(file);

    // The offline restore (the start-up dialog's) refuses it the same way, before touching anything.
    const err = refusal(() => restoreBackup(file, dir, made.name, KNOWN, new Date()));
    expect(err.problem).toBe('damaged');
    expect(err.message).toMatch(/, so it was not restored; the data file was not changed\. Choose another backup\.$/);
    expect(readFileSync(file).equals(fileBytes)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.includes('.replaced-') || n.endsWith('.restoring'))).toEqual([]);
    expect(readFileSync(join(dir, BACKUP_DIR, made.name)).equals(backupBytes)).toBe(true);
    const again = compose(dir);
    expect(lostOrChanged(rows, snapshotRows(again.db))).toEqual([]);
    await again.close();
  });
});
