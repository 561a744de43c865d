// Cloud accounts. The secret column holds vault ciphertext only; views never include it.

import type { Cloud } from '../../shared/catalog';
import type { AccountView, ProviderKind } from '../../shared/domain';
import type { Db } from './connection';

export interface AccountRecord {
  id: string;
  name: string;
  provider: ProviderKind;
  cloud: Cloud;
  credentialKind: string;
  createdAt: string;
}

interface AccountRow {
  id: string;
  name: string;
  provider: ProviderKind;
  cloud: Cloud;
  credential_kind: string;
  created_at: string;
}

const COLUMNS = 'id, name, provider, cloud, credential_kind, created_at';

const toRecord = (r: AccountRow): AccountRecord => ({
  id: r.id,
  name: r.name,
  provider: r.provider,
  cloud: r.cloud,
  credentialKind: r.credential_kind,
  createdAt: r.created_at,
});

export function toAccountView(a: AccountRecord): AccountView {
  return {
    id: a.id,
    name: a.name,
    provider: a.provider,
    cloud: a.cloud,
    credentialKind: a.credentialKind,
    simulated: a.provider === 'sim',
    createdAt: a.createdAt,
  };
}

export class AccountsRepo {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly byNameStmt;
  private readonly secretStmt;
  private readonly deleteStmt;
  private readonly countStmt;
  private readonly envCountStmt;
  private readonly setSecretStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO accounts (id, name, provider, cloud, credential_kind, secret, created_at)
       VALUES (@id, @name, @provider, @cloud, @credentialKind, @secret, @createdAt)`,
    );
    this.listStmt = db.prepare<[], AccountRow>(`SELECT ${COLUMNS} FROM accounts ORDER BY name COLLATE NOCASE, id`);
    this.getStmt = db.prepare<[string], AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = ?`);
    this.byNameStmt = db.prepare<[string], AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE name = ?`);
    this.secretStmt = db.prepare<[string], { secret: Buffer }>('SELECT secret FROM accounts WHERE id = ?');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM accounts WHERE id = ?');
    this.setSecretStmt = db.prepare<[Buffer, string]>('UPDATE accounts SET secret = ? WHERE id = ?');
    this.countStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM accounts');
    this.envCountStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM environments WHERE account_id = ?');
  }

  insert(a: AccountRecord & { secret: Buffer }): void {
    this.insertStmt.run(a);
  }

  list(): AccountRecord[] {
    return this.listStmt.all().map(toRecord);
  }

  get(id: string): AccountRecord | null {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  /** Case-insensitive, as the column's collation. */
  findByName(name: string): AccountRecord | null {
    const row = this.byNameStmt.get(name);
    return row ? toRecord(row) : null;
  }

  secret(id: string): Buffer | null {
    return this.secretStmt.get(id)?.secret ?? null;
  }

  /** Replaces an account's sealed credentials (a person signed in to it again). */
  setSecret(id: string, secret: Buffer): boolean {
    return this.setSecretStmt.run(secret, id).changes > 0;
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  count(): number {
    return this.countStmt.get()?.n ?? 0;
  }

  environmentCount(id: string): number {
    return this.envCountStmt.get(id)?.n ?? 0;
  }
}
