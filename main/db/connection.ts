// Opens the console's SQLite file with the durability settings the journal relies on
// (WAL, synchronous=FULL, foreign keys) and brings its schema up to date.
//
// Opening an existing file that needs a migration takes two steps, because the online backup taken
// first (SQLite's backup API, better-sqlite3's db.backup()) is asynchronous: prepareDataFile checks
// the file, backs it up and migrates it; openDatabase (synchronous, used by composeCore) then opens
// a file that is up to date. With `pendingMigrations: 'refuse'` openDatabase never migrates an
// existing file itself, so no path of the app migrates the operator's file without that backup.

import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { MIGRATIONS, type Migration } from './migrations';
import { checkDataFile, type DataFileProblem } from './file-check';
import { takeBackup, type BackupInfo } from './backups';

export type Db = Database.Database;

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for this runtime (Electron uses its own build). */
  nativeBinding?: string;
  migrations?: readonly Migration[];
  readonly?: boolean;
  /** The operator chose to start a new workspace in place of an empty (0-byte) file. */
  replaceEmpty?: boolean;
  /**
   * 'refuse': an existing file (schema above 0) that needs a migration is not migrated here but
   * refused, because it must be backed up first (prepareDataFile). 'apply' (default): migrate.
   */
  pendingMigrations?: 'apply' | 'refuse';
  /** What a refusal adds for the operator (which backup to restore). */
  remedy?: (problem: DataFileProblem) => string;
  /** The caller ran checkDataFile with its integrity check on this file just now (openCore): not again. */
  integrityChecked?: boolean;
}

/**
 * The checks made before anything writes to the file (even journal_mode): an empty, foreign, newer
 * or damaged file (PRAGMA quick_check) is refused with a DataFileError. openDatabase runs them;
 * openCore runs them once up front, so the migration and the open that follow need not read the
 * whole file again.
 */
export function checkBeforeOpen(file: string, opts: Pick<OpenOptions, 'nativeBinding' | 'migrations' | 'replaceEmpty' | 'remedy' | 'integrityChecked'> = {}): 'new' | 'existing' {
  const migrations = opts.migrations ?? MIGRATIONS;
  return checkDataFile(file, {
    knownVersion: migrations.reduce((max, m) => Math.max(max, m.version), 0),
    nativeBinding: opts.nativeBinding,
    replaceEmpty: opts.replaceEmpty ?? false,
    ...(opts.remedy ? { remedy: opts.remedy } : {}),
    ...(opts.integrityChecked ? { integrity: false } : {}),
  });
}

export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  const migrations = opts.migrations ?? MIGRATIONS;
  // Before anything writes (even journal_mode): an empty, foreign, newer or damaged file is refused.
  if (!opts.readonly) {
    checkBeforeOpen(file, opts);
    // Also before anything writes: a file that needs a migration waits for prepareDataFile.
    if (opts.pendingMigrations === 'refuse') {
      const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
      const current = liveVersion(file, opts.nativeBinding);
      if (current !== null && current > 0 && current < known) throw new MigrationPendingError(file, current, known);
    }
  }
  const db = new Database(file, {
    ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    ...(opts.readonly ? { readonly: true } : {}),
  });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      const current = schemaVersion(db);
      const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
      // The same rule, should the read-only look above have been unable to read the version.
      if (opts.pendingMigrations === 'refuse' && current > 0 && current < known) throw new MigrationPendingError(file, current, known);
      migrate(db, migrations);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** An existing file needs migrations that only prepareDataFile applies (after its backup). */
export class MigrationPendingError extends Error {
  constructor(
    readonly file: string,
    readonly version: number,
    readonly known: number,
  ) {
    super(`The data file ${file} (schema ${version}) needs migrating to schema ${known}, which is done only after an online backup: open it with prepareDataFile first (the app's openCore does). The file was not changed.`);
    this.name = 'MigrationPendingError';
  }
}

export interface PrepareOptions extends Pick<OpenOptions, 'nativeBinding' | 'migrations' | 'remedy' | 'integrityChecked'> {
  /** The data folder: the backup goes to its backups/. */
  dataDir: string;
  /** The backup's time (its name); the system clock by default. */
  now?: () => Date;
}

/**
 * The first half of opening an existing file: when it needs a migration, checks it (as
 * openDatabase would: empty, foreign, newer, damaged), takes an online backup of it as it is with
 * SQLite's backup API, then migrates it. Returns the backup, or null when nothing was to migrate
 * (no file, an empty or unreadable one, which openDatabase then refuses with its sentence, or one
 * already up to date). A failed backup throws before any migration: the file is left as it was.
 */
export async function prepareDataFile(file: string, opts: PrepareOptions): Promise<BackupInfo | null> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const version = liveVersion(file, opts.nativeBinding);
  if (version === null || version === 0 || version >= known) return null;
  // Checked (quick_check included) and opened without migrating; then copied; then migrated.
  const db = openDatabase(file, { ...opts, migrations: migrations.filter((m) => m.version <= version) });
  try {
    const backup = await takeBackup(db, opts.dataDir, 'pre-migration', (opts.now ?? (() => new Date()))());
    migrate(db, migrations);
    return backup;
  } finally {
    db.close();
  }
}

/** user_version as a read-only connection sees it (the WAL included), or null when it cannot be read. */
function liveVersion(file: string, nativeBinding: string | undefined): number | null {
  if (!existsSync(file) || statSync(file).size === 0) return null;
  let db: Db | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
    return db.pragma('user_version', { simple: true }) as number;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/** The schema version recorded in the file (0 for a new file). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration newer than the file's user_version, each in its own transaction.
 * A file written by a newer app (higher version than we know) is refused rather than damaged.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > known) {
    throw new Error(
      `This data file was written by a newer Failover Console (schema ${current}, this app knows ${known}). Update the app; the file was not changed.`,
    );
  }
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      // Data changes SQL cannot express (parsing what older versions stored) run in the same transaction.
      m.up?.(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return schemaVersion(db);
}
