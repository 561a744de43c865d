// Amazon EKS through the AWS SDK: a point holds the cluster's configuration, node groups, IAM roles and
// EBS snapshots of its volumes copied to the target; failover recreates them there (same-named IAM reused, R7).

import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  ListClustersCommand,
  ListNodegroupsCommand,
  type Cluster,
  type EKSClient,
  type Nodegroup,
  type LogType,
} from '@aws-sdk/client-eks';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, EnvRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext } from './clients';
import { captureRole, iamScope, restoreRole, type CapturedRole } from './iam';
import { DR_TAG, clientToken, drTags, stepFilter, stepToken, tagList, testName, type AwsTag } from './naming';

export interface EksNodeGroup {
  name: string;
  instanceTypes: string[];
  scaling: { min: number; max: number; desired: number };
  amiType: string | null;
  capacityType: string | null;
  diskSizeGb: number | null;
  labels: Record<string, string>;
  taints: { key: string; value: string | null; effect: string }[];
  nodeRoleName: string | null;
  tags: Record<string, string>;
}

export interface EksVolume {
  sourceVolumeId: string;
  sizeGb: number;
  volumeType: string;
  iops: number | null;
  availabilityZone: string;
  tags: Record<string, string>;
  /** The snapshot copied into the target region for this point. */
  snapshotId: string;
}

export interface EksCaptured {
  name: string;
  kind: 'Cluster';
  sourceId: string;
  sourceRegion: string;
  tags: Record<string, string>;
  settings: {
    version: string | null;
    roleName: string | null;
    subnetNames: string[];
    endpointPublicAccess: boolean;
    endpointPrivateAccess: boolean;
    publicAccessCidrs: string[];
    logging: string[];
    nodeGroups: EksNodeGroup[];
    iam: { roles: CapturedRole[] };
    volumes: EksVolume[];
  };
}

const roleNameOf = (arn: string | undefined) => (arn ? arn.split('/').pop() ?? null : null);

function clusterNameOf(arn: string): string {
  const m = /^arn:aws[\w-]*:eks:[\w-]+:\d{12}:cluster\/([\w-]+)$/.exec(arn);
  if (!m) throw new ProviderFailure('ValidationFailed', `"${arn}" is not an EKS cluster ARN (arn:aws:eks:<region>:<account>:cluster/<name>).`);
  return m[1]!;
}

function readCaptured(item: { metadata: Record<string, unknown> }, label: string): EksCaptured {
  const m = item.metadata as Partial<EksCaptured>;
  if (!m || typeof m.name !== 'string' || !m.settings || !Array.isArray(m.settings.nodeGroups)) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of ${label} holds no EKS configuration; choose a point created by a successful replication.`);
  }
  return m as EksCaptured;
}

export function createEksHandler(aws: AwsContext): ResourceHandler {
  const eks = (env: EnvRef): EKSClient => aws.eks(env);
  const ec2 = (env: EnvRef): EC2Client => aws.ec2(env);

  const findCluster = async (env: EnvRef, name: string): Promise<Cluster | undefined> =>
    (await aws.find(env, 'eks:DescribeCluster', () => eks(env).send(new DescribeClusterCommand({ name }))))?.cluster;
  const findNodegroup = async (env: EnvRef, cluster: string, name: string): Promise<Nodegroup | undefined> =>
    (await aws.find(env, 'eks:DescribeNodegroup', () => eks(env).send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }))))?.nodegroup;
  const listNodegroups = async (env: EnvRef, cluster: string): Promise<string[]> =>
    (await aws.find(env, 'eks:ListNodegroups', () => eks(env).send(new ListNodegroupsCommand({ clusterName: cluster }))))?.nodegroups ?? [];

  const waitActive = (env: EnvRef, name: string, ctx: StepContext) =>
    aws.waitFor(`EKS cluster ${name} in ${env.region} to become active`, ctx.signal, async () => {
      const c = await findCluster(env, name);
      if (c?.status === 'FAILED') throw new ProviderFailure('ProviderError', `EKS cluster ${name} failed to create in ${env.region}; see its health in the EKS console.`);
      return c?.status === 'ACTIVE' ? c : undefined;
    });

  /** Subnets in the target with the source subnets' Name tags, else the default VPC's: EKS needs two or more. */
  const targetSubnets = async (env: EnvRef, names: string[]): Promise<string[]> => {
    if (names.length) {
      const named = await aws.call(env, 'ec2:DescribeSubnets', () => ec2(env).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Name', Values: names }] })));
      const ids = (named.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : []));
      if (ids.length >= 2) return ids;
    }
    const defaults = await aws.call(env, 'ec2:DescribeSubnets', () => ec2(env).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] })));
    const ids = (defaults.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : []));
    if (ids.length < 2) {
      throw new ProviderFailure(
        'PreconditionFailed',
        `No subnets for the EKS cluster in ${env.region}: create subnets named like the source's (${names.join(', ') || 'none named'}) in two availability zones, or keep the default VPC, then retry.`,
      );
    }
    return ids;
  };

  const capture = async (ctx: StepContext, c: Cluster): Promise<Omit<EksCaptured, 'settings'> & { settings: Omit<EksCaptured['settings'], 'volumes'> }> => {
    const env = ctx.source;
    const name = c.name ?? '';
    const nodeGroups: EksNodeGroup[] = [];
    for (const ngName of await listNodegroups(env, name)) {
      const ng = await findNodegroup(env, name, ngName);
      if (!ng) continue;
      nodeGroups.push({
        name: ngName,
        instanceTypes: ng.instanceTypes ?? [],
        scaling: { min: ng.scalingConfig?.minSize ?? 1, max: ng.scalingConfig?.maxSize ?? 1, desired: ng.scalingConfig?.desiredSize ?? 1 },
        amiType: ng.amiType ?? null,
        capacityType: ng.capacityType ?? null,
        diskSizeGb: ng.diskSize ?? null,
        labels: { ...(ng.labels ?? {}) },
        taints: (ng.taints ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? null, effect: t.effect ?? 'NO_SCHEDULE' })),
        nodeRoleName: roleNameOf(ng.nodeRole),
        tags: { ...(ng.tags ?? {}) },
      });
    }
    const iam = iamScope(aws, env);
    const roleNames = [...new Set([roleNameOf(c.roleArn), ...nodeGroups.map((n) => n.nodeRoleName)].filter((n): n is string => !!n))];
    const roles: CapturedRole[] = [];
    for (const r of roleNames) {
      const captured = await captureRole(iam, r);
      if (captured) roles.push(captured);
    }
    const subnetIds = c.resourcesVpcConfig?.subnetIds ?? [];
    let subnetNames: string[] = [];
    if (subnetIds.length) {
      const s = await aws.find(env, 'ec2:DescribeSubnets', () => ec2(env).send(new DescribeSubnetsCommand({ SubnetIds: subnetIds })));
      subnetNames = (s?.Subnets ?? []).flatMap((x) => x.Tags?.filter((t) => t.Key === 'Name').map((t) => t.Value ?? '') ?? []).filter(Boolean);
    }
    return {
      name,
      kind: 'Cluster',
      sourceId: c.arn ?? '',
      sourceRegion: env.region,
      tags: { ...(c.tags ?? {}) },
      settings: {
        version: c.version ?? null,
        roleName: roleNameOf(c.roleArn),
        subnetNames,
        endpointPublicAccess: c.resourcesVpcConfig?.endpointPublicAccess ?? true,
        endpointPrivateAccess: c.resourcesVpcConfig?.endpointPrivateAccess ?? false,
        publicAccessCidrs: c.resourcesVpcConfig?.publicAccessCidrs ?? [],
        logging: (c.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []),
        nodeGroups,
        iam: { roles },
      },
    };
  };

  /** Snapshot each volume tagged for the cluster and copy it to the target; a replayed step finds both by tag. */
  const snapshotVolumes = async (cluster: string, ctx: StepContext): Promise<EksVolume[]> => {
    const src = ctx.source;
    const vols = await aws.call(src, 'ec2:DescribeVolumes', () =>
      ec2(src).send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${cluster}`] }] })),
    );
    const out: EksVolume[] = [];
    for (const v of vols.Volumes ?? []) {
      if (!v.VolumeId) continue;
      const purpose = `snapshot:${v.VolumeId}`;
      const tags: AwsTag[] = [...drTags(ctx, { purpose, sourceId: v.VolumeId }), { Key: 'Name', Value: `${cluster}-${v.VolumeId}` }];
      const findSnap = async (env: EnvRef, p: string) =>
        (await aws.call(env, 'ec2:DescribeSnapshots', () => ec2(env).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [stepFilter(ctx, p)] })))).Snapshots?.[0];
      let snap = await findSnap(src, purpose);
      if (!snap) {
        ctx.recordIntent({ op: 'CreateSnapshot', volumeId: v.VolumeId, tag: stepToken(ctx, purpose) });
        const r = await aws.call(src, 'ec2:CreateSnapshot', () =>
          ec2(src).send(new CreateSnapshotCommand({ VolumeId: v.VolumeId, Description: `Failover Console point of ${cluster}`, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] })),
        );
        snap = { SnapshotId: r.SnapshotId, State: r.State };
      }
      const snapId = snap.SnapshotId!;
      await aws.waitFor(`snapshot ${snapId} of ${v.VolumeId}`, ctx.signal, async () => {
        const s = (await aws.call(src, 'ec2:DescribeSnapshots', () => ec2(src).send(new DescribeSnapshotsCommand({ SnapshotIds: [snapId] })))).Snapshots?.[0];
        if (s?.State === 'error') throw new ProviderFailure('ProviderError', `The snapshot ${snapId} of volume ${v.VolumeId} failed.`);
        return s?.State === 'completed' ? s : undefined;
      });
      const copyPurpose = `copy:${v.VolumeId}`;
      let copy = await findSnap(ctx.target, copyPurpose);
      if (!copy) {
        ctx.recordIntent({ op: 'CopySnapshot', snapshotId: snapId, tag: stepToken(ctx, copyPurpose) });
        const r = await aws.call(ctx.target, 'ec2:CopySnapshot', () =>
          ec2(ctx.target).send(
            new CopySnapshotCommand({
              SourceRegion: src.region,
              SourceSnapshotId: snapId,
              Description: `Failover Console copy of ${snapId}`,
              TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...drTags(ctx, { purpose: copyPurpose, sourceId: v.VolumeId }), { Key: 'Name', Value: `${cluster}-${v.VolumeId}` }] }],
            }),
          ),
        );
        copy = { SnapshotId: r.SnapshotId };
      }
      out.push({
        sourceVolumeId: v.VolumeId,
        sizeGb: v.Size ?? 1,
        volumeType: v.VolumeType ?? 'gp3',
        iops: v.Iops ?? null,
        availabilityZone: v.AvailabilityZone ?? '',
        tags: Object.fromEntries((v.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))),
        snapshotId: copy.SnapshotId!,
      });
    }
    return out;
  };

  /** CreateCluster + CreateNodegroup under `name`, each looked up first and carrying a client request token. */
  const createClusterWithNodegroups = async (
    meta: EksCaptured,
    name: string,
    roleArns: Map<string, string>,
    ctx: StepContext,
    opts: { test: boolean },
  ): Promise<{ cluster: Cluster; nodegroups: Nodegroup[] }> => {
    const env = ctx.target;
    const s = meta.settings;
    const tags = Object.fromEntries(
      [...tagList(meta.tags), ...drTags(ctx, { test: opts.test, purpose: 'cluster', sourceId: meta.sourceId })].map((t) => [t.Key, t.Value]),
    );
    const roleArn = (s.roleName && roleArns.get(s.roleName)) || undefined;
    if (!roleArn) throw new ProviderFailure('PreconditionFailed', `The recovery point of ${meta.name} has no cluster IAM role; run a replication, then retry.`);
    let cluster = await findCluster(env, name);
    if (cluster && cluster.tags?.[DR_TAG.policy] !== ctx.policyId) {
      throw new ProviderFailure('Conflict', `An EKS cluster named ${name} already exists in ${env.region} and was not created by this policy. Rename or delete it, then retry.`);
    }
    if (!cluster) {
      const subnetIds = await targetSubnets(env, s.subnetNames);
      const token = clientToken(ctx, `cluster:${name}`);
      ctx.recordIntent({ op: 'CreateCluster', name, clientRequestToken: token });
      ctx.progress(`Creating EKS cluster ${name} in ${env.region}`);
      await aws.call(env, 'eks:CreateCluster', () =>
        eks(env).send(
          new CreateClusterCommand({
            name,
            roleArn,
            ...(s.version ? { version: s.version } : {}),
            resourcesVpcConfig: {
              subnetIds,
              endpointPublicAccess: s.endpointPublicAccess,
              endpointPrivateAccess: s.endpointPrivateAccess,
              ...(s.publicAccessCidrs.length ? { publicAccessCidrs: s.publicAccessCidrs } : {}),
            },
            ...(s.logging.length ? { logging: { clusterLogging: [{ types: s.logging as LogType[], enabled: true }] } } : {}),
            tags,
            clientRequestToken: token,
          }),
        ),
      );
    }
    cluster = await waitActive(env, name, ctx);
    const subnets = cluster.resourcesVpcConfig?.subnetIds ?? [];
    const nodegroups: Nodegroup[] = [];
    for (const ng of s.nodeGroups) {
      let made = await findNodegroup(env, name, ng.name);
      if (!made) {
        const nodeRole = (ng.nodeRoleName && roleArns.get(ng.nodeRoleName)) || undefined;
        if (!nodeRole) throw new ProviderFailure('PreconditionFailed', `The node group ${ng.name} of ${meta.name} has no IAM node role in the recovery point.`);
        const token = clientToken(ctx, `nodegroup:${name}/${ng.name}`);
        ctx.recordIntent({ op: 'CreateNodegroup', cluster: name, nodegroup: ng.name, clientRequestToken: token });
        const r = await aws.call(env, 'eks:CreateNodegroup', () =>
          eks(env).send(
            new CreateNodegroupCommand({
              clusterName: name,
              nodegroupName: ng.name,
              nodeRole,
              subnets,
              scalingConfig: { minSize: ng.scaling.min, maxSize: ng.scaling.max, desiredSize: ng.scaling.desired },
              ...(ng.instanceTypes.length ? { instanceTypes: ng.instanceTypes } : {}),
              ...(ng.amiType ? { amiType: ng.amiType as never } : {}),
              ...(ng.capacityType ? { capacityType: ng.capacityType as never } : {}),
              ...(ng.diskSizeGb ? { diskSize: ng.diskSizeGb } : {}),
              labels: ng.labels,
              ...(ng.taints.length ? { taints: ng.taints.map((t) => ({ key: t.key, ...(t.value !== null ? { value: t.value } : {}), effect: t.effect as never })) } : {}),
              tags: { ...ng.tags, ...tags },
              clientRequestToken: token,
            }),
          ),
        );
        made = r.nodegroup;
      }
      if (made) nodegroups.push(made);
    }
    return { cluster, nodegroups };
  };

  const deleteNodegroupsOf = async (env: EnvRef, cluster: string) => {
    for (const ng of await listNodegroups(env, cluster)) {
      await aws.find(env, 'eks:DeleteNodegroup', () => eks(env).send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: ng })));
    }
  };

  const refuseNonTest = (kind: string, name: string, tags: Record<string, string> | undefined) => {
    if (tags?.[DR_TAG.test] !== 'true') {
      throw new ProviderFailure('PreconditionFailed', `${kind} ${name} was not created by a test failover (no ${DR_TAG.test} tag); Reset leaves it alone.`);
    }
  };

  return {
    type: 'aws.eks',
    usesLatestPoint: false,

    async discover(ctx): Promise<DiscoveredResource[]> {
      const env = ctx.env;
      const names: string[] = [];
      let next: string | undefined;
      do {
        const r = await aws.call(env, 'eks:ListClusters', () => eks(env).send(new ListClustersCommand({ ...(next ? { nextToken: next } : {}) }), { abortSignal: ctx.signal }));
        names.push(...(r.clusters ?? []));
        next = r.nextToken;
      } while (next);
      const out: DiscoveredResource[] = [];
      for (const name of names) {
        const c = await findCluster(env, name);
        if (!c?.arn || c.tags?.[DR_TAG.policy]) continue;
        const groups = await listNodegroups(env, name);
        out.push({ type: 'aws.eks', nativeId: c.arn, name, region: env.region, tags: { ...(c.tags ?? {}) }, summary: `Kubernetes ${c.version ?? '?'}, ${groups.length} node groups` });
      }
      return out;
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const name = clusterNameOf(resource.nativeId);
      const c = await findCluster(ctx.source, name);
      if (!c) throw new ProviderFailure('NotFound', `The EKS cluster ${resource.name} (${resource.nativeId}) no longer exists in ${ctx.source.region}. Restore it, or remove it from the policy.`);
      const base = await capture(ctx, c);
      const volumes = await snapshotVolumes(name, ctx);
      const meta: EksCaptured = { ...base, settings: { ...base.settings, volumes } };
      return {
        metadata: { ...meta },
        dataRefs: volumes.map((v) => ({ kind: 'VolumeSnapshot', id: v.snapshotId, region: ctx.target.region })),
      };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const name = testName(meta.name, ctx, 100);
      // Same account: IAM is global, so the test cluster uses the source's roles as they are (nothing created).
      const account = await aws.accountId(ctx.target);
      const roleArns = new Map(meta.settings.iam.roles.map((r) => [r.name, `arn:aws:iam::${account}:role${r.path}${r.name}`]));
      const { cluster, nodegroups } = await createClusterWithNodegroups(meta, name, roleArns, ctx, { test: true });
      const region = ctx.target.region;
      return [
        { kind: 'KubernetesCluster', nativeId: cluster.arn ?? name, name, region, sourceId: meta.sourceId },
        ...nodegroups.map((ng) => ({ kind: 'NodeGroup', nativeId: ng.nodegroupArn ?? `${name}/${ng.nodegroupName}`, name: `${name}/${ng.nodegroupName ?? ''}`, region, sourceId: meta.sourceId })),
      ];
    },

    async reset(created, ctx): Promise<void> {
      const env = ctx.target;
      if (created.kind === 'NodeGroup') {
        const [cluster, ng] = created.name.split('/');
        if (!cluster || !ng) throw new ProviderFailure('ValidationFailed', `"${created.name}" is not <cluster>/<nodegroup>.`);
        const found = await findNodegroup(env, cluster, ng);
        if (!found) return;
        refuseNonTest('Node group', created.name, found.tags);
        ctx.recordIntent({ op: 'DeleteNodegroup', cluster, nodegroup: ng });
        await aws.find(env, 'eks:DeleteNodegroup', () => eks(env).send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: ng })));
        return;
      }
      if (created.kind === 'KubernetesCluster') {
        const c = await findCluster(env, created.name);
        if (!c) return;
        refuseNonTest('EKS cluster', created.name, c.tags);
        // EKS refuses to delete a cluster with node groups, whatever order Reset visits them in.
        await deleteNodegroupsOf(env, created.name);
        await aws.waitFor(`node groups of ${created.name} to be deleted`, ctx.signal, async () => ((await listNodegroups(env, created.name)).length === 0 ? true : undefined));
        ctx.recordIntent({ op: 'DeleteCluster', name: created.name });
        await aws.find(env, 'eks:DeleteCluster', () => eks(env).send(new DeleteClusterCommand({ name: created.name })));
        return;
      }
      throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete an EKS ${created.kind}.`);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const env = ctx.target;
      const entries: ResourceMappingEntry[] = [];
      const iam = iamScope(aws, env);
      const roleArns = new Map<string, string>();
      const iamTags = drTags(ctx, { purpose: 'iam', sourceId: meta.sourceId });
      for (const role of meta.settings.iam.roles) {
        // R7: a same-named role or policy in the target is reused, not created again (flagged in the mapping).
        const restored = await restoreRole(iam, role, meta.sourceId, iamTags);
        roleArns.set(role.name, restored.role.arn);
        entries.push(...restored.entries);
      }
      const { cluster, nodegroups } = await createClusterWithNodegroups(meta, meta.name, roleArns, ctx, { test: false });
      entries.unshift({ sourceId: meta.sourceId, kind: 'KubernetesCluster', name: meta.name, targetId: cluster.arn ?? meta.name });
      for (const ng of nodegroups) {
        const src = meta.sourceId.replace(':cluster/', ':nodegroup/');
        entries.push({ sourceId: `${src}/${ng.nodegroupName ?? ''}`, kind: 'NodeGroup', name: `${meta.name}/${ng.nodegroupName ?? ''}`, targetId: ng.nodegroupArn ?? '' });
      }
      const subnets = await aws.call(env, 'ec2:DescribeSubnets', () =>
        ec2(env).send(new DescribeSubnetsCommand({ SubnetIds: cluster.resourcesVpcConfig?.subnetIds ?? [] })),
      );
      const zones = [...new Set((subnets.Subnets ?? []).flatMap((s) => (s.AvailabilityZone ? [s.AvailabilityZone] : [])))].sort();
      for (const [i, v] of meta.settings.volumes.entries()) {
        const purpose = `volume:${v.sourceVolumeId}`;
        const found = await aws.call(env, 'ec2:DescribeVolumes', () => ec2(env).send(new DescribeVolumesCommand({ Filters: [stepFilter(ctx, purpose)] })));
        let volumeId = found.Volumes?.[0]?.VolumeId;
        if (!volumeId) {
          const token = clientToken(ctx, purpose);
          ctx.recordIntent({ op: 'CreateVolume', sourceVolumeId: v.sourceVolumeId, snapshotId: v.snapshotId, clientToken: token });
          // Zones differ per region: the volume goes to the zone of the n-th cluster subnet, like the source spread.
          const zone = zones[i % Math.max(zones.length, 1)] ?? `${env.region}a`;
          const tags = [...tagList(v.tags).filter((t) => !t.Key.startsWith('kubernetes.io/cluster/')), { Key: `kubernetes.io/cluster/${meta.name}`, Value: 'owned' }, ...drTags(ctx, { purpose, sourceId: v.sourceVolumeId })];
          const r = await aws.call(env, 'ec2:CreateVolume', () =>
            ec2(env).send(
              new CreateVolumeCommand({
                SnapshotId: v.snapshotId,
                AvailabilityZone: zone,
                VolumeType: v.volumeType as never,
                Size: v.sizeGb,
                ...(v.iops && ['io1', 'io2', 'gp3'].includes(v.volumeType) ? { Iops: v.iops } : {}),
                TagSpecifications: [{ ResourceType: 'volume', Tags: tags }],
                ClientToken: token,
              }),
            ),
          );
          volumeId = r.VolumeId;
        }
        entries.push({ sourceId: v.sourceVolumeId, kind: 'Volume', name: v.tags['kubernetes.io/created-for/pvc/name'] ?? v.tags.Name ?? v.sourceVolumeId, targetId: volumeId ?? '' });
      }
      return entries;
    },

    async stopReplication(): Promise<void> {
      // Nothing runs between replications: each point takes and copies its own snapshots.
    },
  };
}
