// Migration 4: the policy's webhook settings (sealed signing secret, test-failover opt-in) and what
// the outbox needs to be idempotent per job and to keep a record of every delivery attempt (R8).

export const version = 4;
export const name = 'webhooks';

export const sql = /* sql */ `
-- Vault ciphertext (AAD bound to the policy id); NULL = deliveries are not signed.
ALTER TABLE policies ADD COLUMN webhook_secret BLOB;
ALTER TABLE policies ADD COLUMN webhook_on_test_failover INTEGER NOT NULL DEFAULT 0
  CHECK (webhook_on_test_failover IN (0, 1));

ALTER TABLE webhook_deliveries ADD COLUMN event TEXT NOT NULL DEFAULT 'failover'
  CHECK (event IN ('failover', 'test_failover'));
-- Whether the latest attempt carried a signature (set at enqueue from the policy, then per attempt).
ALTER TABLE webhook_deliveries ADD COLUMN signed INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1));
-- Enqueueing the same job twice (a retried completion, a start-up sweep) must not send twice.
CREATE UNIQUE INDEX webhook_deliveries_job ON webhook_deliveries(job_id);

-- One row per attempt: written before the request (finished_at NULL) and completed after it, so an
-- attempt cut short by a crash is visible at the next start and the delivery is made due again.
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  http_status INTEGER,
  error       TEXT,
  PRIMARY KEY (delivery_id, attempt)
) STRICT;
CREATE INDEX webhook_attempts_open ON webhook_attempts(delivery_id) WHERE finished_at IS NULL;
`;
