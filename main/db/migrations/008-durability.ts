// Migration 8: a policy may allow webhook targets in link-local / cloud metadata ranges (refused
// by default, see shared/webhook-url.ts); the operator's choice is stored with the policy.

export const version = 8;
export const name = 'durability';

export const sql = /* sql */ `
ALTER TABLE policies ADD COLUMN webhook_allow_private INTEGER NOT NULL DEFAULT 0
  CHECK (webhook_allow_private IN (0, 1));
`;
