// The simulated cloud's state: typed access to the sim_resources table (migration 002). Handlers
// and tests read and write the "cloud" through these functions only, never with ad-hoc SQL.

import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../db/connection';

/** Prepared statements per connection: the simulated cloud runs these on every call of a rehearsal. */
const statements = new WeakMap<Db, Map<string, Statement>>();
function prepared(db: Db, sql: string): Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map()));
  let st = byText.get(sql);
  if (!st) byText.set(sql, (st = db.prepare(sql)));
  return st;
}

export const SIM_ORIGINS = ['inventory', 'replication', 'test', 'failover'] as const;
export type SimOrigin = (typeof SIM_ORIGINS)[number];

export interface SimResource {
  id: string;
  accountId: string;
  region: string;
  scope: string;
  /** Catalog type for protected resources (e.g. 'aws.rds'), otherwise the kind (Disk, IamRole...). */
  type: string;
  kind: string;
  nativeId: string;
  name: string;
  tags: Record<string, string>;
  attributes: Record<string, unknown>;
  origin: SimOrigin;
  jobId: string | null;
  /** Idempotency key of the step that created it. */
  stepKey: string | null;
  createdAt: string;
  deletedAt: string | null;
}

export type NewSimResource = Omit<SimResource, 'id' | 'deletedAt' | 'jobId' | 'stepKey'> & {
  jobId?: string | null;
  stepKey?: string | null;
};

interface Row {
  id: string;
  account_id: string;
  region: string;
  scope: string;
  type: string;
  kind: string;
  native_id: string;
  name: string;
  tags: string;
  attributes: string;
  origin: SimOrigin;
  job_id: string | null;
  step_key: string | null;
  created_at: string;
  deleted_at: string | null;
}

function fromRow(r: Row): SimResource {
  return {
    id: r.id,
    accountId: r.account_id,
    region: r.region,
    scope: r.scope,
    type: r.type,
    kind: r.kind,
    nativeId: r.native_id,
    name: r.name,
    tags: JSON.parse(r.tags) as Record<string, string>,
    attributes: JSON.parse(r.attributes) as Record<string, unknown>,
    origin: r.origin,
    jobId: r.job_id,
    stepKey: r.step_key,
    createdAt: r.created_at,
    deletedAt: r.deleted_at,
  };
}

/** The live resource with this native id in an account. */
export function getResource(db: Db, accountId: string, nativeId: string): SimResource | undefined {
  const row = prepared(db, 'SELECT * FROM sim_resources WHERE account_id = ? AND native_id = ? AND deleted_at IS NULL')
    .get(accountId, nativeId) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** True when the account holds this native id at all, deleted rows included (UNIQUE covers both). */
export function nativeIdTaken(db: Db, accountId: string, nativeId: string): boolean {
  return (
    prepared(db, 'SELECT 1 FROM sim_resources WHERE account_id = ? AND native_id = ?').get(accountId, nativeId) !==
    undefined
  );
}

export interface SimQuery {
  accountId?: string;
  region?: string;
  origin?: SimOrigin | readonly SimOrigin[];
  kind?: string;
  type?: string;
  name?: string;
  scope?: string;
  stepKey?: string;
  jobId?: string;
  includeDeleted?: boolean;
}

export function queryResources(db: Db, q: SimQuery): SimResource[] {
  const where: string[] = [];
  const args: unknown[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    where.push(`${col} = ?`);
    args.push(v);
  };
  eq('account_id', q.accountId);
  eq('region', q.region);
  eq('kind', q.kind);
  eq('type', q.type);
  eq('name', q.name);
  eq('scope', q.scope);
  eq('step_key', q.stepKey);
  eq('job_id', q.jobId);
  if (q.origin !== undefined) {
    const origins = typeof q.origin === 'string' ? [q.origin] : [...q.origin];
    where.push(`origin IN (${origins.map(() => '?').join(',')})`);
    args.push(...origins);
  }
  if (!q.includeDeleted) where.push('deleted_at IS NULL');
  const sql = `SELECT * FROM sim_resources${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid`;
  return (prepared(db, sql).all(...args) as Row[]).map(fromRow);
}

/**
 * The simulated cloud's writes share the console's file but are not the console's journal: each is
 * committed without waiting for its own fsync (synchronous=NORMAL for that commit). WAL keeps it
 * across a process crash (SIGKILL), and the next journal commit's fsync puts it on disk. A real
 * cloud's persistence costs the console nothing; the rehearsal cloud's must not stall the engine's
 * event loop either. Inside a caller's transaction the caller's commit decides.
 */
function cloudWrite<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return db.transaction(fn)();
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}

/**
 * Inserts a resource. A soft-deleted row may still hold the native id (the UNIQUE constraint covers
 * deleted rows); it is renamed out of the way, as a real cloud frees a name once a delete completes.
 */
export function insertResource(db: Db, r: NewSimResource): SimResource {
  const id = randomUUID();
  cloudWrite(db, () => {
    prepared(db, 
      `UPDATE sim_resources SET native_id = native_id || '#deleted:' || id
       WHERE account_id = ? AND native_id = ? AND deleted_at IS NOT NULL`,
    ).run(r.accountId, r.nativeId);
    prepared(db, 
      `INSERT INTO sim_resources (id, account_id, region, scope, type, kind, native_id, name, tags, attributes,
                                  origin, job_id, step_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      r.accountId,
      r.region,
      r.scope,
      r.type,
      r.kind,
      r.nativeId,
      r.name,
      JSON.stringify(r.tags),
      JSON.stringify(r.attributes),
      r.origin,
      r.jobId ?? null,
      r.stepKey ?? null,
      r.createdAt,
    );
  });
  return { ...r, id, jobId: r.jobId ?? null, stepKey: r.stepKey ?? null, deletedAt: null };
}

/**
 * Read-modify-write of one live resource in a single transaction, so concurrent steps editing the
 * same source (two policies adding rules to one bucket) never lose each other's change.
 */
export function updateResource(
  db: Db,
  accountId: string,
  nativeId: string,
  change: (r: SimResource) => { tags?: Record<string, string>; attributes?: Record<string, unknown> },
): SimResource | undefined {
  return cloudWrite(db, () => {
    const current = getResource(db, accountId, nativeId);
    if (!current) return undefined;
    const next = change(current);
    const tags = next.tags ?? current.tags;
    const attributes = next.attributes ?? current.attributes;
    prepared(db, 'UPDATE sim_resources SET tags = ?, attributes = ? WHERE id = ?').run(
      JSON.stringify(tags),
      JSON.stringify(attributes),
      current.id,
    );
    return { ...current, tags, attributes };
  });
}

/** Soft delete; false when there was nothing live to delete. */
export function deleteResource(db: Db, accountId: string, nativeId: string, at: string): boolean {
  const res = cloudWrite(db, () =>
    prepared(db, 'UPDATE sim_resources SET deleted_at = ? WHERE account_id = ? AND native_id = ? AND deleted_at IS NULL').run(at, accountId, nativeId),
  );
  return res.changes > 0;
}

// ---- The simulated object store (migration 010): the console's control objects in a target ----

export interface SimObject {
  accountId: string;
  region: string;
  key: string;
  body: string;
  revision: number;
}

/** Creates an object only when the key is free (S3 If-None-Match: *, GCS ifGenerationMatch=0). */
export function putObjectIfAbsent(db: Db, o: Omit<SimObject, 'revision'>, at: string): boolean {
  const res = prepared(db, 'INSERT OR IGNORE INTO sim_objects (account_id, region, key, body, revision, updated_at) VALUES (?, ?, ?, ?, 1, ?)')
    .run(o.accountId, o.region, o.key, o.body, at);
  return res.changes > 0;
}

/** Replaces an object only at the revision read (S3 If-Match, GCS ifGenerationMatch=<generation>). */
export function putObjectIfRevision(db: Db, o: Omit<SimObject, 'revision'>, revision: number, at: string): boolean {
  const res = prepared(db, 'UPDATE sim_objects SET body = ?, revision = revision + 1, updated_at = ? WHERE account_id = ? AND key = ? AND revision = ?')
    .run(o.body, at, o.accountId, o.key, revision);
  return res.changes > 0;
}

/** Writes an object unconditionally. */
export function putObject(db: Db, o: Omit<SimObject, 'revision'>, at: string): void {
  prepared(db, 
    `INSERT INTO sim_objects (account_id, region, key, body, revision, updated_at) VALUES (?, ?, ?, ?, 1, ?)
     ON CONFLICT(account_id, key) DO UPDATE SET body = excluded.body, revision = revision + 1, updated_at = excluded.updated_at`,
  ).run(o.accountId, o.region, o.key, o.body, at);
}

export function getObject(db: Db, accountId: string, key: string): SimObject | undefined {
  const r = prepared(db, 'SELECT account_id, region, key, body, revision FROM sim_objects WHERE account_id = ? AND key = ?').get(accountId, key) as
    | { account_id: string; region: string; key: string; body: string; revision: number }
    | undefined;
  return r ? { accountId: r.account_id, region: r.region, key: r.key, body: r.body, revision: r.revision } : undefined;
}

export function listObjects(db: Db, accountId: string, region: string, prefix: string): SimObject[] {
  const rows = prepared(db, 'SELECT account_id, region, key, body, revision FROM sim_objects WHERE account_id = ? AND region = ? AND substr(key, 1, ?) = ? ORDER BY key')
    .all(accountId, region, prefix.length, prefix) as { account_id: string; region: string; key: string; body: string; revision: number }[];
  return rows.map((r) => ({ accountId: r.account_id, region: r.region, key: r.key, body: r.body, revision: r.revision }));
}
