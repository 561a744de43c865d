// Migration 1: the console's core tables. Timestamps are ISO-8601 UTC text; JSON columns hold
// plain data. Secrets live only in accounts.secret (ciphertext from the credential vault).

export const version = 1;
export const name = 'initial';

export const sql = /* sql */ `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
  provider        TEXT NOT NULL CHECK (provider IN ('sim','aws','azure','gcp')),
  cloud           TEXT NOT NULL CHECK (cloud IN ('aws','azure','gcp')),
  credential_kind TEXT NOT NULL,
  secret          BLOB NOT NULL,            -- vault ciphertext of the CredentialInput JSON
  created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE environments (
  id         TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  name       TEXT NOT NULL,
  region     TEXT NOT NULL,
  scope      TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  UNIQUE (account_id, name)
) STRICT;

CREATE TABLE policies (
  id                    TEXT PRIMARY KEY,
  name                  TEXT NOT NULL UNIQUE COLLATE NOCASE,
  source_environment_id TEXT NOT NULL REFERENCES environments(id) ON DELETE RESTRICT,
  target_environment_id TEXT NOT NULL REFERENCES environments(id) ON DELETE RESTRICT,
  state                 TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','failing_over','failed_over')),
  schedule              TEXT,
  webhook_url           TEXT,
  failover_job_id       TEXT,
  failed_over_at        TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  CHECK (source_environment_id <> target_environment_id)
) STRICT;

CREATE TABLE protected_resources (
  id        TEXT PRIMARY KEY,
  policy_id TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  type      TEXT NOT NULL,
  native_id TEXT NOT NULL,
  name      TEXT NOT NULL,
  added_at  TEXT NOT NULL,
  UNIQUE (policy_id, type, native_id)
) STRICT;

CREATE TABLE jobs (
  id                TEXT PRIMARY KEY,
  policy_id         TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  kind              TEXT NOT NULL CHECK (kind IN ('replication','test_failover','reset','failover')),
  status            TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','partially_failed','cancelled')),
  trigger           TEXT NOT NULL CHECK (trigger IN ('manual','schedule','resume')),
  recovery_point_id TEXT,
  error             TEXT,
  created_at        TEXT NOT NULL,
  started_at        TEXT,
  finished_at       TEXT
) STRICT;
CREATE INDEX jobs_policy ON jobs(policy_id, created_at);
CREATE INDEX jobs_unfinished ON jobs(status) WHERE status IN ('queued','running');
-- R2 at the storage level: at most one failover job per policy, ever.
CREATE UNIQUE INDEX jobs_one_failover ON jobs(policy_id) WHERE kind = 'failover';

-- The step journal. intent is committed before each cloud mutation, result after it.
CREATE TABLE job_steps (
  id                     TEXT PRIMARY KEY,
  job_id                 TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq                    INTEGER NOT NULL,
  protected_resource_id  TEXT REFERENCES protected_resources(id) ON DELETE SET NULL,
  action                 TEXT NOT NULL,
  depends_on             TEXT NOT NULL DEFAULT '[]',   -- JSON array of step ids
  status                 TEXT NOT NULL CHECK (status IN ('pending','running','succeeded','failed','skipped','cancelled')),
  attempts               INTEGER NOT NULL DEFAULT 0,
  idempotency_key        TEXT NOT NULL,
  intent                 TEXT,                          -- JSON, written before the mutation
  result                 TEXT,                          -- JSON, written after it
  error                  TEXT,
  error_code             TEXT,
  started_at             TEXT,
  finished_at            TEXT,
  UNIQUE (job_id, seq),
  UNIQUE (idempotency_key)
) STRICT;
CREATE INDEX job_steps_job ON job_steps(job_id, status);

CREATE TABLE recovery_points (
  id          TEXT PRIMARY KEY,
  policy_id   TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  job_id      TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  status      TEXT NOT NULL CHECK (status IN ('in_progress','succeeded','partial','failed')),
  created_at  TEXT NOT NULL,
  completed_at TEXT
) STRICT;
CREATE INDEX recovery_points_policy ON recovery_points(policy_id, created_at DESC);
CREATE INDEX recovery_points_policy_status ON recovery_points(policy_id, status, created_at DESC);

CREATE TABLE recovery_point_items (
  id                    TEXT PRIMARY KEY,
  recovery_point_id     TEXT NOT NULL REFERENCES recovery_points(id) ON DELETE CASCADE,
  protected_resource_id TEXT NOT NULL REFERENCES protected_resources(id) ON DELETE CASCADE,
  status                TEXT NOT NULL CHECK (status IN ('succeeded','failed')),
  metadata              TEXT NOT NULL DEFAULT '{}',
  data_refs             TEXT NOT NULL DEFAULT '[]',
  error                 TEXT,
  captured_at           TEXT NOT NULL,
  UNIQUE (recovery_point_id, protected_resource_id)
) STRICT;

-- Source -> target mapping produced by failover (and test failover), for the webhook and report.
CREATE TABLE resource_mappings (
  id                    INTEGER PRIMARY KEY,
  job_id                TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  step_id               TEXT REFERENCES job_steps(id) ON DELETE SET NULL,
  protected_resource_id TEXT REFERENCES protected_resources(id) ON DELETE SET NULL,
  source_id             TEXT NOT NULL,
  kind                  TEXT NOT NULL,
  name                  TEXT NOT NULL,
  target_id             TEXT NOT NULL,
  reused                INTEGER NOT NULL DEFAULT 0,
  UNIQUE (job_id, source_id, kind, target_id)
) STRICT;

-- Resources created by test failovers; Reset deletes them and stamps deleted_at.
CREATE TABLE test_resources (
  id                    TEXT PRIMARY KEY,
  policy_id             TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  job_id                TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  step_id               TEXT REFERENCES job_steps(id) ON DELETE SET NULL,
  protected_resource_id TEXT REFERENCES protected_resources(id) ON DELETE SET NULL,
  kind                  TEXT NOT NULL,
  native_id             TEXT NOT NULL,
  name                  TEXT NOT NULL,
  region                TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  deleted_at            TEXT,
  reset_job_id          TEXT,
  UNIQUE (policy_id, native_id)
) STRICT;
CREATE INDEX test_resources_live ON test_resources(policy_id) WHERE deleted_at IS NULL;

-- Durable webhook outbox (R8): one row per delivery, same id across retries and restarts.
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  policy_id       TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  job_id          TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  url             TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      TEXT NOT NULL,
  delivered_at    TEXT
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';

CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY,
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  subject_id TEXT,
  detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_subject ON audit_log(subject_id, id);

`;
