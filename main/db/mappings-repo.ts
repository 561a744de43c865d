// Source -> target mapping of every resource a failover created or reused, dependents included
// (R8's ResourceMapping, the failover report). A replayed step inserts nothing twice.

import type { ResourceMappingView } from '../../shared/domain';
import type { Db } from './connection';

export interface MappingInput {
  jobId: string;
  stepId: string | null;
  protectedResourceId: string | null;
  sourceId: string;
  kind: string;
  name: string;
  targetId: string;
  reused: boolean;
}

interface RawMapping {
  protected_resource_id: string | null;
  source_id: string;
  kind: string;
  name: string;
  target_id: string;
  reused: number;
}

export class MappingsRepo {
  private readonly insertStmt;
  private readonly byJobStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO resource_mappings (job_id, step_id, protected_resource_id, source_id, kind, name, target_id, reused)
       VALUES (@jobId, @stepId, @protectedResourceId, @sourceId, @kind, @name, @targetId, @reused)`,
    );
    this.byJobStmt = db.prepare<[string], RawMapping>(
      `SELECT protected_resource_id, source_id, kind, name, target_id, reused FROM resource_mappings WHERE job_id = ? ORDER BY id`,
    );
  }

  insert(m: MappingInput): boolean {
    return this.insertStmt.run({ ...m, reused: m.reused ? 1 : 0 }).changes > 0;
  }

  /** In the order the steps produced them (a VM before its disks, NIC, network and public IP). */
  byJob(jobId: string): ResourceMappingView[] {
    return this.byJobStmt.all(jobId).map((r) => ({
      protectedResourceId: r.protected_resource_id,
      sourceId: r.source_id,
      kind: r.kind,
      name: r.name,
      targetId: r.target_id,
      reused: r.reused === 1,
    }));
  }
}
