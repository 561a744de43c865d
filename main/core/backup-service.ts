// Backups of the data file for the operator: a scheduled online backup (SQLite's backup API), one on
// request, the list, and a restore, which takes effect when the core closes (the console restarts).

import { checkDataFile } from '../db/file-check';
import { listBackups, restoreBackup, takeBackup, type BackupInfo } from '../db/backups';
import type { Db } from '../db/connection';
import type { AuditLog } from './audit-log';
import type { Clock } from './clock';
import { notFound, precondition } from './errors';
import type { Logger } from './logger';

export const DEFAULT_BACKUP_INTERVAL_MS = 6 * 60 * 60 * 1000;

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
  /** Asked to restart the console once a restore is chosen (Electron relaunches; tools close). */
  onRestartRequested?: (() => void) | undefined;
}

export class BackupService {
  private timer: ReturnType<typeof setInterval> | null = null;
  private pendingRestore: string | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly d: BackupServiceDeps) {}

  list(): BackupView[] {
    return listBackups(this.d.dataDir).map(view);
  }

  async create(reason: 'manual' | 'scheduled' = 'manual'): Promise<BackupView> {
    const task = takeBackup(this.d.db, this.d.dataDir, reason, this.d.clock.now());
    this.running = task;
    try {
      const made = await task;
      if (reason === 'manual') this.d.audit.record('operator', 'backup.create', null, made.name);
      return view(made);
    } finally {
      this.running = null;
    }
  }

  /** Checks the backup now; the file is swapped when the core closes (nothing is deleted). */
  requestRestore(name: string): { restarting: boolean; message: string } {
    const backup = listBackups(this.d.dataDir).find((b) => b.name === name);
    if (!backup) throw notFound('Backup', name);
    try {
      checkDataFile(backup.file, { knownVersion: this.d.knownVersion, nativeBinding: this.d.nativeBinding });
    } catch (err) {
      throw precondition(`That backup cannot be restored: ${err instanceof Error ? err.message : String(err)}`);
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

  start(intervalMs = this.d.intervalMs ?? DEFAULT_BACKUP_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.create('scheduled').catch((err: unknown) => this.d.logger.warn('Scheduled backup failed', err));
    }, intervalMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** After the database closed: puts the chosen backup in place. */
  applyPendingRestore(): { replacedBy: string; keptAs: string | null } | null {
    if (!this.pendingRestore) return null;
    const name = this.pendingRestore;
    this.pendingRestore = null;
    return restoreBackup(this.d.dataFile, this.d.dataDir, name, this.d.knownVersion, this.d.clock.now(), this.d.nativeBinding);
  }
}
