// Migration 9: evidence. The audit log becomes a SHA-256 hash chain attributed to a person (OS
// user, optional operator name, machine) and linked to its policy and job, so it can be filtered
// and shown with names; the rows written before it are chained here, in id order. Recovery points
// carry their item counts (kept by triggers) and covering indexes for every picker filter, so the
// picker reads one index range per page instead of counting items for every row.

import { chainUnchained } from '../audit-chain';
import type { Db } from '../connection';

export const version = 9;
export const name = 'evidence';

export const sql = /* sql */ `
ALTER TABLE audit_log ADD COLUMN os_user TEXT;
ALTER TABLE audit_log ADD COLUMN operator_name TEXT;
ALTER TABLE audit_log ADD COLUMN host TEXT;
ALTER TABLE audit_log ADD COLUMN policy_id TEXT;
ALTER TABLE audit_log ADD COLUMN job_id TEXT;
-- SHA-256 (hex) of the previous entry's canonical form, and of this one's (main/db/audit-chain.ts).
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

-- Links of the rows written before attribution existed: the subject was a policy or a job (job
-- entries that name their job in the detail are linked in up(), which reads the id out of it).
UPDATE audit_log SET policy_id = subject_id WHERE subject_id IN (SELECT id FROM policies);
UPDATE audit_log SET job_id = subject_id WHERE subject_id IN (SELECT id FROM jobs);

CREATE INDEX audit_log_policy ON audit_log(policy_id, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_job ON audit_log(job_id, id);

-- Item counts on the point itself, kept by the database whatever writes the items.
ALTER TABLE recovery_points ADD COLUMN item_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE recovery_points ADD COLUMN failed_item_count INTEGER NOT NULL DEFAULT 0;
UPDATE recovery_points SET
  item_count = (SELECT COUNT(*) FROM recovery_point_items i WHERE i.recovery_point_id = recovery_points.id),
  failed_item_count = (SELECT COUNT(*) FROM recovery_point_items i WHERE i.recovery_point_id = recovery_points.id AND i.status = 'failed');
CREATE TRIGGER recovery_point_items_count_insert AFTER INSERT ON recovery_point_items BEGIN
  UPDATE recovery_points SET item_count = item_count + 1, failed_item_count = failed_item_count + (NEW.status = 'failed')
  WHERE id = NEW.recovery_point_id;
END;
CREATE TRIGGER recovery_point_items_count_update AFTER UPDATE OF status ON recovery_point_items BEGIN
  UPDATE recovery_points SET failed_item_count = failed_item_count - (OLD.status = 'failed') + (NEW.status = 'failed')
  WHERE id = NEW.recovery_point_id;
END;
CREATE TRIGGER recovery_point_items_count_delete AFTER DELETE ON recovery_point_items BEGIN
  UPDATE recovery_points SET item_count = item_count - 1, failed_item_count = failed_item_count - (OLD.status = 'failed')
  WHERE id = OLD.recovery_point_id;
END;

-- Covering indexes, newest first, ties broken by id (the keyset): all points, by status, by id prefix.
CREATE INDEX recovery_points_page ON recovery_points(policy_id, created_at DESC, id DESC, status, job_id, completed_at, item_count, failed_item_count);
CREATE INDEX recovery_points_page_status ON recovery_points(policy_id, status, created_at DESC, id DESC, job_id, completed_at, item_count, failed_item_count);
CREATE INDEX recovery_points_by_id ON recovery_points(policy_id, id, created_at, status, job_id, completed_at, item_count, failed_item_count);

-- Points per policy, day (UTC, the first 10 characters of created_at) and status, kept by triggers:
-- a total is a sum over a few hundred rows instead of a count over 100,000 index entries, and a
-- page at any offset starts with a seek to its day instead of stepping over every newer point.
CREATE TABLE recovery_point_days (
  policy_id TEXT NOT NULL,
  day       TEXT NOT NULL,
  status    TEXT NOT NULL,
  n         INTEGER NOT NULL,
  PRIMARY KEY (policy_id, day, status)
) STRICT;
INSERT INTO recovery_point_days (policy_id, day, status, n)
  SELECT policy_id, substr(created_at, 1, 10), status, COUNT(*) FROM recovery_points GROUP BY 1, 2, 3;
CREATE TRIGGER recovery_points_days_insert AFTER INSERT ON recovery_points BEGIN
  INSERT INTO recovery_point_days (policy_id, day, status, n) VALUES (NEW.policy_id, substr(NEW.created_at, 1, 10), NEW.status, 1)
    ON CONFLICT (policy_id, day, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER recovery_points_days_update AFTER UPDATE OF status, created_at ON recovery_points
  WHEN OLD.status IS NOT NEW.status OR OLD.created_at IS NOT NEW.created_at BEGIN
  UPDATE recovery_point_days SET n = n - 1 WHERE policy_id = OLD.policy_id AND day = substr(OLD.created_at, 1, 10) AND status = OLD.status;
  INSERT INTO recovery_point_days (policy_id, day, status, n) VALUES (NEW.policy_id, substr(NEW.created_at, 1, 10), NEW.status, 1)
    ON CONFLICT (policy_id, day, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER recovery_points_days_delete AFTER DELETE ON recovery_points BEGIN
  UPDATE recovery_point_days SET n = n - 1 WHERE policy_id = OLD.policy_id AND day = substr(OLD.created_at, 1, 10) AND status = OLD.status;
END;
`;

const JOB_IN_DETAIL = /^job ([A-Za-z0-9_-]+)/;

/**
 * After the SQL, in the same transaction: entries whose detail starts "job <id>" are linked to that
 * job and its policy (one pass, a primary-key lookup each), then every row is chained in id order.
 */
export function up(db: Db): void {
  const rows = db.prepare<[], { id: number; detail: string }>(`SELECT id, detail FROM audit_log WHERE job_id IS NULL AND detail LIKE 'job %'`).all();
  const job = db.prepare<[string], { policy_id: string }>('SELECT policy_id FROM jobs WHERE id = ?');
  const link = db.prepare('UPDATE audit_log SET job_id = ?, policy_id = COALESCE(policy_id, ?) WHERE id = ?');
  for (const r of rows) {
    const id = JOB_IN_DETAIL.exec(r.detail)?.[1];
    const found = id ? job.get(id) : undefined;
    if (id && found) link.run(id, found.policy_id, r.id);
  }
  db.prepare('UPDATE audit_log SET policy_id = (SELECT j.policy_id FROM jobs j WHERE j.id = audit_log.job_id) WHERE policy_id IS NULL AND job_id IS NOT NULL').run();
  chainUnchained(db);
}
