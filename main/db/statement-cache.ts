// Prepared statements for queries whose WHERE clause depends on optional filters: one statement
// per distinct SQL text, prepared once, so paging through filters stays cheap.

import type { Db } from './connection';
import type { Statement } from 'better-sqlite3';

export class StatementCache {
  private readonly cache = new Map<string, Statement>();
  constructor(private readonly db: Db) {}

  get(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}
