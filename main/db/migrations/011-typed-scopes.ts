// Migration 11: environments keep a typed scope (shared/scope.ts: AWS account + region, Azure
// subscription + resource group + location, GCP project + region + zone) as JSON instead of the free
// text each provider parsed; and a table for the credential caches providers refresh (MSAL's token
// cache), sealed by the vault.

import type { Db } from '../connection';
import type { Cloud } from '../../../shared/catalog';
import { describeScope, legacyScope, parseScope } from '../../../shared/scope';

export const version = 11;
export const name = 'typed-scopes';

export const sql = /* sql */ `
CREATE TABLE credential_caches (
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  sealed     BLOB NOT NULL,            -- vault ciphertext, AAD bound to the account and the cache name
  updated_at TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
) STRICT;
`;

/**
 * Each stored scope is read the way the providers read it until now (so derived ids do not change)
 * and written back as JSON. Text that said more than the typed scope keeps is not lost: the audit log
 * gets the old text beside the environment.
 */
export function up(db: Db): void {
  const rows = db
    .prepare<[], { id: string; region: string; scope: string; cloud: Cloud }>(
      `SELECT e.id, e.region, e.scope, a.cloud FROM environments e JOIN accounts a ON a.id = e.account_id`,
    )
    .all();
  const update = db.prepare<[string, string]>('UPDATE environments SET scope = ? WHERE id = ?');
  const audit = db.prepare<[string, string, string]>(
    `INSERT INTO audit_log (at, actor, action, subject_id, detail) VALUES (?, 'system', 'environment.scope-migrated', ?, ?)`,
  );
  const at = new Date().toISOString();
  for (const r of rows) {
    const typed = legacyScope(r.cloud, r.region, r.scope);
    update.run(JSON.stringify(typed), r.id);
    const kept = describeScope(typed);
    const strict = parseScope(r.cloud, r.region, r.scope);
    if (!strict.ok || JSON.stringify(strict.scope) !== JSON.stringify(typed)) {
      audit.run(at, r.id, `The scope "${r.scope}" was not a recognised ${r.cloud} scope; the environment now uses ${kept === '' ? "the credentials' own" : `"${kept}"`}.`);
    }
  }
}
