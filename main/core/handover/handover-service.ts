// The handover bundle (issue 12, item 3): the whole workspace (accounts and environments without
// their secrets, policies, the recovery-point catalog, jobs with their steps and mappings, the audit
// log) in one passphrase-encrypted file (bundle-format.ts); credentials travel only on opt-in.
// What the database derives itself is not carried: recovery points' item counts and the per-day
// totals (migration 009's triggers count them again as the rows arrive); neither is what is local to
// this console (credential caches sealed under its data key, connectivity, leases, manifests).
// Import reads and checks the whole file before it writes anything, then writes in one transaction,
// and reports every policy both sides know (same id) with whose state is newer.

import type { HandoverImportResult } from '../../../shared/offline';
import { CredentialInput } from '../../../shared/domain';
import type { Vault } from '../../credentials/vault';
import type { Repos } from '../../db/repos';
import type { LeaseHolder } from '../../providers/target-store';
import type { AuditLog } from '../audit-log';
import type { Clock } from '../clock';
import { DomainError } from '../errors';
import type { EventBus } from '../events';
import { openBundle, sealBundle, BUNDLE_SCRYPT, type ScryptCost } from './bundle-format';

/** Parents before children, so foreign keys hold row by row. */
const TABLES = [
  'accounts',
  'environments',
  'policies',
  'protected_resources',
  'jobs',
  'job_steps',
  'job_operations',
  'recovery_points',
  'recovery_point_items',
  'resource_mappings',
  'test_resources',
  'audit_log',
] as const;
type Table = (typeof TABLES)[number];

/** Tables a bundle from an older console may not have (their migration came later): read as empty. */
const OPTIONAL_TABLES: ReadonlySet<Table> = new Set<Table>(['job_operations']);

/**
 * Columns the database keeps itself by trigger (migration 009): importing them as well would count
 * every item twice, once in the copied value and once more by the trigger as the items arrive.
 */
const DERIVED_COLUMNS: Partial<Record<Table, ReadonlySet<string>>> = {
  recovery_points: new Set(['item_count', 'failed_item_count']),
};

type Row = Record<string, unknown>;

interface Payload {
  kind: 'workspace';
  schemaVersion: number;
  exportedAt: string;
  exportedBy: LeaseHolder;
  tables: Record<Table, Row[]>;
  credentials: { accounts: { id: string; credentials: unknown }[]; webhookSecrets: { policyId: string; secret: string }[] } | null;
}

const STATE_RANK: Record<string, number> = { active: 0, failing_over: 1, failed_over: 2 };

/** Row values as JSON: BLOBs as {"$base64": ...}; secrets are never among them (see export). */
function encodeRow(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = Buffer.isBuffer(v) ? { $base64: v.toString('base64') } : typeof v === 'bigint' ? Number(v) : v;
  return out;
}
function decodeValue(v: unknown): unknown {
  if (v && typeof v === 'object' && '$base64' in v && typeof (v as { $base64: unknown }).$base64 === 'string') return Buffer.from((v as { $base64: string }).$base64, 'base64');
  if (v !== null && typeof v === 'object') throw new DomainError('ValidationFailed', 'The handover bundle holds a value this console cannot store; nothing was imported.');
  return v;
}

export interface HandoverServiceDeps {
  repos: Repos;
  vault: Vault;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  holder: () => LeaseHolder;
  /** scrypt cost of new bundles (tests use a cheaper one; reading honours the file's own). */
  scrypt?: ScryptCost;
}

export class HandoverService {
  constructor(private readonly d: HandoverServiceDeps) {}

  export(passphrase: string, includeCredentials: boolean) {
    const { db } = this.d.repos;
    const at = this.d.clock.iso();
    const tables = {} as Record<Table, Row[]>;
    let credentials: Payload['credentials'] = null;
    db.transaction(() => {
      for (const t of TABLES) {
        tables[t] = (db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all() as Row[]).map((r) => {
          // Secrets are ciphertext under THIS console's data key: useless elsewhere, never exported as such.
          const { secret: _s, webhook_secret: _w, ...rest } = r;
          void _s;
          void _w;
          return encodeRow(rest);
        });
      }
      if (includeCredentials) {
        credentials = { accounts: [], webhookSecrets: [] };
        for (const a of this.d.repos.accounts.list()) {
          const secret = this.d.repos.accounts.secret(a.id);
          if (!secret || secret.length === 0) continue;
          credentials.accounts.push({ id: a.id, credentials: this.d.vault.open(a.id, a.credentialKind, secret) });
        }
        for (const r of db.prepare('SELECT id, webhook_secret FROM policies WHERE webhook_secret IS NOT NULL').all() as { id: string; webhook_secret: Buffer }[]) {
          const plain = this.d.vault.openWebhookSecret(r.id, r.webhook_secret);
          credentials.webhookSecrets.push({ policyId: r.id, secret: plain.toString('utf8') });
          plain.fill(0);
        }
      }
    })();
    const payload: Payload = {
      kind: 'workspace',
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      exportedAt: at,
      exportedBy: this.d.holder(),
      tables,
      credentials,
    };
    const file = sealBundle(payload, passphrase, at, this.d.scrypt ?? BUNDLE_SCRYPT);
    this.d.audit.record(
      'operator',
      'handover.export',
      null,
      `${tables.policies.length} policy(ies), ${tables.recovery_points.length} recovery point(s), ${tables.jobs.length} job(s), ${tables.audit_log.length} audit entries${includeCredentials ? ', WITH credentials' : ', credentials excluded'}`,
    );
    return {
      fileName: `failover-console-handover-${at.slice(0, 19).replace(/[:T]/g, '-')}.fcbundle`,
      bundleBase64: file.toString('base64'),
      bytes: file.length,
      policies: tables.policies.length,
      recoveryPoints: tables.recovery_points.length,
      jobs: tables.jobs.length,
      auditEntries: tables.audit_log.length,
      credentialsIncluded: includeCredentials,
    };
  }

  import(bundleBase64: string, passphrase: string): HandoverImportResult {
    const file = Buffer.from(bundleBase64, 'base64');
    const { payload: raw } = openBundle(file, passphrase);
    const payload = this.validate(raw);
    const { db } = this.d.repos;
    const result: HandoverImportResult = {
      exportedAt: payload.exportedAt,
      exportedBy: `${payload.exportedBy.host}${payload.exportedBy.user ? ` (${payload.exportedBy.user})` : ''}`,
      accounts: 0,
      environments: 0,
      policiesAdded: 0,
      policiesUpdated: 0,
      recoveryPointsAdded: 0,
      jobsAdded: 0,
      auditEntriesAdded: 0,
      credentialsImported: false,
      conflicts: [],
    };
    const creds = new Map((payload.credentials?.accounts ?? []).map((c) => [c.id, c.credentials]));
    const hooks = new Map((payload.credentials?.webhookSecrets ?? []).map((w) => [w.policyId, w.secret]));
    if (creds.size + hooks.size > 0 && !this.d.vault.status().ok) {
      const why = this.d.vault.status();
      throw new DomainError('CredentialStoreUnavailable', `This bundle carries credentials, but this console cannot store secrets yet (${why.ok ? '' : why.reason}); nothing was imported. Unlock or set up the credential store first.`);
    }
    const from = result.exportedBy;
    db.transaction(() => {
      const columns = new Map(TABLES.map((t) => [t, new Set((db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name))]));
      const insert = (t: Table, row: Row, mode: 'OR IGNORE' | '' = 'OR IGNORE'): number => {
        const cols = Object.keys(row).filter((c) => columns.get(t)!.has(c) && !DERIVED_COLUMNS[t]?.has(c));
        const sql = `INSERT ${mode} INTO ${t} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
        return db.prepare(sql).run(...cols.map((c) => decodeValue(row[c]))).changes;
      };
      const exists = (t: Table, id: unknown) => db.prepare(`SELECT 1 FROM ${t} WHERE id = ?`).pluck().get(id) !== undefined;
      const freeName = (base: string, taken: (n: string) => boolean) => {
        let n = base;
        for (let i = 1; taken(n); i++) n = `${base} (imported${i > 1 ? ` ${i}` : ''})`;
        return n;
      };

      for (const a of payload.tables.accounts) {
        if (exists('accounts', a.id)) continue;
        const name = freeName(String(a.name), (n) => db.prepare('SELECT 1 FROM accounts WHERE name = ?').pluck().get(n) !== undefined);
        const c = creds.get(String(a.id));
        let secret: Buffer = Buffer.alloc(0);
        if (c !== undefined) {
          const parsed = CredentialInput.safeParse(c);
          if (!parsed.success) throw new DomainError('ValidationFailed', `The credentials of account "${String(a.name)}" in the bundle are not valid; nothing was imported.`);
          secret = this.d.vault.seal(String(a.id), parsed.data);
          result.credentialsImported = true;
        }
        insert('accounts', { ...a, name, secret: { $base64: secret.toString('base64') } }, '');
        result.accounts++;
      }
      for (const e of payload.tables.environments) {
        if (exists('environments', e.id)) continue;
        const name = freeName(String(e.name), (n) => db.prepare('SELECT 1 FROM environments WHERE account_id = ? AND name = ?').pluck().get(e.account_id, n) !== undefined);
        insert('environments', { ...e, name }, '');
        result.environments++;
      }
      for (const p of payload.tables.policies) {
        const ours = db.prepare('SELECT name, state, updated_at FROM policies WHERE id = ?').get(p.id) as { name: string; state: string; updated_at: string } | undefined;
        if (!ours) {
          const name = freeName(String(p.name), (n) => db.prepare('SELECT 1 FROM policies WHERE name = ?').pluck().get(n) !== undefined);
          insert('policies', { ...p, name }, '');
          result.policiesAdded++;
          continue;
        }
        const theirs = { state: String(p.state), updatedAt: String(p.updated_at) };
        const cmp = (STATE_RANK[theirs.state] ?? 0) - (STATE_RANK[ours.state] ?? 0) || theirs.updatedAt.localeCompare(ours.updated_at);
        const bundle = cmp > 0 ? 'newer' : cmp < 0 ? 'older' : 'same';
        if (bundle === 'newer') {
          const cols = Object.keys(p).filter((c) => c !== 'id' && c !== 'name' && columns.get('policies')!.has(c));
          db.prepare(`UPDATE policies SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(...cols.map((c) => decodeValue(p[c])), p.id);
          result.policiesUpdated++;
        }
        result.conflicts.push({
          policyId: String(p.id),
          policyName: ours.name,
          bundle,
          detail:
            bundle === 'newer'
              ? `The bundle's policy (${theirs.state}, changed ${theirs.updatedAt}) is newer than this console's (${ours.state}, changed ${ours.updated_at}); the bundle's was taken.`
              : bundle === 'older'
                ? `The bundle's policy (${theirs.state}, changed ${theirs.updatedAt}) is older than this console's (${ours.state}, changed ${ours.updated_at}); this console's was kept.`
                : `Both consoles hold the same state of this policy (${ours.state}, changed ${ours.updated_at}); nothing to take.`,
        });
      }
      for (const [policyId, secret] of hooks) {
        if (db.prepare('SELECT 1 FROM policies WHERE id = ? AND webhook_secret IS NULL').pluck().get(policyId) === undefined) continue;
        db.prepare('UPDATE policies SET webhook_secret = ? WHERE id = ?').run(this.d.vault.sealWebhookSecret(policyId, secret), policyId);
        result.credentialsImported = true;
      }
      for (const r of payload.tables.protected_resources) insert('protected_resources', r);
      for (const j of payload.tables.jobs) {
        // A job that was running on the other console keeps running THERE: here it is history.
        const unfinished = j.status === 'queued' || j.status === 'running';
        // Owned by the other console: this one never resumes or retries it (it holds no lease for it).
        const owned = { ...j, owner: `handover:${from}`.slice(0, 200), heartbeat_at: null };
        const row = unfinished ? { ...owned, status: 'failed', error: `Imported from a handover bundle while it was ${String(j.status)} on console ${from}; it continues there.` } : owned;
        result.jobsAdded += insert('jobs', row);
      }
      for (const s of payload.tables.job_steps) {
        const row = s.status === 'running' || s.status === 'pending' ? { ...s, status: 'cancelled' } : s;
        insert('job_steps', row);
      }
      // The journal of operations of those steps, verbatim (it is evidence of what was asked of a cloud).
      for (const o of payload.tables.job_operations) insert('job_operations', o);
      for (const rp of payload.tables.recovery_points) result.recoveryPointsAdded += insert('recovery_points', rp);
      for (const t of ['recovery_point_items', 'resource_mappings', 'test_resources'] as const) for (const r of payload.tables[t]) insert(t, r);
      // The audit chain is copied verbatim (ids included) into a database without one; a console
      // with its own chain keeps it and records the import in it.
      const localAudit = db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
      if (localAudit === 0) for (const e of payload.tables.audit_log) result.auditEntriesAdded += insert('audit_log', e, '');
      this.d.audit.record(
        'operator',
        'handover.import',
        null,
        `bundle from ${from} exported ${payload.exportedAt}: ${result.policiesAdded} policy(ies) added, ${result.policiesUpdated} updated, ${result.recoveryPointsAdded} recovery point(s), ${result.jobsAdded} job(s), ${result.auditEntriesAdded} audit entries${localAudit > 0 ? ' (this console keeps its own audit chain)' : ''}; ${result.conflicts.length} conflict(s)${result.credentialsImported ? '; credentials imported' : ''}`,
      );
    })();
    this.d.events.emit('dr:policies.changed', { policyId: null });
    return result;
  }

  private validate(raw: unknown): Payload {
    const p = raw as Partial<Payload> | null;
    const bad = (why: string) => new DomainError('ValidationFailed', `The handover bundle's content is not a workspace this console can import (${why}); nothing was imported.`);
    if (!p || p.kind !== 'workspace' || typeof p.exportedAt !== 'string' || !p.exportedBy || typeof p.tables !== 'object' || p.tables === null) throw bad('missing parts');
    const ours = this.d.repos.db.pragma('user_version', { simple: true }) as number;
    if (typeof p.schemaVersion !== 'number' || p.schemaVersion > ours) {
      throw new DomainError('PreconditionFailed', `The handover bundle comes from a newer Failover Console (schema ${String(p.schemaVersion)}, this one knows ${ours}); update this console to import it. Nothing was imported.`);
    }
    for (const t of TABLES) {
      const tables = p.tables as Record<string, unknown>;
      if (tables[t] === undefined && OPTIONAL_TABLES.has(t)) tables[t] = [];
      const rows = tables[t];
      if (!Array.isArray(rows) || rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) throw bad(`table ${t}`);
    }
    return p as Payload;
  }
}

