// Migration 10: what the offline console, the failover lease and the rebuild keep locally.
// - account_connectivity: each account's last successful call and current state (the indicator).
// - failover_leases: the lease a failover took in its target (who, since when, released or not).
// - catalog_manifests: which recovery points have their manifest written into the target.
// - sim_objects: the simulated cloud's object store (the sim's S3/GCS/blob) for leases and manifests.

export const version = 10;
export const name = 'offline-and-handover';

export const sql = /* sql */ `
CREATE TABLE account_connectivity (
  account_id      TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  status          TEXT NOT NULL CHECK (status IN ('unknown','online','offline')),
  last_ok_at      TEXT,
  last_failure_at TEXT,
  last_error      TEXT,
  changed_at      TEXT NOT NULL
) STRICT;

CREATE TABLE failover_leases (
  policy_id      TEXT PRIMARY KEY REFERENCES policies(id) ON DELETE CASCADE,
  job_id         TEXT NOT NULL,
  environment_id TEXT NOT NULL,
  holder         TEXT NOT NULL,
  acquired_at    TEXT NOT NULL,
  -- held: in the target; completed: released by the job's completion; overridden: started without one.
  state          TEXT NOT NULL CHECK (state IN ('held','completed','overridden')),
  released_at    TEXT,
  release_error  TEXT
) STRICT;

CREATE TABLE catalog_manifests (
  recovery_point_id TEXT PRIMARY KEY REFERENCES recovery_points(id) ON DELETE CASCADE,
  policy_id         TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
  published_at      TEXT,
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT
) STRICT;
CREATE INDEX catalog_manifests_pending ON catalog_manifests(policy_id) WHERE published_at IS NULL;

CREATE TABLE sim_objects (
  account_id TEXT NOT NULL,
  region     TEXT NOT NULL,
  key        TEXT NOT NULL,
  body       TEXT NOT NULL,
  revision   INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (account_id, key)
) STRICT;
`;
