// Group commit for the job journal: the writes that concurrent steps ask for during one turn of the
// event loop are committed in ONE transaction (one fsync under synchronous=FULL) instead of one each.
// A caller awaits its write's durability before it makes the cloud call the write protects, so the
// journal rule (an intent is durable before its call) holds; what changes is that 100 steps whose
// calls answered in the same millisecond pay for one fsync, not 100 blocking ones in a row.

import type { Db } from '../../db/connection';

interface Pending {
  write: () => unknown;
  /** Runs right after the commit, before the caller resumes (the engine's journal points). */
  after: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface CommitStats {
  /** Transactions committed (fsyncs). */
  commits: number;
  /** Writes they carried. */
  writes: number;
}

export class CommitGroup {
  private pending: Pending[] = [];
  private scheduled = false;
  readonly stats: CommitStats = { commits: 0, writes: 0 };

  constructor(private readonly db: Db) {}

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
    try {
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
    }
    this.stats.commits += 1;
    this.stats.writes += batch.length;
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
