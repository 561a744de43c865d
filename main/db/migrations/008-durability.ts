// Migration 8: a policy may allow webhook targets in link-local / cloud metadata ranges (refused
// by default, see shared/webhook-url.ts); the operator's choice is stored with the policy. The
// file is marked as ours (application_id "FCON") so another application's SQLite file is refused.

export const version = 8;
export const name = 'durability';

export const sql = /* sql */ `
ALTER TABLE policies ADD COLUMN webhook_allow_private INTEGER NOT NULL DEFAULT 0
  CHECK (webhook_allow_private IN (0, 1));
PRAGMA application_id = 1178816334;
`;
