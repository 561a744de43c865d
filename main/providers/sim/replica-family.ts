// Types replicated into a standing replica (databases, buckets, storage accounts): failover applies
// the point's metadata to the replica and, where the table says so, deletes the policy's replication link.

import { resourceType } from '../../../shared/catalog';
import { UNREACHABLE_CODES } from '../../../shared/errors';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import {
  assertStepClouds,
  captureBase,
  discoverType,
  ensureReplicationEntry,
  loadSource,
  missingReplicatedData,
  removeReplicationEntries,
  replicationId,
  resetTestResource,
  stopPolicyReplication,
  type SimWorld,
} from './handler-base';
import { shortToken, testName, type EnvLike } from './naming';
import type { SimOperation } from './sim-cloud';
import { updateResource, type SimResource } from './sim-store';
import { drTags, readCaptured, type SimTypeBase } from './type-spec';

export interface ReplicaTypeSpec extends SimTypeBase {
  family: 'replica';
  /** How the link appears on the source: ReplicationRule, ReadReplica, GeoReplicationLink... */
  linkKind: string;
  /** The product document's "delete the replication rule / read replica" on failover. */
  failoverRemovesLink: boolean;
  /** What failover sets on the replica besides the captured settings (the promotion). */
  promoted: Record<string, unknown>;
  /** How the replica describes itself while it follows the source. */
  replicaState: Record<string, unknown>;
  /** The standing replica's deterministic name and id in the target (looked up before creating). */
  replica(source: SimResource, target: EnvLike, policyToken: string): { name: string; nativeId: string };
  /** An independent copy made by test failover (restored / copied from the replica). */
  testCopy(name: string, target: EnvLike, replica: SimResource): { name: string; nativeId: string };
  /** The test copy's name; defaults to the common drtest prefix. */
  testName?(name: string, jobId: string): string;
}

export function replicaHandler(world: SimWorld, spec: ReplicaTypeSpec): ResourceHandler {
  const { cloud } = world;
  const label = resourceType(spec.type).label;

  const loadReplica = async (
    item: { dataRefs: { kind: string; id: string }[] },
    name: string,
    ctx: StepContext,
    op: SimOperation,
  ): Promise<SimResource> => {
    const { id: accountId } = ctx.target.account;
    const region = ctx.target.region;
    const ref = item.dataRefs.find((d) => d.kind === 'Replica');
    if (!ref) {
      throw new ProviderFailure(
        'PreconditionFailed',
        `The recovery point of ${label} ${name} has no replica reference; choose a recovery point created by a successful replication.`,
      );
    }
    await cloud.read(ctx, op, { type: spec.type, name, region, action: `describe replica ${ref.id}` });
    const replica = cloud.get(accountId, ref.id);
    if (!replica) throw missingReplicatedData(spec, 'replica', ref.id, name, region);
    return replica;
  };

  return {
    type: spec.type,
    usesLatestPoint: resourceType(spec.type).usesLatestPoint,

    discover: (ctx) => discoverType(world, spec, ctx),

    async replicate(resource, ctx): Promise<CapturedItem> {
      assertStepClouds(spec, ctx);
      const source = await loadSource(world, spec, resource, ctx, 'replicate');
      const subject = { type: spec.type, name: source.name };
      const want = spec.replica(source, ctx.target, shortToken(ctx.policyId));
      const { resource: replica, outcome } = await cloud.ensure(
        ctx,
        'replicate',
        subject,
        {
          kind: source.kind,
          type: spec.type,
          name: want.name,
          nativeId: want.nativeId,
          tags: { ...source.tags, ...drTags(ctx, 'replication', ctx.recoveryPointId), 'dr:replica-of': source.nativeId },
          attributes: {
            ...captureBase(spec, source).settings,
            ...spec.replicaState,
            replicaOf: source.nativeId,
            sourceRegion: source.region,
          },
          origin: 'replication',
        },
        { share: true },
      );
      if (outcome === 'reused' && replica.tags['dr:policy'] !== ctx.policyId) {
        throw new ProviderFailure(
          'Conflict',
          `${replica.name} already exists in ${ctx.target.region} and is not this policy's replica of ${source.name}. Remove or rename it, or choose another target environment.`,
        );
      }
      const linkId = replicationId(ctx.policyId, source.nativeId);
      await ensureReplicationEntry(world, spec, ctx, source, {
        id: linkId,
        kind: spec.linkKind,
        destination: replica.nativeId,
        destinationRegion: ctx.target.region,
      });
      // Continuous replication: the replica has caught up with the source as of this point. The cloud
      // does this by itself (no API call of the console), so it is not an operation of the step.
      updateResource(cloud.db, replica.accountId, replica.nativeId, (r) => ({
        attributes: { ...r.attributes, lastSyncedAt: cloud.now() },
      }));
      return {
        metadata: { ...captureBase(spec, source) },
        dataRefs: [
          { kind: 'Replica', id: replica.nativeId, region: ctx.target.region },
          { kind: spec.linkKind, id: linkId, region: source.region },
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      assertStepClouds(spec, ctx);
      const meta = readCaptured(item.metadata);
      const replica = await loadReplica(item, meta.name, ctx, 'testFailover');
      const copy = spec.testCopy((spec.testName ?? testName)(meta.name, ctx.jobId), ctx.target, replica);
      const { resource } = await cloud.ensure(ctx, 'testFailover', { type: spec.type, name: item.resource.name }, {
        kind: meta.kind,
        type: spec.type,
        name: copy.name,
        nativeId: copy.nativeId,
        tags: { ...meta.tags, ...drTags(ctx, 'test', item.recoveryPointId) },
        attributes: { ...meta.settings, copiedFrom: replica.nativeId, recoveryPointId: item.recoveryPointId },
        origin: 'test',
      });
      return [
        { kind: resource.kind, nativeId: resource.nativeId, name: resource.name, region: resource.region, sourceId: meta.sourceId },
      ];
    },

    reset: (created, ctx) => resetTestResource(world, spec, created, ctx),

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      assertStepClouds(spec, ctx);
      const meta = readCaptured(item.metadata);
      const replica = await loadReplica(item, meta.name, ctx, 'failover');
      const subject = { type: spec.type, name: item.resource.name, region: ctx.target.region };
      const applied = replica.attributes.appliedRecoveryPointId === item.recoveryPointId && replica.attributes.appliedBy === ctx.idempotencyKey;
      if (!applied) {
        await cloud.modify(
          ctx,
          'failover',
          subject,
          { accountId: replica.accountId, nativeId: replica.nativeId, action: `apply recovery point metadata to ${replica.name}` },
          (r) => ({
            tags: { ...meta.tags, ...drTags(ctx, 'failover', item.recoveryPointId) },
            attributes: {
              ...r.attributes,
              ...meta.settings,
              ...spec.promoted,
              ...(spec.failoverRemovesLink ? { replicaOf: null } : {}),
              appliedRecoveryPointId: item.recoveryPointId,
              appliedAt: cloud.now(),
              appliedBy: ctx.idempotencyKey,
            },
          }),
        );
      }
      if (spec.failoverRemovesLink) {
        const linkId = item.dataRefs.find((d) => d.kind === spec.linkKind)?.id ?? replicationId(ctx.policyId, meta.sourceId);
        try {
          await removeReplicationEntries(world, spec, ctx, 'failover', meta.sourceId, (e) => e.id === linkId);
        } catch (err) {
          // A lost source region: its link copies nothing any more; the promoted replica is what counts.
          if (!(err instanceof ProviderFailure) || !UNREACHABLE_CODES.has(err.code) || ctx.signal.aborted) throw err;
          ctx.warn?.(`The replication link ${linkId} is still on the source ${meta.sourceId}, which could not be reached (${err.message}); remove it there once the region answers.`);
        }
      }
      return [{ sourceId: meta.sourceId, kind: replica.kind, name: replica.name, targetId: replica.nativeId, reused: true }];
    },

    stopReplication: (resource, ctx) => stopPolicyReplication(world, spec, resource, ctx),
  };
}
