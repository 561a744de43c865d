// Read and seed helpers over the simulated cloud, for tests, crash checks and benchmarks: what a
// region holds, what a step created, and ways to change a source or pre-create a target resource.

import type { Db } from '../../db/connection';
import {
  getResource,
  insertResource,
  queryResources,
  updateResource,
  type NewSimResource,
  type SimOrigin,
  type SimResource,
} from './sim-store';

/** The customer's own resources in a region (what discovery returns), live only. */
export function simInventory(db: Db, accountId: string, region: string): SimResource[] {
  return queryResources(db, { accountId, region, origin: 'inventory' });
}

/** Live (not deleted) resources, filtered. */
export function simLiveResources(
  db: Db,
  filter: { accountId?: string; region?: string; origin?: SimOrigin | readonly SimOrigin[]; kind?: string; type?: string; name?: string } = {},
): SimResource[] {
  return queryResources(db, filter);
}

/** Everything a step (by its idempotency key) created, deleted ones included. */
export function simResourcesByStep(db: Db, stepKey: string, opts: { includeDeleted?: boolean } = {}): SimResource[] {
  return queryResources(db, { stepKey, includeDeleted: opts.includeDeleted ?? true });
}

export function simFindResource(db: Db, accountId: string, nativeId: string): SimResource | undefined {
  return getResource(db, accountId, nativeId);
}

/**
 * Changes a source resource as an operator would in the console of the cloud (resize, retag...):
 * `attributes` are merged shallowly, `tags` merged. Throws when the resource does not exist.
 */
export function simMutateSource(
  db: Db,
  nativeId: string,
  attributes: Record<string, unknown>,
  opts: { accountId?: string; tags?: Record<string, string> } = {},
): SimResource {
  const rows = (db
    .prepare('SELECT account_id FROM sim_resources WHERE native_id = ? AND deleted_at IS NULL')
    .all(nativeId) as { account_id: string }[]).filter((r) => !opts.accountId || r.account_id === opts.accountId);
  const first = rows[0];
  if (!first) throw new Error(`No live simulated resource with id ${nativeId}`);
  if (rows.length > 1) throw new Error(`${rows.length} simulated accounts hold ${nativeId}; pass accountId`);
  const updated = updateResource(db, first.account_id, nativeId, (r) => ({
    attributes: { ...r.attributes, ...attributes },
    tags: { ...r.tags, ...(opts.tags ?? {}) },
  }));
  if (!updated) throw new Error(`No live simulated resource with id ${nativeId}`);
  return updated;
}

/** Puts a resource into the simulated cloud directly, e.g. an IAM role that already exists in a target. */
export function simSeedResource(
  db: Db,
  r: Omit<NewSimResource, 'createdAt' | 'scope' | 'tags' | 'attributes' | 'type'> &
    Partial<Pick<NewSimResource, 'createdAt' | 'scope' | 'tags' | 'attributes' | 'type'>>,
): SimResource {
  return insertResource(db, {
    scope: '',
    tags: {},
    attributes: {},
    type: r.kind,
    createdAt: new Date().toISOString(),
    ...r,
  });
}
