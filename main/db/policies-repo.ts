// Resilience policies and the resources they protect. Reads return records with the aggregates
// the policy list needs (resource count, latest successful point, running job) in one query.

import type { Cloud, ResourceTypeId } from '../../shared/catalog';
import type { PolicyState, ProtectedResourceView, ProviderKind } from '../../shared/domain';
import type { Db } from './connection';

export interface PolicyRow {
  id: string;
  name: string;
  sourceEnvironmentId: string;
  targetEnvironmentId: string;
  state: PolicyState;
  schedule: string | null;
  webhookUrl: string | null;
  /** A signing secret is stored (the sealed secret itself is read only by the webhook outbox). */
  webhookSigned: boolean;
  webhookOnTestFailover: boolean;
  /** The operator allowed a link-local / metadata webhook target (migration 8). */
  webhookAllowPrivateTargets: boolean;
  failoverJobId: string | null;
  failedOverAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PolicyRecord extends PolicyRow {
  cloud: Cloud;
  provider: ProviderKind;
  source: { id: string; name: string; region: string };
  target: { id: string; name: string; region: string };
  resourceCount: number;
  latestRecoveryPointAt: string | null;
  runningJobId: string | null;
}

export interface ProtectedResourceRecord {
  id: string;
  policyId: string;
  type: ResourceTypeId;
  nativeId: string;
  name: string;
  addedAt: string;
  removedAt: string | null;
}

interface RawPolicy {
  id: string;
  name: string;
  source_environment_id: string;
  target_environment_id: string;
  state: PolicyState;
  schedule: string | null;
  webhook_url: string | null;
  webhook_secret: Buffer | null;
  webhook_on_test_failover: number;
  webhook_allow_private: number;
  failover_job_id: string | null;
  failed_over_at: string | null;
  created_at: string;
  updated_at: string;
  cloud: Cloud;
  provider: ProviderKind;
  s_name: string;
  s_region: string;
  t_name: string;
  t_region: string;
  resource_count: number;
  latest_rp: string | null;
  running_job_id: string | null;
}

interface RawResource {
  id: string;
  policy_id: string;
  type: ResourceTypeId;
  native_id: string;
  name: string;
  added_at: string;
  removed_at: string | null;
}

const SELECT = `
SELECT p.*, a.cloud, a.provider,
  se.name AS s_name, se.region AS s_region, te.name AS t_name, te.region AS t_region,
  (SELECT COUNT(*) FROM protected_resources r WHERE r.policy_id = p.id AND r.removed_at IS NULL) AS resource_count,
  (SELECT MAX(rp.created_at) FROM recovery_points rp WHERE rp.policy_id = p.id AND rp.status = 'succeeded') AS latest_rp,
  (SELECT j.id FROM jobs j WHERE j.policy_id = p.id AND j.status IN ('queued','running')
     ORDER BY j.created_at DESC LIMIT 1) AS running_job_id
FROM policies p
JOIN environments se ON se.id = p.source_environment_id
JOIN environments te ON te.id = p.target_environment_id
JOIN accounts a ON a.id = se.account_id`;

const toRecord = (r: RawPolicy): PolicyRecord => ({
  id: r.id,
  name: r.name,
  sourceEnvironmentId: r.source_environment_id,
  targetEnvironmentId: r.target_environment_id,
  state: r.state,
  schedule: r.schedule,
  webhookUrl: r.webhook_url,
  webhookSigned: r.webhook_secret !== null,
  webhookOnTestFailover: r.webhook_on_test_failover === 1,
  webhookAllowPrivateTargets: r.webhook_allow_private === 1,
  failoverJobId: r.failover_job_id,
  failedOverAt: r.failed_over_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  cloud: r.cloud,
  provider: r.provider,
  source: { id: r.source_environment_id, name: r.s_name, region: r.s_region },
  target: { id: r.target_environment_id, name: r.t_name, region: r.t_region },
  resourceCount: r.resource_count,
  latestRecoveryPointAt: r.latest_rp,
  runningJobId: r.running_job_id,
});

const toResource = (r: RawResource): ProtectedResourceRecord => ({
  id: r.id,
  policyId: r.policy_id,
  type: r.type,
  nativeId: r.native_id,
  name: r.name,
  addedAt: r.added_at,
  removedAt: r.removed_at,
});

export function toProtectedResourceView(r: ProtectedResourceRecord): ProtectedResourceView {
  return { id: r.id, policyId: r.policyId, type: r.type, nativeId: r.nativeId, name: r.name, addedAt: r.addedAt };
}

export class PoliciesRepo {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly getStmt;
  private readonly listAllStmt;
  private readonly listByStateStmt;
  private readonly byNameStmt;
  private readonly scheduledStmt;
  private readonly resourcesStmt;
  private readonly allResourcesStmt;
  private readonly resourceStmt;
  private readonly insertResourceStmt;
  private readonly reviveResourceStmt;
  private readonly retireResourceStmt;
  private readonly liveTestResourcesStmt;
  private readonly beginFailoverStmt;
  private readonly finishFailoverStmt;
  private readonly webhookOptInStmt;
  private readonly webhookSecretStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO policies (id, name, source_environment_id, target_environment_id, state, schedule, webhook_url, created_at, updated_at)
       VALUES (@id, @name, @sourceEnvironmentId, @targetEnvironmentId, 'active', @schedule, @webhookUrl, @createdAt, @updatedAt)`,
    );
    // The state and version guards make the update a compare-and-set: a concurrent edit or a
    // failover that started in between leaves the row untouched (changes = 0).
    this.updateStmt = db.prepare(
      `UPDATE policies SET name = @name, source_environment_id = @sourceEnvironmentId,
         target_environment_id = @targetEnvironmentId, schedule = @schedule, webhook_url = @webhookUrl,
         updated_at = @updatedAt
       WHERE id = @id AND state = 'active' AND updated_at = @expectedUpdatedAt`,
    );
    this.deleteStmt = db.prepare<[string]>(`DELETE FROM policies WHERE id = ? AND state = 'active'`);
    this.getStmt = db.prepare<[string], RawPolicy>(`${SELECT} WHERE p.id = ?`);
    this.listAllStmt = db.prepare<[], RawPolicy>(`${SELECT} ORDER BY p.name COLLATE NOCASE, p.id`);
    this.listByStateStmt = db.prepare<[string], RawPolicy>(`${SELECT} WHERE p.state = ? ORDER BY p.name COLLATE NOCASE, p.id`);
    this.byNameStmt = db.prepare<[string], { id: string }>('SELECT id FROM policies WHERE name = ?');
    this.scheduledStmt = db.prepare<[], { id: string; schedule: string }>(
      `SELECT id, schedule FROM policies WHERE state = 'active' AND schedule IS NOT NULL`,
    );
    this.resourcesStmt = db.prepare<[string], RawResource>(
      `SELECT * FROM protected_resources WHERE policy_id = ? AND removed_at IS NULL ORDER BY name, id`,
    );
    this.allResourcesStmt = db.prepare<[string], RawResource>(`SELECT * FROM protected_resources WHERE policy_id = ?`);
    this.resourceStmt = db.prepare<[string], RawResource>(`SELECT * FROM protected_resources WHERE id = ?`);
    this.insertResourceStmt = db.prepare(
      `INSERT INTO protected_resources (id, policy_id, type, native_id, name, added_at)
       VALUES (@id, @policyId, @type, @nativeId, @name, @addedAt)`,
    );
    this.reviveResourceStmt = db.prepare(
      `UPDATE protected_resources SET removed_at = NULL, name = @name, added_at = @addedAt WHERE id = @id`,
    );
    this.retireResourceStmt = db.prepare(`UPDATE protected_resources SET removed_at = @at WHERE id = @id`);
    this.liveTestResourcesStmt = db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM test_resources WHERE policy_id = ? AND deleted_at IS NULL',
    );
    // R2: the one transition into failover is a compare-and-set on 'active'; of two starts, one wins.
    this.beginFailoverStmt = db.prepare(
      `UPDATE policies SET state = 'failing_over', failover_job_id = @jobId, updated_at = @at WHERE id = @id AND state = 'active'`,
    );
    this.finishFailoverStmt = db.prepare(
      `UPDATE policies SET state = 'failed_over', failed_over_at = @at, updated_at = @at
       WHERE id = @id AND state = 'failing_over' AND failover_job_id = @jobId`,
    );
    this.webhookOptInStmt = db.prepare(`UPDATE policies SET webhook_on_test_failover = @on, webhook_allow_private = @allowPrivate WHERE id = @id`);
    this.webhookSecretStmt = db.prepare(`UPDATE policies SET webhook_secret = @secret WHERE id = @id`);
  }

  /**
   * The webhook settings that are not part of the insert/update above. `sealedSecret`: undefined
   * keeps the stored secret, null removes it, a buffer (vault ciphertext) replaces it.
   */
  setWebhookSettings(id: string, s: { onTestFailover: boolean; allowPrivateTargets: boolean; sealedSecret?: Buffer | null | undefined }): void {
    this.webhookOptInStmt.run({ id, on: s.onTestFailover ? 1 : 0, allowPrivate: s.allowPrivateTargets ? 1 : 0 });
    if (s.sealedSecret !== undefined) this.webhookSecretStmt.run({ id, secret: s.sealedSecret });
  }

  insert(p: Pick<PolicyRow, 'id' | 'name' | 'sourceEnvironmentId' | 'targetEnvironmentId' | 'schedule' | 'webhookUrl' | 'createdAt' | 'updatedAt'>): void {
    this.insertStmt.run(p);
  }

  /** Returns false when the policy is not active or was changed since `expectedUpdatedAt`. */
  update(
    p: Pick<PolicyRow, 'id' | 'name' | 'sourceEnvironmentId' | 'targetEnvironmentId' | 'schedule' | 'webhookUrl' | 'updatedAt'> & {
      expectedUpdatedAt: string;
    },
  ): boolean {
    return this.updateStmt.run(p).changes > 0;
  }

  /** Deletes an active policy; returns false when it is missing or not active. */
  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  get(id: string): PolicyRecord | null {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  list(state?: PolicyState): PolicyRecord[] {
    return (state === undefined ? this.listAllStmt.all() : this.listByStateStmt.all(state)).map(toRecord);
  }

  /** Case-insensitive, as the column's collation. */
  idByName(name: string): string | null {
    return this.byNameStmt.get(name)?.id ?? null;
  }

  scheduled(): { id: string; schedule: string }[] {
    return this.scheduledStmt.all();
  }

  resources(policyId: string): ProtectedResourceRecord[] {
    return this.resourcesStmt.all(policyId).map(toResource);
  }

  /** Including retired ones, for reconciling an edit. */
  allResources(policyId: string): ProtectedResourceRecord[] {
    return this.allResourcesStmt.all(policyId).map(toResource);
  }

  resource(id: string): ProtectedResourceRecord | null {
    const row = this.resourceStmt.get(id);
    return row ? toResource(row) : null;
  }

  insertResource(r: Omit<ProtectedResourceRecord, 'removedAt'>): void {
    this.insertResourceStmt.run(r);
  }

  reviveResource(id: string, name: string, addedAt: string): void {
    this.reviveResourceStmt.run({ id, name, addedAt });
  }

  retireResource(id: string, at: string): void {
    this.retireResourceStmt.run({ id, at });
  }

  /** active -> failing_over; false when the policy is not active (any more). */
  beginFailover(id: string, jobId: string, at: string): boolean {
    return this.beginFailoverStmt.run({ id, jobId, at }).changes === 1;
  }

  /** failing_over -> failed_over, only by the policy's own failover job. */
  finishFailover(id: string, jobId: string, at: string): boolean {
    return this.finishFailoverStmt.run({ id, jobId, at }).changes === 1;
  }

  liveTestResourceCount(policyId: string): number {
    return this.liveTestResourcesStmt.get(policyId)?.n ?? 0;
  }
}
