// Resources test failovers created in the target (R1). Reset stamps deleted_at and the reset job;
// rows are never removed, so the record of what a rehearsal touched survives.

import type { TestResourceView } from '../../shared/domain';
import type { Db } from './connection';

export interface TestResourceRecord extends TestResourceView {
  stepId: string | null;
  resetJobId: string | null;
}

interface RawTestResource {
  id: string;
  policy_id: string;
  job_id: string;
  step_id: string | null;
  protected_resource_id: string | null;
  kind: string;
  native_id: string;
  name: string;
  region: string;
  created_at: string;
  deleted_at: string | null;
  reset_job_id: string | null;
}

const toRecord = (r: RawTestResource): TestResourceRecord => ({
  id: r.id,
  policyId: r.policy_id,
  jobId: r.job_id,
  stepId: r.step_id,
  protectedResourceId: r.protected_resource_id,
  kind: r.kind,
  nativeId: r.native_id,
  name: r.name,
  region: r.region,
  createdAt: r.created_at,
  deletedAt: r.deleted_at,
  resetJobId: r.reset_job_id,
});

export function toTestResourceView(r: TestResourceRecord): TestResourceView {
  return {
    id: r.id,
    policyId: r.policyId,
    jobId: r.jobId,
    protectedResourceId: r.protectedResourceId,
    kind: r.kind,
    nativeId: r.nativeId,
    name: r.name,
    region: r.region,
    createdAt: r.createdAt,
    deletedAt: r.deletedAt,
  };
}

export class TestResourcesRepo {
  private readonly insertStmt;
  private readonly liveStmt;
  private readonly allStmt;
  private readonly getStmt;
  private readonly markDeletedStmt;

  constructor(db: Db) {
    // A replayed step reports the same resources again: the first row stays.
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO test_resources
         (id, policy_id, job_id, step_id, protected_resource_id, kind, native_id, name, region, created_at)
       VALUES (@id, @policyId, @jobId, @stepId, @protectedResourceId, @kind, @nativeId, @name, @region, @createdAt)`,
    );
    // rowid order is creation order: a step's main resource before its dependents (disks, NICs...).
    this.liveStmt = db.prepare<[string], RawTestResource>(
      'SELECT * FROM test_resources WHERE policy_id = ? AND deleted_at IS NULL ORDER BY rowid',
    );
    this.allStmt = db.prepare<[string], RawTestResource>('SELECT * FROM test_resources WHERE policy_id = ? ORDER BY rowid');
    this.getStmt = db.prepare<[string], RawTestResource>('SELECT * FROM test_resources WHERE id = ?');
    this.markDeletedStmt = db.prepare(
      'UPDATE test_resources SET deleted_at = @at, reset_job_id = @resetJobId WHERE id = @id AND deleted_at IS NULL',
    );
  }

  /** Returns false when the resource was already recorded (a replayed step). */
  insert(r: Omit<TestResourceRecord, 'deletedAt' | 'resetJobId'>): boolean {
    return this.insertStmt.run(r).changes > 0;
  }

  live(policyId: string): TestResourceRecord[] {
    return this.liveStmt.all(policyId).map(toRecord);
  }

  list(policyId: string, includeDeleted: boolean): TestResourceRecord[] {
    return (includeDeleted ? this.allStmt.all(policyId) : this.liveStmt.all(policyId)).map(toRecord);
  }

  get(id: string): TestResourceRecord | null {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  markDeleted(id: string, resetJobId: string, at: string): boolean {
    return this.markDeletedStmt.run({ id, resetJobId, at }).changes > 0;
  }
}
