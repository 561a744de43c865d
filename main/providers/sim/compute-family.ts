// Types failover creates anew (VMs, instances, Kubernetes clusters): each point copies snapshots (and an
// image) into the target; test failover and failover build the resource and its dependents from them.

import { resourceType } from '../../../shared/catalog';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import {
  assertStepClouds,
  captureBase,
  discoverType,
  ensureReplicationEntry,
  loadSource,
  missingReplicatedData,
  replicationId,
  resetTestResource,
  stopPolicyReplication,
  type SimWorld,
} from './handler-base';
import { shortToken, testName, type EnvLike } from './naming';
import type { Ensured } from './sim-cloud';
import type { SimResource } from './sim-store';
import { drTags, readCaptured, type CapturedBase, type SimTypeBase } from './type-spec';

/** A disk or volume whose data each recovery point snapshots. */
export interface VolumeInfo {
  id: string;
  name: string;
  sizeGb: number;
}

export interface CapturedCompute extends CapturedBase {
  /** Source volume id -> snapshot id in the target region, for this recovery point. */
  snapshots: Record<string, string>;
  imageId: string | null;
}

export interface PlanContext {
  mode: 'test' | 'failover';
  target: EnvLike;
  /** The name a created resource gets: as the source for failover, prefixed for test failover. */
  name(base: string): string;
  /** Hex token unique to this step and role, for ids like i-/vol-/sg-. */
  token(role: string): string;
  /** The snapshot this recovery point holds for a source volume. */
  snapshotOf(volumeId: string): string;
}

/** One resource the failover creates, in creation order (dependencies first). */
export interface PlannedStep {
  kind: string;
  name: string;
  nativeId: string;
  /** The source resource it stands for: the protected resource, or a dependent (disk, NIC, IAM role). */
  sourceId: string;
  attributes: Record<string, unknown>;
  /**
   * 'iam': a same-named role/policy/principal in the target is reused (R7);
   * 'network': several resources of one job share it (the virtual network VMs sit in).
   */
  share?: 'iam' | 'network';
  /** Order in the returned mapping: the main resource first, then its dependents (R8's example). */
  rank: number;
}

export interface ComputeTypeSpec extends SimTypeBase {
  family: 'compute';
  /** The copy schedule's kind on the source (a real tool's DLM policy, snapshot schedule...). */
  linkKind: string;
  volumes(settings: Record<string, unknown>): VolumeInfo[];
  snapshot(vol: VolumeInfo, target: EnvLike, token: string, pointTag: string): { name: string; nativeId: string };
  /** A machine image registered from the snapshots (EC2's AMI), when the type has one. */
  image?(source: SimResource, target: EnvLike, token: string, pointTag: string): { kind: string; name: string; nativeId: string };
  plan(meta: CapturedCompute, p: PlanContext): PlannedStep[];
}

function readCompute(metadata: Record<string, unknown>): CapturedCompute {
  const base = readCaptured(metadata);
  const snapshots = (metadata.snapshots ?? {}) as Record<string, string>;
  const imageId = typeof metadata.imageId === 'string' ? metadata.imageId : null;
  return { ...base, snapshots, imageId };
}

export function computeHandler(world: SimWorld, spec: ComputeTypeSpec): ResourceHandler {
  const { cloud } = world;
  const label = resourceType(spec.type).label;

  async function build(
    meta: CapturedCompute,
    item: { recoveryPointId: string; resource: { name: string } },
    ctx: StepContext,
    mode: 'test' | 'failover',
  ): Promise<{ step: PlannedStep; ensured: Ensured }[]> {
    await cloud.read(ctx, mode === 'test' ? 'testFailover' : 'failover', {
      type: spec.type,
      name: item.resource.name,
      region: ctx.target.region,
      action: `describe the recovery point's snapshots of ${meta.name}`,
    });
    for (const [volumeId, snapshotId] of Object.entries(meta.snapshots)) {
      if (!cloud.get(ctx.target.account.id, snapshotId)) {
        throw missingReplicatedData(spec, `snapshot of volume ${volumeId}`, snapshotId, meta.name, ctx.target.region);
      }
    }
    if (meta.imageId && !cloud.get(ctx.target.account.id, meta.imageId)) {
      throw missingReplicatedData(spec, 'image', meta.imageId, meta.name, ctx.target.region);
    }
    const plan = spec.plan(meta, {
      mode,
      target: ctx.target,
      name: (base) => (mode === 'test' ? testName(base, ctx.jobId) : base),
      token: (role) => cloud.token(ctx, role),
      snapshotOf: (volumeId) => {
        const s = meta.snapshots[volumeId];
        if (!s) {
          throw new ProviderFailure(
            'PreconditionFailed',
            `The recovery point of ${label} ${meta.name} holds no snapshot of volume ${volumeId}; choose a later recovery point.`,
          );
        }
        return s;
      },
    });
    const tags = { ...meta.tags, ...drTags(ctx, mode, item.recoveryPointId) };
    const out: { step: PlannedStep; ensured: Ensured }[] = [];
    for (const step of plan) {
      const ensured = await cloud.ensure(
        ctx,
        mode === 'test' ? 'testFailover' : 'failover',
        { type: spec.type, name: item.resource.name },
        {
          kind: step.kind,
          ...(step.rank === 0 ? { type: spec.type } : {}),
          name: step.name,
          nativeId: step.nativeId,
          tags,
          attributes: { ...step.attributes, recoveryPointId: item.recoveryPointId },
          origin: mode,
        },
        { share: step.share !== undefined },
      );
      out.push({ step, ensured });
    }
    return out.sort((a, b) => a.step.rank - b.step.rank);
  }

  return {
    type: spec.type,
    usesLatestPoint: resourceType(spec.type).usesLatestPoint,

    discover: (ctx) => discoverType(world, spec, ctx),

    async replicate(resource, ctx): Promise<CapturedItem> {
      assertStepClouds(spec, ctx);
      const source = await loadSource(world, spec, resource, ctx, 'replicate');
      const subject = { type: spec.type, name: source.name };
      await ensureReplicationEntry(world, spec, ctx, source, {
        id: replicationId(ctx.policyId, source.nativeId),
        kind: spec.linkKind,
        destination: `${ctx.target.account.id}/${ctx.target.region}`,
        destinationRegion: ctx.target.region,
      });
      const base = captureBase(spec, source);
      const pointTag = shortToken(ctx.idempotencyKey);
      const snapshots: Record<string, string> = {};
      for (const vol of spec.volumes(base.settings)) {
        const want = spec.snapshot(vol, ctx.target, cloud.token(ctx, `snapshot:${vol.id}`), pointTag);
        const { resource: snap } = await cloud.ensure(ctx, 'replicate', subject, {
          kind: 'Snapshot',
          name: want.name,
          nativeId: want.nativeId,
          tags: { ...drTags(ctx, 'replication', ctx.recoveryPointId), 'dr:source': vol.id },
          attributes: { sourceVolumeId: vol.id, sourceRegion: source.region, sizeGb: vol.sizeGb, copiedAt: cloud.now() },
          origin: 'replication',
        });
        snapshots[vol.id] = snap.nativeId;
      }
      let imageId: string | null = null;
      if (spec.image) {
        const want = spec.image(source, ctx.target, cloud.token(ctx, 'image'), pointTag);
        const { resource: image } = await cloud.ensure(ctx, 'replicate', subject, {
          kind: want.kind,
          name: want.name,
          nativeId: want.nativeId,
          tags: { ...drTags(ctx, 'replication', ctx.recoveryPointId), 'dr:source': source.nativeId },
          attributes: { sourceId: source.nativeId, snapshotIds: Object.values(snapshots) },
          origin: 'replication',
        });
        imageId = image.nativeId;
      }
      const metadata: CapturedCompute = { ...base, snapshots, imageId };
      return {
        metadata: { ...metadata },
        dataRefs: [
          ...Object.values(snapshots).map((id) => ({ kind: 'Snapshot', id, region: ctx.target.region })),
          ...(imageId ? [{ kind: 'Image', id: imageId, region: ctx.target.region }] : []),
        ],
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      assertStepClouds(spec, ctx);
      const built = await build(readCompute(item.metadata), item, ctx, 'test');
      // A resource another step of this job created (a shared network) is reported, and reset, by that step.
      return built
        .filter(({ ensured }) => ensured.outcome !== 'reused')
        .map(({ step, ensured: { resource } }) => ({
          kind: resource.kind,
          nativeId: resource.nativeId,
          name: resource.name,
          region: resource.region,
          sourceId: step.sourceId,
        }));
    },

    reset: (created, ctx) => resetTestResource(world, spec, created, ctx),

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      assertStepClouds(spec, ctx);
      const built = await build(readCompute(item.metadata), item, ctx, 'failover');
      return (
        built
          // Reused by another step of this same job: that step already maps it.
          .filter(({ ensured }) => ensured.outcome !== 'reused' || ensured.resource.jobId !== ctx.jobId)
          .map(({ step, ensured: { resource, outcome } }) => ({
            sourceId: step.sourceId,
            kind: resource.kind,
            name: resource.name,
            targetId: resource.nativeId,
            ...(outcome === 'reused' ? { reused: true } : {}),
          }))
      );
    },

    stopReplication: (resource, ctx) => stopPolicyReplication(world, spec, resource, ctx),
  };
}
