// The audit log: who did what to which subject. Append-only; callers pass non-secret detail only.

import type { AuditEntry } from '../../shared/domain';
import type { Db } from './connection';

export type AuditActor = 'operator' | 'scheduler' | 'system';

export interface AuditInput {
  at: string;
  actor: AuditActor;
  action: string;
  subjectId: string | null;
  detail: string;
}

interface RawAudit {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject_id: string | null;
  detail: string;
}

const toEntry = (r: RawAudit): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  subjectId: r.subject_id,
  detail: r.detail,
});

export class AuditRepo {
  private readonly insertStmt;
  private readonly listAllStmt;
  private readonly countAllStmt;
  private readonly listBySubjectStmt;
  private readonly countBySubjectStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      'INSERT INTO audit_log (at, actor, action, subject_id, detail) VALUES (@at, @actor, @action, @subjectId, @detail)',
    );
    this.listAllStmt = db.prepare<[number, number], RawAudit>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?');
    this.countAllStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit_log');
    this.listBySubjectStmt = db.prepare<[string, number, number], RawAudit>(
      'SELECT * FROM audit_log WHERE subject_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
    );
    this.countBySubjectStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE subject_id = ?');
  }

  record(e: AuditInput): number {
    return Number(this.insertStmt.run(e).lastInsertRowid);
  }

  list(f: { subjectId?: string | undefined; offset: number; limit: number }): { total: number; offset: number; items: AuditEntry[] } {
    if (f.subjectId !== undefined) {
      return {
        total: this.countBySubjectStmt.get(f.subjectId)?.n ?? 0,
        offset: f.offset,
        items: this.listBySubjectStmt.all(f.subjectId, f.limit, f.offset).map(toEntry),
      };
    }
    return {
      total: this.countAllStmt.get()?.n ?? 0,
      offset: f.offset,
      items: this.listAllStmt.all(f.limit, f.offset).map(toEntry),
    };
  }
}
