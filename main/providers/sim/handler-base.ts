// Pieces every simulated handler shares: discovery, loading the source, recording and removing the
// policy's replication on the source, and deleting test resources on Reset.

import { resourceType } from '../../../shared/catalog';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CreatedResource, DiscoverContext, ProtectedResourceRef, StepContext } from '../types';
import type { SimInventory } from './inventory';
import { digest } from './prng';
import { assertCloud, simFamily, type SimCloud, type SimOperation } from './sim-cloud';
import type { SimResource } from './sim-store';
import { pickSettings, replicationEntries, type CapturedBase, type ReplicationEntry, type SimTypeBase } from './type-spec';

export interface SimWorld {
  cloud: SimCloud;
  inventory: SimInventory;
}

export async function discoverType(world: SimWorld, spec: SimTypeBase, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  if (ctx.env.account.cloud !== resourceType(spec.type).cloud) return [];
  await world.cloud.call(
    'discover',
    { type: spec.type, name: resourceType(spec.type).label, region: ctx.env.region, action: 'list resources' },
    ctx.signal,
  );
  world.inventory.ensure(ctx.env);
  // Only what the customer owns: replicas, test copies and failed-over resources are the console's.
  return world.inventory.list(ctx.env.account.id, ctx.env.region, spec.type).map((r) => world.inventory.describe(spec, r));
}

export function assertStepClouds(spec: SimTypeBase, ctx: StepContext): void {
  assertCloud(spec.type, ctx.source.account, 'source');
  assertCloud(spec.type, ctx.target.account, 'target');
}

/** The protected resource as it is now in the source region (one describe call). */
export async function loadSource(
  world: SimWorld,
  spec: SimTypeBase,
  resource: ProtectedResourceRef,
  ctx: StepContext,
  op: SimOperation,
): Promise<SimResource> {
  await world.cloud.read(ctx, op, {
    type: spec.type,
    name: resource.name,
    region: ctx.source.region,
    action: `describe ${resourceType(spec.type).label} ${resource.name}`,
  });
  const source = world.cloud.get(ctx.source.account.id, resource.nativeId);
  if (!source || source.type !== spec.type) {
    throw new ProviderFailure(
      'NotFound',
      `The ${resourceType(spec.type).label} ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`,
    );
  }
  return source;
}

export function captureBase(spec: SimTypeBase, source: SimResource): CapturedBase {
  return {
    name: source.name,
    kind: source.kind,
    sourceId: source.nativeId,
    sourceRegion: source.region,
    tags: { ...source.tags },
    settings: pickSettings(source, spec.settings),
  };
}

/** The id of the replication rule / link / copy schedule a policy owns on one source resource. */
export function replicationId(policyId: string, sourceNativeId: string): string {
  return `dr-${digest('replication', policyId, sourceNativeId).slice(0, 12)}`;
}

/** Adds the policy's replication entry to the source the first time; later calls leave it alone. */
export async function ensureReplicationEntry(
  world: SimWorld,
  spec: SimTypeBase,
  ctx: StepContext,
  source: SimResource,
  entry: Pick<ReplicationEntry, 'id' | 'kind' | 'destination' | 'destinationRegion'>,
): Promise<void> {
  if (replicationEntries(source).some((e) => e.id === entry.id)) return;
  const createdAt = world.cloud.now();
  await world.cloud.modify(
    ctx,
    'replicate',
    { type: spec.type, name: source.name, region: source.region },
    { accountId: source.accountId, nativeId: source.nativeId, action: `add ${entry.kind} ${entry.id}` },
    (r) => ({
      attributes: {
        ...r.attributes,
        replication: [
          ...replicationEntries(r).filter((e) => e.id !== entry.id),
          { ...entry, policyId: ctx.policyId, createdAt } satisfies ReplicationEntry,
        ],
      },
    }),
  );
}

/**
 * Removes the policy's replication entries matching `which` from the source. Entries of other
 * policies and the customer's own rules stay. A source that is gone (region lost) has nothing left.
 */
export async function removeReplicationEntries(
  world: SimWorld,
  spec: SimTypeBase,
  ctx: StepContext,
  op: SimOperation,
  sourceNativeId: string,
  which: (e: ReplicationEntry) => boolean,
): Promise<ReplicationEntry[]> {
  const source = world.cloud.get(ctx.source.account.id, sourceNativeId);
  if (!source) return [];
  const doomed = replicationEntries(source).filter((e) => e.policyId === ctx.policyId && which(e));
  if (doomed.length === 0) return [];
  const ids = new Set(doomed.map((e) => e.id));
  await world.cloud.modify(
    ctx,
    op,
    { type: spec.type, name: source.name, region: source.region },
    {
      accountId: source.accountId,
      nativeId: source.nativeId,
      action: `delete ${doomed.map((e) => `${e.kind} ${e.id}`).join(', ')}`,
    },
    (r) => ({
      attributes: { ...r.attributes, replication: replicationEntries(r).filter((e) => !ids.has(e.id)) },
    }),
  );
  return doomed;
}

/** Reset: deletes one test resource; already gone is success; anything not made by a test is refused. */
export async function resetTestResource(
  world: SimWorld,
  spec: SimTypeBase,
  created: CreatedResource,
  ctx: StepContext,
): Promise<void> {
  assertCloud(spec.type, ctx.target.account, 'target');
  const existing = world.cloud.get(ctx.target.account.id, created.nativeId);
  if (!existing) {
    // The delete still goes out (a mutating call, journaled) and comes back "not found", which counts as done.
    await ctx.mutate(`delete:${created.nativeId}`, {
      family: simFamily(spec.type, 'write', created.kind),
      intent: { action: 'delete', kind: created.kind, nativeId: created.nativeId, token: ctx.idempotencyKey },
      call: (signal) => world.cloud.call('reset', { type: spec.type, name: created.name, region: ctx.target.region, action: `delete ${created.kind}` }, signal),
    });
    return;
  }
  if (existing.origin !== 'test') {
    throw new ProviderFailure(
      'PreconditionFailed',
      `Reset refused to delete ${created.kind} ${created.name} (${created.nativeId}): it was not created by a test failover.`,
    );
  }
  await world.cloud.remove(
    ctx,
    'reset',
    { type: spec.type, name: created.name, region: existing.region },
    { accountId: existing.accountId, nativeId: existing.nativeId, kind: existing.kind },
  );
}

/** Stop replication: removes every replication entry this policy owns on the source. */
export async function stopPolicyReplication(
  world: SimWorld,
  spec: SimTypeBase,
  resource: ProtectedResourceRef,
  ctx: StepContext,
): Promise<void> {
  assertCloud(spec.type, ctx.source.account, 'source');
  await world.cloud.read(ctx, 'stopReplication', {
    type: spec.type,
    name: resource.name,
    region: ctx.source.region,
    action: `describe replication of ${resource.name}`,
  });
  await removeReplicationEntries(world, spec, ctx, 'stopReplication', resource.nativeId, () => true);
}

export function missingReplicatedData(spec: SimTypeBase, what: string, id: string, name: string, region: string): ProviderFailure {
  return new ProviderFailure(
    'NotFound',
    `The ${what} of ${resourceType(spec.type).label} ${name} (${id}) no longer exists in ${region}. Run replication again and use the new recovery point.`,
  );
}
