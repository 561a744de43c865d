// Backups of the data file for the operator: a scheduled online backup (SQLite's backup API), one on
// request, the list, and a restore, which takes effect when the core closes (the console restarts).
// The schedule counts from the newest scheduled backup on disk, so a console that is only ever open
// for short sessions still gets one per interval (a minute after start once one is due); backups
// never overlap; the newest few of each kind are kept (KEEP_PER_REASON in db/backups).

import { DataFileError } from '../db/file-check';
import { checkBackup, listBackups, restoreBackup, takeBackup, type BackupInfo } from '../db/backups';
import type { Db } from '../db/connection';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { notFound, precondition } from './errors';
import type { Logger } from './logger';

export const DEFAULT_BACKUP_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** A backup that is already due waits this long after start, so it does not slow the start-up. */
export const DUE_BACKUP_DELAY_MS = 60_000;

export interface BackupView {
  name: string;
  createdAt: string;
  reason: BackupInfo['reason'];
  schemaVersion: number;
  bytes: number;
}

const view = (b: BackupInfo): BackupView => ({ name: b.name, createdAt: b.createdAt, reason: b.reason, schemaVersion: b.schemaVersion, bytes: b.bytes });

export interface BackupServiceDeps {
  db: Db;
  dataDir: string;
  dataFile: string;
  knownVersion: number;
  clock: Clock;
  audit: AuditLog;
  logger: Logger;
  nativeBinding?: string | undefined;
  intervalMs?: number;
  /** How long after start a backup that is already due waits (DUE_BACKUP_DELAY_MS). */
  dueDelayMs?: number;
  /** Asked to restart the console once a restore is chosen (Electron relaunches; tools close). */
  onRestartRequested?: (() => void) | undefined;
}

export class BackupService {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private scheduled = false;
  private pendingRestore: string | null = null;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly d: BackupServiceDeps) {}

  list(): BackupView[] {
    return listBackups(this.d.dataDir).map(view);
  }

  async create(reason: 'manual' | 'scheduled' = 'manual'): Promise<BackupView> {
    const task = takeBackup(this.d.db, this.d.dataDir, reason, this.d.clock.now());
    this.running.add(task);
    try {
      const made = await task;
      if (reason === 'manual') this.d.audit.record('operator', 'backup.create', null, made.name);
      return view(made);
    } finally {
      this.running.delete(task);
    }
  }

  /** Checks the backup now; the file is swapped when the core closes (nothing is deleted). */
  requestRestore(name: string): { restarting: boolean; message: string } {
    const backup = listBackups(this.d.dataDir).find((b) => b.name === name);
    if (!backup) throw notFound('Backup', name);
    try {
      checkBackup(backup, this.d.knownVersion, this.d.nativeBinding);
    } catch (err) {
      if (err instanceof DataFileError) throw precondition(err.message);
      throw err;
    }
    this.pendingRestore = name;
    try {
      this.d.audit.record('operator', 'backup.restore', null, `${name} chosen; restored when the console restarts`);
    } catch {
      // Read-only mode: the restore is the way out, and it does not need this row.
    }
    const restarting = this.d.onRestartRequested !== undefined;
    if (restarting) setImmediate(() => this.d.onRestartRequested?.());
    return {
      restarting,
      message: restarting
        ? `The console restarts now with the backup of ${backup.createdAt}; the current file is kept beside it.`
        : `The backup of ${backup.createdAt} replaces the data file when the console closes; the current file is kept beside it.`,
    };
  }

  /** Scheduled backups every `intervalMs`, counted from the newest scheduled backup on disk. */
  start(intervalMs = this.d.intervalMs ?? DEFAULT_BACKUP_INTERVAL_MS): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const last = listBackups(this.d.dataDir).find((b) => b.reason === 'scheduled');
    const dueIn = last ? Date.parse(last.createdAt) + intervalMs - this.d.clock.now().getTime() : intervalMs;
    this.arm(Math.min(intervalMs, Math.max(Math.min(this.d.dueDelayMs ?? DUE_BACKUP_DELAY_MS, intervalMs), dueIn)), intervalMs);
  }

  /** The next scheduled backup; the one after is armed once this one finished (they never overlap). */
  private arm(delayMs: number, intervalMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.create('scheduled')
        .catch((err: unknown) => this.d.logger.warn('Scheduled backup failed', err))
        .finally(() => {
          if (this.scheduled) this.arm(intervalMs, intervalMs);
        });
    }, delayMs);
    // A pending backup never keeps a closing process alive.
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.running]);
  }

  /** After the database closed: puts the chosen backup in place. */
  applyPendingRestore(): { replacedBy: string; keptAs: string | null } | null {
    if (!this.pendingRestore) return null;
    const name = this.pendingRestore;
    this.pendingRestore = null;
    return restoreBackup(this.d.dataFile, this.d.dataDir, name, this.d.knownVersion, this.d.clock.now(), this.d.nativeBinding);
  }
}
