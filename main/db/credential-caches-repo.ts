// Credential caches providers refresh (migration 011): one sealed blob per account and cache name.
// The repo stores ciphertext only; sealing and opening is the vault's job.

import type { Db } from './connection';

export class CredentialCachesRepo {
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string, string], { sealed: Buffer }>('SELECT sealed FROM credential_caches WHERE account_id = ? AND name = ?');
    this.putStmt = db.prepare<[string, string, Buffer, string]>(
      `INSERT INTO credential_caches (account_id, name, sealed, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
    );
    this.deleteStmt = db.prepare<[string, string]>('DELETE FROM credential_caches WHERE account_id = ? AND name = ?');
  }

  get(accountId: string, name: string): Buffer | null {
    return this.getStmt.get(accountId, name)?.sealed ?? null;
  }

  put(accountId: string, name: string, sealed: Buffer, updatedAt: string): void {
    this.putStmt.run(accountId, name, sealed, updatedAt);
  }

  delete(accountId: string, name: string): void {
    this.deleteStmt.run(accountId, name);
  }
}
