// Copies of the data file in <data folder>/backups, every one taken online with better-sqlite3's
// backup API (SQLite's online backup, sqlite3_backup_*): on a schedule, on request, and right
// before a migration (prepareDataFile, the asynchronous first half of opening a file); the newest
// few of each kind are kept. A restore checks the copy first (a damaged or foreign copy is refused
// with a sentence and nothing changes), keeps the file it replaces beside it, and deletes neither.

import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './connection';
import { DataFileError, checkDataFile, type DataFileProblem } from './file-check';

export const BACKUP_DIR = 'backups';
export const KEEP_PER_REASON = 5;
export type BackupReason = 'scheduled' | 'manual' | 'pre-migration';

export interface BackupInfo {
  name: string;
  file: string;
  createdAt: string;
  reason: BackupReason;
  schemaVersion: number;
  bytes: number;
}

const NAME = /^console-(\d{8}T\d{6}\d{3}Z)-v(\d+)-(scheduled|manual|pre-migration)\.sqlite$/;

const stamp = (d: Date) => d.toISOString().replace(/[-:.]/g, '');
const unstamp = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;

export function backupDir(dataDir: string): string {
  return join(dataDir, BACKUP_DIR);
}

export function backupName(at: Date, version: number, reason: BackupReason): string {
  return `console-${stamp(at)}-v${version}-${reason}.sqlite`;
}

/** Newest first. */
export function listBackups(dataDir: string): BackupInfo[] {
  const dir = backupDir(dataDir);
  if (!existsSync(dir)) return [];
  const out: BackupInfo[] = [];
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    out.push({ name, file, createdAt: unstamp(m[1]!), schemaVersion: Number(m[2]), reason: m[3] as BackupReason, bytes: statSync(file).size });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.name < b.name ? 1 : -1));
}

export function pruneBackups(dataDir: string, keep = KEEP_PER_REASON): void {
  const seen = new Map<BackupReason, number>();
  for (const b of listBackups(dataDir)) {
    const n = (seen.get(b.reason) ?? 0) + 1;
    seen.set(b.reason, n);
    if (n > keep) rmSync(b.file, { force: true });
  }
}

/**
 * An online backup with SQLite's backup API (the WAL's committed pages included); written under a
 * temporary name, then renamed, so a crash mid-copy never leaves a half file under a backup name.
 */
export async function takeBackup(db: Db, dataDir: string, reason: BackupReason, at: Date): Promise<BackupInfo> {
  mkdirSync(backupDir(dataDir), { recursive: true });
  const version = db.pragma('user_version', { simple: true }) as number;
  const name = backupName(at, version, reason);
  const file = join(backupDir(dataDir), name);
  const partial = `${file}.partial`;
  try {
    await db.backup(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  pruneBackups(dataDir);
  return listBackups(dataDir).find((b) => b.name === name)!;
}

/**
 * Checks that a backup can be restored (the checks a data file gets at open: empty, foreign, newer,
 * quick_check); throws a DataFileError whose sentence says the backup was not restored.
 */
export function checkBackup(backup: BackupInfo, knownVersion: number, nativeBinding?: string): void {
  try {
    checkDataFile(backup.file, { knownVersion, nativeBinding });
  } catch (err) {
    if (!(err instanceof DataFileError)) throw err;
    const what: Record<DataFileProblem, string> = {
      empty: 'is empty (0 bytes)',
      foreign: 'is not a Failover Console data file',
      newer: `was written by a newer Failover Console (this app knows schema ${knownVersion})`,
      damaged: `is damaged (integrity check: ${err.detail ?? 'failed'})`,
    };
    throw new DataFileError(
      err.problem,
      `The backup ${backup.name} ${what[err.problem]}, so it was not restored; the data file was not changed. Choose another backup.`,
      backup.file,
      err.detail,
    );
  }
}

/**
 * Puts a backup in place of the data file (the console must be closed). The copy is checked first
 * (checkBackup: a damaged one is refused and nothing changes); the replaced file and its WAL are
 * kept as `<file>.replaced-<time>`.
 */
export function restoreBackup(dataFile: string, dataDir: string, name: string, knownVersion: number, at: Date, nativeBinding?: string): { replacedBy: string; keptAs: string | null } {
  const backup = listBackups(dataDir).find((b) => b.name === name);
  if (!backup) throw new DataFileError('foreign', `There is no backup named ${name}; the data file was not changed.`, name);
  checkBackup(backup, knownVersion, nativeBinding);
  const keptAs = existsSync(dataFile) ? `${dataFile}.replaced-${stamp(at)}` : null;
  if (keptAs) {
    // Fold the WAL into the file being replaced, so the kept copy is one self-contained file.
    try {
      const old = new Database(dataFile, nativeBinding ? { nativeBinding } : {});
      old.pragma('wal_checkpoint(TRUNCATE)');
      old.close();
    } catch {
      /* a damaged file: keep it as it is, WAL and all */
    }
    renameSync(dataFile, keptAs);
    for (const ext of ['-wal', '-shm']) if (existsSync(dataFile + ext)) renameSync(dataFile + ext, keptAs + ext);
  }
  copyFileSync(backup.file, `${dataFile}.restoring`);
  renameSync(`${dataFile}.restoring`, dataFile);
  return { replacedBy: backup.file, keptAs };
}
