// Migration 3: protected resources are retired, not deleted, when a policy edit drops them, so the
// recovery point items and journal rows that reference them survive (nothing journaled is lost).

export const version = 3;
export const name = 'protected-resource-removal';

export const sql = /* sql */ `
ALTER TABLE protected_resources ADD COLUMN removed_at TEXT;
CREATE INDEX protected_resources_live ON protected_resources(policy_id) WHERE removed_at IS NULL;
`;
