// The audit log's hash chain: each entry carries the SHA-256 of the entry before it, over one
// canonical serialisation, so changing, removing or reordering any stored entry breaks the chain
// at that entry. Shared by the migration that chains the rows written before it and by AuditRepo.

import { createHash } from 'node:crypto';
import type { Db } from './connection';

/** prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every stored field of an entry except its own hash, as the chain sees it. */
export interface ChainedFields {
  id: number;
  at: string;
  actor: string;
  osUser: string | null;
  operatorName: string | null;
  host: string | null;
  action: string;
  subjectId: string | null;
  policyId: string | null;
  jobId: string | null;
  detail: string;
  prevHash: string;
}

export interface RawChainedRow {
  id: number;
  at: string;
  actor: string;
  os_user: string | null;
  operator_name: string | null;
  host: string | null;
  action: string;
  subject_id: string | null;
  policy_id: string | null;
  job_id: string | null;
  detail: string;
  prev_hash: string | null;
  hash: string | null;
}

/**
 * A JSON array in a fixed field order: no key-order or whitespace freedom, and JSON string
 * escaping keeps a field from running into the next one. A version tag leads so the format can
 * change without old entries verifying by accident.
 */
export function canonicalEntry(e: ChainedFields): string {
  return JSON.stringify([
    'audit/v1',
    e.id,
    e.at,
    e.actor,
    e.osUser,
    e.operatorName,
    e.host,
    e.action,
    e.subjectId,
    e.policyId,
    e.jobId,
    e.detail,
    e.prevHash,
  ]);
}

export function entryHash(e: ChainedFields): string {
  return createHash('sha256').update(canonicalEntry(e), 'utf8').digest('hex');
}

export function fieldsOf(r: RawChainedRow, prevHash: string): ChainedFields {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    osUser: r.os_user,
    operatorName: r.operator_name,
    host: r.host,
    action: r.action,
    subjectId: r.subject_id,
    policyId: r.policy_id,
    jobId: r.job_id,
    detail: r.detail,
    prevHash,
  };
}

/** Chains every row that has no hash yet, in id order, after the last chained one (migration 009). */
export function chainUnchained(db: Db): number {
  const rows = db.prepare<[], RawChainedRow>('SELECT * FROM audit_log WHERE hash IS NULL ORDER BY id').all();
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?');
  const before = db.prepare<[number], { hash: string | null }>('SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1');
  let prev: string | null = null;
  for (const r of rows) {
    prev ??= before.get(r.id)?.hash ?? GENESIS_HASH;
    const hash = entryHash(fieldsOf(r, prev));
    update.run(prev, hash, r.id);
    prev = hash;
  }
  return rows.length;
}

export type ChainVerdict =
  | { ok: true; entries: number; headId: number | null; headHash: string }
  | { ok: false; entries: number; brokenId: number; reason: string };

/** Walks the whole chain in id order and names the first entry that does not hold. */
export function verifyChain(db: Db): ChainVerdict {
  let prev = GENESIS_HASH;
  let n = 0;
  let headId: number | null = null;
  for (const r of db.prepare<[], RawChainedRow>('SELECT * FROM audit_log ORDER BY id').iterate()) {
    n += 1;
    if (r.prev_hash !== prev) {
      return {
        ok: false,
        entries: n,
        brokenId: r.id,
        reason:
          r.prev_hash === null
            ? `Entry ${r.id} is not chained.`
            : `Entry ${r.id} does not follow the entry before it: an entry before it was removed, inserted or rewritten.`,
      };
    }
    const expected = entryHash(fieldsOf(r, prev));
    if (r.hash !== expected) {
      return { ok: false, entries: n, brokenId: r.id, reason: `Entry ${r.id} was changed after it was written: its content no longer matches its hash.` };
    }
    prev = expected;
    headId = r.id;
  }
  return { ok: true, entries: n, headId, headHash: prev };
}
