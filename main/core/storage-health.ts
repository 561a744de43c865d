// Read-only mode: after a failed write (disk full, I/O error, read-only or damaged file) the console
// keeps listing, searching and exporting from what is committed, refuses every change with the
// sentence that names the cause, and returns to normal once a test write succeeds (Check again).
//
// A small reserve file next to the data file is given back to the disk at the first "disk full",
// so the job that hit it can still be closed with its sentence instead of staying "running".

import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import type { Db } from '../db/connection';
import { storageFault, type StorageFault } from '../db/storage-errors';
import type { Clock } from './clock';
import { DomainError } from './errors';
import type { EventBus } from './events';
import type { Logger } from './logger';

export interface StorageState {
  readOnly: boolean;
  /** The sentence naming the cause, while read-only. */
  reason: string | null;
  since: string | null;
}

/** Channels that keep working while read-only: they read what is committed (or leave the file). */
const READS = /\.(info|list|get|search|export\w*|mappings|awsProfiles|tenants|subscriptions|resourceGroups|testScope|prepare|recheck|restore)$/;

export const RESERVE_BYTES = 256 * 1024;

export class StorageHealth {
  private state: StorageState = { readOnly: false, reason: null, since: null };
  /** Closes of jobs that could not be written yet; retried by recheck. */
  private readonly pending = new Map<string, () => void>();

  constructor(
    private readonly d: { db: Db; events: EventBus; logger: Logger; clock: Clock; reserveFile?: string | undefined },
  ) {}

  status(): StorageState {
    return { ...this.state };
  }

  /** Keeps a little disk space back for the writes that close a job at the first "disk full". */
  ensureReserve(): void {
    const file = this.d.reserveFile;
    if (!file || existsSync(file)) return;
    let fd: number | null = null;
    try {
      fd = openSync(file, 'w');
      writeSync(fd, Buffer.alloc(RESERVE_BYTES));
    } catch (err) {
      // Not enough room for it: no reserve, and nothing else is affected.
      this.d.logger.warn('Could not create the storage reserve file', err);
      if (fd !== null) closeSync(fd);
      rmSync(file, { force: true });
      return;
    }
    closeSync(fd);
  }

  /**
   * Called with any error of a write. A storage fault switches the console to read-only mode
   * (once, with an event for the banner) and is returned; anything else returns null.
   */
  fault(err: unknown): StorageFault | null {
    const fault = storageFault(err);
    if (!fault) return null;
    if (fault.kind === 'full' && this.d.reserveFile) rmSync(this.d.reserveFile, { force: true });
    if (!this.state.readOnly) {
      this.state = { readOnly: true, reason: fault.sentence, since: this.d.clock.iso() };
      this.d.logger.error(`Storage fault (${fault.code}); the console is read-only until a write succeeds`, err);
      this.d.events.emit('dr:storage.changed', this.status());
    }
    return fault;
  }

  /** A job close that failed because of the fault, retried when writes work again. */
  deferClose(jobId: string, close: () => void): void {
    this.pending.set(jobId, close);
  }

  /** Refuses a change while read-only; reads pass. */
  guard(channel: string): void {
    if (!this.state.readOnly || READS.test(channel)) return;
    throw new DomainError(
      'StorageUnavailable',
      `The console is read-only: ${this.state.reason ?? 'its data file cannot be written.'} Lists, searches and exports still work; nothing was changed.`,
    );
  }

  /** Check again: a test write; on success the deferred closes are written and read-only mode ends. */
  recheck(): StorageState {
    if (!this.state.readOnly) return this.status();
    try {
      this.d.db.transaction(() => {
        this.d.db.prepare(`INSERT INTO settings (key, value) VALUES ('storage.lastWriteCheck', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(this.d.clock.iso());
      }).immediate();
      for (const [jobId, close] of [...this.pending]) {
        close();
        this.pending.delete(jobId);
      }
      // Give the write-ahead log's space back to the disk: after a full disk it is most of what grew.
      this.d.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      const fault = storageFault(err);
      if (!fault) throw err;
      this.state = { ...this.state, reason: fault.sentence };
      return this.status();
    }
    this.state = { readOnly: false, reason: null, since: null };
    this.ensureReserve();
    this.d.events.emit('dr:storage.changed', this.status());
    return this.status();
  }
}
