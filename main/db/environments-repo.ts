// Environments: a region (and scope) inside an account. Reads join the account for its cloud.

import type { Cloud } from '../../shared/catalog';
import type { EnvironmentView, ProviderKind } from '../../shared/domain';
import { EnvScope, legacyScope } from '../../shared/scope';
import type { Db } from './connection';

export interface EnvironmentRecord {
  id: string;
  accountId: string;
  name: string;
  cloud: Cloud;
  provider: ProviderKind;
  region: string;
  scope: EnvScope;
  createdAt: string;
}

interface EnvironmentRow {
  id: string;
  account_id: string;
  name: string;
  cloud: Cloud;
  provider: ProviderKind;
  region: string;
  scope: string;
  created_at: string;
}

const SELECT = `SELECT e.id, e.account_id, e.name, a.cloud, a.provider, e.region, e.scope, e.created_at
  FROM environments e JOIN accounts a ON a.id = e.account_id`;

const toRecord = (r: EnvironmentRow): EnvironmentRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  cloud: r.cloud,
  provider: r.provider,
  region: r.region,
  scope: readScope(r),
  createdAt: r.created_at,
});

/**
 * The column holds the typed scope as JSON (migration 011). A row written as text by something that
 * bypassed the repo (a tool, an old fixture) is read the way migration 011 reads old text.
 */
function readScope(r: EnvironmentRow): EnvScope {
  if (r.scope.startsWith('{')) {
    try {
      const parsed = EnvScope.safeParse(JSON.parse(r.scope));
      if (parsed.success && parsed.data.cloud === r.cloud) return parsed.data;
    } catch {
      // Not JSON after all: fall through to the text reading.
    }
  }
  return legacyScope(r.cloud, r.region, r.scope);
}

export function toEnvironmentView(e: EnvironmentRecord): EnvironmentView {
  return {
    id: e.id,
    accountId: e.accountId,
    name: e.name,
    cloud: e.cloud,
    region: e.region,
    scope: e.scope,
    createdAt: e.createdAt,
  };
}

export class EnvironmentsRepo {
  private readonly insertStmt;
  private readonly listAllStmt;
  private readonly listByAccountStmt;
  private readonly getStmt;
  private readonly byNameStmt;
  private readonly deleteStmt;
  private readonly policyCountStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO environments (id, account_id, name, region, scope, created_at)
       VALUES (@id, @accountId, @name, @region, @scope, @createdAt)`,
    );
    this.listAllStmt = db.prepare<[], EnvironmentRow>(`${SELECT} ORDER BY a.name COLLATE NOCASE, e.name COLLATE NOCASE, e.id`);
    this.listByAccountStmt = db.prepare<[string], EnvironmentRow>(
      `${SELECT} WHERE e.account_id = ? ORDER BY e.name COLLATE NOCASE, e.id`,
    );
    this.getStmt = db.prepare<[string], EnvironmentRow>(`${SELECT} WHERE e.id = ?`);
    this.byNameStmt = db.prepare<[string, string], EnvironmentRow>(
      `${SELECT} WHERE e.account_id = ? AND e.name = ? COLLATE NOCASE`,
    );
    this.deleteStmt = db.prepare<[string]>('DELETE FROM environments WHERE id = ?');
    this.policyCountStmt = db.prepare<[string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM policies WHERE source_environment_id = ? OR target_environment_id = ?',
    );
  }

  insert(e: Omit<EnvironmentRecord, 'cloud' | 'provider'>): void {
    this.insertStmt.run({ ...e, scope: JSON.stringify(e.scope) });
  }

  list(accountId?: string): EnvironmentRecord[] {
    const rows = accountId === undefined ? this.listAllStmt.all() : this.listByAccountStmt.all(accountId);
    return rows.map(toRecord);
  }

  get(id: string): EnvironmentRecord | null {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  findByName(accountId: string, name: string): EnvironmentRecord | null {
    const row = this.byNameStmt.get(accountId, name);
    return row ? toRecord(row) : null;
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  policyCount(id: string): number {
    return this.policyCountStmt.get(id, id)?.n ?? 0;
  }
}
