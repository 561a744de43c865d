// Recovery points and their per-resource items. Paging walks the (policy_id, created_at) indexes,
// so the picker stays fast at 100,000 points per policy; counts come from the same indexes.

import type { ResourceTypeId } from '../../shared/catalog';
import type { RecoveryPointItemView, RecoveryPointStatus, RecoveryPointView } from '../../shared/domain';
import type { DataRef } from '../providers/types';
import type { Db } from './connection';
import { StatementCache } from './statement-cache';

export interface RecoveryPointFilter {
  policyId: string;
  status?: RecoveryPointStatus | undefined;
  /** A point id (or its beginning) or the beginning of its ISO time. */
  query?: string | undefined;
  offset: number;
  limit: number;
}

export interface RecoveryPointItemRecord {
  id: string;
  recoveryPointId: string;
  protectedResourceId: string;
  status: 'succeeded' | 'failed';
  metadata: Record<string, unknown>;
  dataRefs: DataRef[];
  error: string | null;
  capturedAt: string;
}

interface RawPoint {
  id: string;
  policy_id: string;
  job_id: string;
  status: RecoveryPointStatus;
  created_at: string;
  completed_at: string | null;
  item_count: number;
  failed_item_count: number;
}

interface RawItem {
  id: string;
  recovery_point_id: string;
  protected_resource_id: string;
  status: 'succeeded' | 'failed';
  metadata: string;
  data_refs: string;
  error: string | null;
  captured_at: string;
}

const COLUMNS = `rp.id, rp.policy_id, rp.job_id, rp.status, rp.created_at, rp.completed_at,
  (SELECT COUNT(*) FROM recovery_point_items i WHERE i.recovery_point_id = rp.id) AS item_count,
  (SELECT COUNT(*) FROM recovery_point_items i WHERE i.recovery_point_id = rp.id AND i.status = 'failed') AS failed_item_count`;

const toView = (r: RawPoint): RecoveryPointView => ({
  id: r.id,
  policyId: r.policy_id,
  jobId: r.job_id,
  status: r.status,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  itemCount: r.item_count,
  failedItemCount: r.failed_item_count,
});

const toItem = (r: RawItem): RecoveryPointItemRecord => ({
  id: r.id,
  recoveryPointId: r.recovery_point_id,
  protectedResourceId: r.protected_resource_id,
  status: r.status,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  dataRefs: JSON.parse(r.data_refs) as DataRef[],
  error: r.error,
  capturedAt: r.captured_at,
});

export class RecoveryPointsRepo {
  private readonly insertStmt;
  private readonly completeStmt;
  private readonly getStmt;
  private readonly insertItemStmt;
  private readonly itemsViewStmt;
  private readonly itemsStmt;
  private readonly latestSucceededStmt;
  private readonly itemStatusStmt;
  private readonly cache: StatementCache;

  constructor(db: Db) {
    this.cache = new StatementCache(db);
    this.insertStmt = db.prepare(
      `INSERT INTO recovery_points (id, policy_id, job_id, status, created_at) VALUES (@id, @policyId, @jobId, 'in_progress', @createdAt)`,
    );
    this.completeStmt = db.prepare(
      `UPDATE recovery_points SET status = @status, completed_at = @at WHERE id = @id AND status = 'in_progress'`,
    );
    this.getStmt = db.prepare<[string], RawPoint>(`SELECT ${COLUMNS} FROM recovery_points rp WHERE rp.id = ?`);
    this.insertItemStmt = db.prepare(
      `INSERT INTO recovery_point_items (id, recovery_point_id, protected_resource_id, status, metadata, data_refs, error, captured_at)
       VALUES (@id, @recoveryPointId, @protectedResourceId, @status, @metadata, @dataRefs, @error, @capturedAt)
       ON CONFLICT (recovery_point_id, protected_resource_id) DO UPDATE SET
         status = excluded.status, metadata = excluded.metadata, data_refs = excluded.data_refs,
         error = excluded.error, captured_at = excluded.captured_at`,
    );
    this.itemsViewStmt = db.prepare<[string], RawItem & { resource_name: string; resource_type: ResourceTypeId }>(
      `SELECT i.*, r.name AS resource_name, r.type AS resource_type
       FROM recovery_point_items i JOIN protected_resources r ON r.id = i.protected_resource_id
       WHERE i.recovery_point_id = ? ORDER BY r.name, i.id`,
    );
    this.itemsStmt = db.prepare<[string], RawItem>('SELECT * FROM recovery_point_items WHERE recovery_point_id = ?');
    this.latestSucceededStmt = db.prepare<[string], RawPoint>(
      `SELECT ${COLUMNS} FROM recovery_points rp WHERE rp.policy_id = ? AND rp.status = 'succeeded'
       ORDER BY rp.created_at DESC LIMIT 1`,
    );
    this.itemStatusStmt = db.prepare<[string], { total: number; failed: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(status = 'failed'), 0) AS failed FROM recovery_point_items WHERE recovery_point_id = ?`,
    );
  }

  insert(p: { id: string; policyId: string; jobId: string; createdAt: string }): void {
    this.insertStmt.run(p);
  }

  /** Final status of an in-progress point; a completed point is never rewritten. */
  complete(id: string, status: Exclude<RecoveryPointStatus, 'in_progress'>, at: string): boolean {
    return this.completeStmt.run({ id, status, at }).changes > 0;
  }

  get(id: string): RecoveryPointView | null {
    const row = this.getStmt.get(id);
    return row ? toView(row) : null;
  }

  latestSucceeded(policyId: string): RecoveryPointView | null {
    const row = this.latestSucceededStmt.get(policyId);
    return row ? toView(row) : null;
  }

  upsertItem(item: RecoveryPointItemRecord): void {
    this.insertItemStmt.run({
      ...item,
      metadata: JSON.stringify(item.metadata),
      dataRefs: JSON.stringify(item.dataRefs),
    });
  }

  items(recoveryPointId: string): RecoveryPointItemRecord[] {
    return this.itemsStmt.all(recoveryPointId).map(toItem);
  }

  itemViews(recoveryPointId: string): RecoveryPointItemView[] {
    return this.itemsViewStmt.all(recoveryPointId).map((r) => {
      const item = toItem(r);
      return {
        id: item.id,
        protectedResourceId: item.protectedResourceId,
        resourceName: r.resource_name,
        type: r.resource_type,
        status: item.status,
        metadata: item.metadata,
        dataRefs: item.dataRefs,
        error: item.error,
        capturedAt: item.capturedAt,
      };
    });
  }

  itemCounts(recoveryPointId: string): { total: number; failed: number } {
    return this.itemStatusStmt.get(recoveryPointId) ?? { total: 0, failed: 0 };
  }

  list(f: RecoveryPointFilter): { total: number; offset: number; items: RecoveryPointView[] } {
    const where = ['rp.policy_id = @policyId'];
    const params: Record<string, unknown> = { policyId: f.policyId, limit: f.limit, offset: f.offset };
    if (f.status !== undefined) {
      where.push('rp.status = @status');
      params.status = f.status;
    }
    const q = f.query?.trim();
    if (q) {
      // Times are ASCII ISO strings: a prefix is a range on the (policy, created_at) index; U+FFFF sorts
      // after any of them. Ids never start with a digit, so a query is one or the other: an OR of both
      // would defeat the index and scan every point of the policy.
      params.q = q;
      if (/^\d/.test(q)) {
        where.push('rp.created_at >= @q AND rp.created_at < @qEnd');
        params.qEnd = `${q}\uffff`;
      } else {
        where.push('substr(rp.id, 1, length(@q)) = @q');
      }
    }
    const clause = where.join(' AND ');
    const total = (this.cache.get(`SELECT COUNT(*) AS n FROM recovery_points rp WHERE ${clause}`).get(params) as { n: number }).n;
    const rows = this.cache
      .get(`SELECT ${COLUMNS} FROM recovery_points rp WHERE ${clause} ORDER BY rp.created_at DESC LIMIT @limit OFFSET @offset`)
      .all(params) as RawPoint[];
    return { total, offset: f.offset, items: rows.map(toView) };
  }
}
