// The audit log: who did what to which subject, as a SHA-256 hash chain (audit-chain.ts). Append
// only; callers pass non-secret detail only. Lists are filtered by policy, actor and kind and carry
// the names of what entries refer to, so nobody has to read raw ids.

import type { AuditEntry, AuditFacets, AuditRef } from '../../shared/domain';
import { entryHash, GENESIS_HASH, verifyChain, type ChainVerdict, type RawChainedRow } from './audit-chain';
import type { Db } from './connection';
import { StatementCache } from './statement-cache';

export type AuditActor = 'operator' | 'scheduler' | 'system';

export interface AuditInput {
  at: string;
  actor: AuditActor;
  action: string;
  subjectId: string | null;
  detail: string;
  osUser?: string | null;
  operatorName?: string | null;
  host?: string | null;
  policyId?: string | null;
  jobId?: string | null;
}

export interface AuditFilter {
  subjectId?: string | undefined;
  policyId?: string | undefined;
  jobId?: string | undefined;
  /** An actor label as listed by facets(). */
  actor?: string | undefined;
  /** The action's first word (policy, failover, job...). */
  kind?: string | undefined;
  offset: number;
  limit: number;
}

/** Who an entry says acted, in words: the operator's name and OS user, or the console itself. */
const ACTOR_LABEL = `CASE a.actor
  WHEN 'operator' THEN COALESCE(a.operator_name || COALESCE(' (' || a.os_user || ')', ''), a.os_user, 'operator')
  WHEN 'scheduler' THEN 'Scheduler'
  ELSE 'Console' END`;

const KIND = `CASE WHEN instr(a.action, '.') > 0 THEN substr(a.action, 1, instr(a.action, '.') - 1) ELSE a.action END`;

type RawListed = RawChainedRow & { actor_label: string; policy_name: string | null };

const ID_IN_TEXT = /\b(?:pol|job|rp|acc|env|whd|res|tres)_[A-Za-z0-9_-]{6,60}\b/g;

export class AuditRepo {
  private readonly insertStmt;
  private readonly prevStmt;
  private readonly linkStmt;
  private readonly headStmt;
  private readonly cache: StatementCache;

  constructor(private readonly db: Db) {
    this.cache = new StatementCache(db);
    this.insertStmt = db.prepare(
      `INSERT INTO audit_log (at, actor, action, subject_id, detail, os_user, operator_name, host, policy_id, job_id)
       VALUES (@at, @actor, @action, @subjectId, @detail, @osUser, @operatorName, @host, @policyId, @jobId)`,
    );
    this.prevStmt = db.prepare<[number], { hash: string | null }>('SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1');
    this.linkStmt = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?');
    this.headStmt = db.prepare<[], { id: number; hash: string | null }>('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  }

  /**
   * Appends one entry and links it to the one before. Inserting first takes the write lock, so the
   * previous entry read next is the one before it for every console sharing the file.
   */
  record(e: AuditInput): number {
    return this.db.transaction(() => {
      const row = {
        osUser: null,
        operatorName: null,
        host: null,
        policyId: null,
        jobId: null,
        ...e,
      };
      const id = Number(this.insertStmt.run(row).lastInsertRowid);
      const prevHash = this.prevStmt.get(id)?.hash ?? GENESIS_HASH;
      const hash = entryHash({
        id,
        at: row.at,
        actor: row.actor,
        osUser: row.osUser,
        operatorName: row.operatorName,
        host: row.host,
        action: row.action,
        subjectId: row.subjectId,
        policyId: row.policyId,
        jobId: row.jobId,
        detail: row.detail,
        prevHash,
      });
      this.linkStmt.run(prevHash, hash, id);
      return id;
    })();
  }

  /** The newest entry's id and hash: what a report quotes as the chain's head. */
  head(): { id: number; hash: string } | null {
    const h = this.headStmt.get();
    return h ? { id: h.id, hash: h.hash ?? '' } : null;
  }

  verify(): ChainVerdict {
    return verifyChain(this.db);
  }

  list(f: AuditFilter): { total: number; offset: number; items: AuditEntry[] } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
    if (f.subjectId !== undefined) {
      where.push('a.subject_id = @subjectId');
      params.subjectId = f.subjectId;
    }
    if (f.policyId !== undefined) {
      where.push('a.policy_id = @policyId');
      params.policyId = f.policyId;
    }
    if (f.jobId !== undefined) {
      where.push('a.job_id = @jobId');
      params.jobId = f.jobId;
    }
    if (f.kind !== undefined) {
      // A range on the action index: every action of the kind starts with "<kind>.".
      where.push(`(a.action = @kind OR (a.action >= @kindDot AND a.action < @kindEnd))`);
      params.kind = f.kind;
      params.kindDot = `${f.kind}.`;
      params.kindEnd = `${f.kind}/`;
    }
    if (f.actor !== undefined) {
      where.push(`${ACTOR_LABEL} = @actor`);
      params.actor = f.actor;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.cache.get(`SELECT COUNT(*) AS n FROM audit_log a ${clause}`).get(params) as { n: number }).n;
    const rows = this.cache
      .get(
        `SELECT a.*, ${ACTOR_LABEL} AS actor_label, p.name AS policy_name
         FROM audit_log a LEFT JOIN policies p ON p.id = a.policy_id ${clause}
         ORDER BY a.id DESC LIMIT @limit OFFSET @offset`,
      )
      .all(params) as RawListed[];
    const refs = this.refsFor(rows);
    return {
      total,
      offset: f.offset,
      items: rows.map((r) => ({
        id: r.id,
        at: r.at,
        actor: r.actor,
        actorLabel: r.actor_label,
        osUser: r.os_user,
        operatorName: r.operator_name,
        host: r.host,
        action: r.action,
        subjectId: r.subject_id,
        policyId: r.policy_id,
        policyName: r.policy_name,
        jobId: r.job_id,
        detail: r.detail,
        hash: r.hash ?? '',
        prevHash: r.prev_hash ?? '',
        refs: refs(r),
      })),
    };
  }

  /** Values the filters offer: the policies, actors and kinds that occur in the log. */
  facets(): AuditFacets {
    const policies = this.cache
      .get(
        `SELECT a.policy_id AS id, COALESCE(p.name, a.policy_id) AS name
         FROM (SELECT DISTINCT policy_id FROM audit_log WHERE policy_id IS NOT NULL) a
         LEFT JOIN policies p ON p.id = a.policy_id ORDER BY name COLLATE NOCASE`,
      )
      .all() as { id: string; name: string }[];
    const actors = this.cache.get(`SELECT DISTINCT ${ACTOR_LABEL} AS label FROM audit_log a ORDER BY label`).pluck().all() as string[];
    const kinds = this.cache.get(`SELECT DISTINCT ${KIND} AS kind FROM audit_log a ORDER BY kind`).pluck().all() as string[];
    return { policies, actors, kinds };
  }

  /** Names for every id an entry mentions (subject, links, ids in its detail), read in one go per kind. */
  private refsFor(rows: readonly RawListed[]): (r: RawListed) => AuditRef[] {
    const ids = new Set<string>();
    const mentioned = (r: RawListed): string[] => {
      const out = new Set<string>();
      for (const id of [r.subject_id, r.policy_id, r.job_id]) if (id) out.add(id);
      for (const m of r.detail.matchAll(ID_IN_TEXT)) out.add(m[0]);
      return [...out];
    };
    for (const r of rows) for (const id of mentioned(r)) ids.add(id);
    const known = new Map<string, AuditRef>();
    const byPrefix = (prefix: string) => [...ids].filter((id) => id.startsWith(`${prefix}_`));
    const lookup = (prefix: string, sql: (marks: string) => string, toRef: (row: Record<string, unknown>) => AuditRef) => {
      const list = byPrefix(prefix);
      for (let i = 0; i < list.length; i += 500) {
        const chunk = list.slice(i, i + 500);
        const rowsOf = this.db.prepare(sql(chunk.map(() => '?').join(','))).all(...chunk) as Record<string, unknown>[];
        for (const row of rowsOf) {
          const ref = toRef(row);
          known.set(ref.id, ref);
        }
      }
    };
    lookup('pol', (m) => `SELECT id, name FROM policies WHERE id IN (${m})`, (r) => ({ id: String(r.id), type: 'policy', name: String(r.name), at: null, jobKind: null }));
    lookup('acc', (m) => `SELECT id, name FROM accounts WHERE id IN (${m})`, (r) => ({ id: String(r.id), type: 'account', name: String(r.name), at: null, jobKind: null }));
    lookup('env', (m) => `SELECT id, name FROM environments WHERE id IN (${m})`, (r) => ({ id: String(r.id), type: 'environment', name: String(r.name), at: null, jobKind: null }));
    lookup('job', (m) => `SELECT id, kind, created_at FROM jobs WHERE id IN (${m})`, (r) => ({
      id: String(r.id),
      type: 'job',
      name: null,
      at: String(r.created_at),
      jobKind: String(r.kind) as AuditRef['jobKind'],
    }));
    lookup('rp', (m) => `SELECT id, created_at FROM recovery_points WHERE id IN (${m})`, (r) => ({ id: String(r.id), type: 'recoveryPoint', name: null, at: String(r.created_at), jobKind: null }));
    lookup('whd', (m) => `SELECT id, created_at FROM webhook_deliveries WHERE id IN (${m})`, (r) => ({ id: String(r.id), type: 'webhookDelivery', name: null, at: String(r.created_at), jobKind: null }));
    return (r) => mentioned(r).map((id) => known.get(id)).filter((x): x is AuditRef => x !== undefined);
  }
}
