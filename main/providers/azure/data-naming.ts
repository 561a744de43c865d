// Deterministic names and typed ARM ids for the Azure SQL database and storage account handlers
// (tags and the shared helpers are naming.ts's): every name is derived from the policy id
// (replication data) or the step's idempotency key (test copies), so a replayed step finds (or asks
// again for) the same resource.

import { ProviderFailure } from '../provider-failure';
import type { StepContext } from '../types';
import { DR_TAG, drTagRecord, hashHex, parseArmId, sameLocation, userTags } from './naming';

export { DR_TAG, drTagRecord, sameLocation, userTags };

function slug(s: string, max: number, allowed: RegExp): string {
  const cleaned = s.toLowerCase().replace(allowed, '');
  return cleaned.slice(0, max) || 'r';
}

/** A SQL server name in the target for a policy's source server: lower-case, digits and '-', ≤ 63, global. */
export function targetSqlServerName(sourceServer: string, targetRegion: string, policyId: string): string {
  const suffix = hashHex('sql-server', policyId, sourceServer, targetRegion).slice(0, 8);
  const base = slug(sourceServer, 63 - 12, /[^a-z0-9-]+/g).replace(/^-+|-+$/g, '') || 'sql';
  return `${base}-dr-${suffix}`;
}

/** A test copy of a database for one test-failover step (database names allow 128 characters). */
export function testDatabaseName(database: string, ctx: Pick<StepContext, 'idempotencyKey'>): string {
  return `drtest-${database.slice(0, 100)}-${hashHex('test', ctx.idempotencyKey).slice(0, 8)}`;
}

/** A storage account name in the target for a policy's source account: 3-24 lower-case letters and digits, global. */
export function targetStorageAccountName(sourceAccount: string, targetRegion: string, policyId: string): string {
  return `${slug(sourceAccount, 14, /[^a-z0-9]+/g)}dr${hashHex('storage-account', policyId, sourceAccount, targetRegion).slice(0, 8)}`;
}

/** A test storage account for one test-failover step. */
export function testStorageAccountName(sourceAccount: string, ctx: Pick<StepContext, 'idempotencyKey'>): string {
  return `${slug(sourceAccount, 14, /[^a-z0-9]+/g)}t${hashHex('test', ctx.idempotencyKey).slice(0, 9)}`;
}

/** The resource group and names of an ARM id of one type (`servers/{a}/databases/{b}` gives ['a', 'b']). */
export function parseTypedId(id: string, namespace: string, types: readonly string[], what: string): { resourceGroup: string; names: string[] } {
  const p = parseArmId(id);
  const ok =
    p !== null &&
    p.namespace.toLowerCase() === namespace.toLowerCase() &&
    p.types.length === types.length &&
    p.names.length === types.length &&
    types.every((t, i) => p.types[i]!.toLowerCase() === t.toLowerCase());
  if (!ok) throw new ProviderFailure('ValidationFailed', `"${id.slice(0, 200)}" is not the ARM id of ${what}; protect the resource again from the resource picker.`);
  return { resourceGroup: p.resourceGroup, names: p.names.map((n) => decodeURIComponent(n)) };
}
