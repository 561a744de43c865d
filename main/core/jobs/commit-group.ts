// Group commit for the job journal: the writes that concurrent steps ask for during one turn of the
// event loop are committed in ONE transaction instead of one each, and its fsync runs off the event
// loop. A caller awaits its write's durability before it makes the cloud call the write protects, so
// the journal rule (an intent is durable before its call) holds; what changes is that 100 steps whose
// calls answered in the same millisecond pay for one fsync, and no step waits while another's runs.
//
// How the fsync leaves the event loop: in WAL mode a commit appends the transaction's frames to the
// -wal file; synchronous=FULL adds an fsync of that file, blocking the thread for the disk. Here the
// group commits with synchronous=NORMAL (the frames are written, not synced: a killed process loses
// nothing, the OS has them) and then fsyncs the -wal file on libuv's thread pool (fs.fsync); only when
// that returns are the writes durable against power loss, and only then do their callers resume and
// their journal points fire. The next group may commit while that fsync runs. A database that is not
// a WAL file on disk (":memory:", another journal mode) is committed with its own synchronous setting.

import { closeSync, fsync, openSync } from 'node:fs';
import type { Db } from '../../db/connection';

interface Pending {
  write: () => unknown;
  /** Runs right after the commit, before the caller resumes (the engine's journal points). */
  after: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface CommitStats {
  /** Transactions committed. */
  commits: number;
  /** fsyncs of the -wal file that made them durable (several commits share one). */
  fsyncs: number;
  /** Writes they carried. */
  writes: number;
}

export class CommitGroup {
  private pending: Pending[] = [];
  private scheduled = false;
  /** The -wal file's descriptor for the off-loop fsync; null: commit synchronously; undefined: not known yet. */
  private walFd: number | null | undefined;
  private syncing = 0;
  private unsynced: { batch: Pending[]; results: { ok: boolean; value: unknown }[] }[] = [];
  private waiters: (() => void)[] = [];
  readonly stats: CommitStats = { commits: 0, fsyncs: 0, writes: 0 };

  constructor(private readonly db: Db) {}

  private wal(): number | null {
    if (this.walFd !== undefined) return this.walFd;
    try {
      const mode = this.db.pragma('journal_mode', { simple: true });
      this.walFd = mode === 'wal' && !this.db.memory ? openSync(`${this.db.name}-wal`, 'r+') : null;
    } catch {
      this.walFd = null;
    }
    return this.walFd;
  }

  /** Closes the -wal descriptor (after the engine stopped); a later commit reopens it. */
  close(): void {
    if (typeof this.walFd === 'number') {
      try {
        closeSync(this.walFd);
      } catch {
        // Already closed with the process's files; nothing to release.
      }
    }
    this.walFd = undefined;
  }

  /**
   * Queues `write` (synchronous, inside a transaction of its own savepoint) for the next group commit;
   * resolves with its value once it is durable and `after` ran. A write that throws is rolled back
   * alone (its savepoint) and rejects; the others of its group still commit.
   */
  commit<T>(write: () => T, after?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, after, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate, not a microtask: every timer and I/O callback of this loop turn (all the calls
        // that answered meanwhile) gets to queue its write first.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also used by a synchronous write that must not overtake them). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const results: { ok: boolean; value: unknown }[] = [];
    const fd = this.db.open ? this.wal() : null;
    const previous = fd === null ? null : (this.db.pragma('synchronous', { simple: true }) as number);
    try {
      // NORMAL for this commit only: its fsync is done below, off the event loop.
      if (previous !== null) this.db.pragma('synchronous = NORMAL');
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            results.push({ ok: true, value: this.db.transaction(p.write)() });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
      })();
    } catch (err) {
      // The commit itself failed (file closed, disk gone): nothing of the group is durable.
      for (const p of batch) p.reject(err);
      return;
    } finally {
      if (previous !== null && this.db.open) this.db.pragma(`synchronous = ${previous}`);
    }
    this.stats.commits += 1;
    this.stats.writes += batch.length;
    if (fd === null) {
      this.settle(batch, results);
      return;
    }
    this.unsynced.push({ batch, results });
    if (this.syncing === 0) this.sync(fd);
  }

  /**
   * One fsync at a time: the groups committed while it runs wait for the next one, which covers them
   * all (it syncs every frame written so far). So the number of fsyncs follows the disk's speed, not
   * the number of writes, and a write waits for at most two of them.
   */
  private sync(fd: number): void {
    const groups = this.unsynced;
    this.unsynced = [];
    this.syncing += 1;
    this.stats.fsyncs += 1;
    fsync(fd, (err) => {
      this.syncing -= 1;
      for (const g of groups) {
        if (err) for (const p of g.batch) p.reject(err);
        else this.settle(g.batch, g.results);
      }
      if (this.unsynced.length > 0) this.sync(fd);
      else for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves once nothing is queued and no fsync is in flight. */
  async idle(): Promise<void> {
    while (this.pending.length > 0 || this.syncing > 0 || this.unsynced.length > 0) {
      if (this.pending.length > 0 && this.syncing === 0) this.flush();
      else await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private settle(batch: Pending[], results: { ok: boolean; value: unknown }[]): void {
    batch.forEach((p, i) => {
      const r = results[i];
      if (!r?.ok) {
        p.reject(r?.value);
        return;
      }
      try {
        p.after?.();
      } catch (err) {
        p.reject(err);
        return;
      }
      p.resolve(r.value);
    });
  }
}
