// Migration 2: the sim provider's simulated cloud, kept in the same SQLite file as the journal so a
// rehearsal survives restarts and crash tests can count what the "cloud" really holds.

export const version = 2;
export const name = 'sim-provider';

export const sql = /* sql */ `
-- The sim provider's simulated cloud: every resource it "hosts", source inventory and what
-- replication, test failover and failover create in targets. Lives in the same file by design.
CREATE TABLE sim_resources (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL,
  region      TEXT NOT NULL,
  scope       TEXT NOT NULL DEFAULT '',
  type        TEXT NOT NULL,        -- catalog type for protected resources, or a kind (Disk, IamRole...)
  kind        TEXT NOT NULL,
  native_id   TEXT NOT NULL,
  name        TEXT NOT NULL,
  tags        TEXT NOT NULL DEFAULT '{}',
  attributes  TEXT NOT NULL DEFAULT '{}',
  origin      TEXT NOT NULL CHECK (origin IN ('inventory','replication','test','failover')),
  job_id      TEXT,
  step_key    TEXT,                 -- idempotency key of the step that created it
  created_at  TEXT NOT NULL,
  deleted_at  TEXT,
  UNIQUE (account_id, native_id)
) STRICT;
CREATE INDEX sim_resources_env ON sim_resources(account_id, region, scope, origin) WHERE deleted_at IS NULL;
CREATE INDEX sim_resources_step ON sim_resources(step_key);
`;
