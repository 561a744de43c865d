// Amazon EKS through the AWS SDK: a point holds the cluster's configuration, node groups, IAM roles and
// EBS snapshots of its volumes copied to the target; failover recreates them there (same-named IAM reused, R7).

import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  waitUntilSnapshotCompleted,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  paginateListClusters,
  paginateListNodegroups,
  waitUntilClusterActive,
  waitUntilNodegroupActive,
  waitUntilNodegroupDeleted,
  type Cluster,
  type EKSClient,
  type Nodegroup,
  type LogType,
} from '@aws-sdk/client-eks';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, EnvRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import type { AwsContext, CallContext } from './clients';
import { captureRole, iamScope, restoreRole, verifyRoles, type CapturedRole } from './iam';
import { DR_TAG, clientToken, drTags, hashHex, stepFilter, stepToken, tagList, testName, type AwsTag } from './naming';

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

/**
 * The failover name of a cluster: the source's own, unless that name is taken in the target by a cluster
 * this policy did not create (another policy's failover of the same scope, or the operator's own): then a
 * policy-suffixed name that cannot collide. Decided from the target's state, so every attempt agrees.
 */
export function eksFailoverName(sourceName: string, policyId: string): string {
  const suffix = hashHex('eks-failover', policyId).slice(0, 8);
  return `${sourceName.slice(0, 100 - suffix.length - 1)}-${suffix}`;
}

export function createEksHandler(aws: AwsContext): ResourceHandler {
  const eks = (env: EnvRef): EKSClient => aws.eks(env);
  const ec2 = (env: EnvRef): EC2Client => aws.ec2(env);

  const findCluster = async (ctx: CallContext, env: EnvRef, name: string): Promise<Cluster | undefined> =>
    (await aws.lookup(ctx, env, 'eks:DescribeCluster', (signal) => eks(env).send(new DescribeClusterCommand({ name }), { abortSignal: signal })))?.cluster;
  const findNodegroup = async (ctx: CallContext, env: EnvRef, cluster: string, name: string): Promise<Nodegroup | undefined> =>
    (await aws.lookup(ctx, env, 'eks:DescribeNodegroup', (signal) => eks(env).send(new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }), { abortSignal: signal })))
      ?.nodegroup;
  const listNodegroups = async (ctx: CallContext, env: EnvRef, cluster: string): Promise<string[]> => {
    try {
      return (await aws.pages(ctx, env, 'eks:ListNodegroups', paginateListNodegroups, eks(env), { clusterName: cluster })).flatMap((p) => p.nodegroups ?? []);
    } catch (err) {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return [];
      throw err;
    }
  };

  /** The SDK's ClusterActive waiter: at most 20 minutes, its documented maximum. */
  const waitActive = async (ctx: StepContext, env: EnvRef, name: string): Promise<Cluster> => {
    await aws.wait(ctx, env, 'eks:ClusterActive', `EKS cluster ${name} in ${env.region} to become active`, waitUntilClusterActive, eks(env), { name });
    const c = await findCluster(ctx, env, name);
    if (!c) throw new ProviderFailure('ProviderUnavailable', `EKS cluster ${name} was active in ${env.region} and then could not be read; the console will retry.`);
    return c;
  };

  /** Subnets in the target with the source subnets' Name tags, else the default VPC's: EKS needs two or more. */
  const targetSubnets = async (ctx: StepContext, env: EnvRef, names: string[]): Promise<string[]> => {
    if (names.length) {
      const named = await aws.read(ctx, env, 'ec2:DescribeSubnets', (signal) =>
        ec2(env).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Name', Values: names }] }), { abortSignal: signal }),
      );
      const ids = (named.Subnets ?? []).flatMap((s) => (s.SubnetId ? [s.SubnetId] : []));
      if (ids.length >= 2) return ids;
    }
    const defaults = await aws.read(ctx, env, 'ec2:DescribeSubnets', (signal) =>
      ec2(env).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }), { abortSignal: signal }),
    );
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
    for (const ngName of await listNodegroups(ctx, env, name)) {
      const ng = await findNodegroup(ctx, env, name, ngName);
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
    const iam = iamScope(aws, env, ctx);
    const roleNames = [...new Set([roleNameOf(c.roleArn), ...nodeGroups.map((n) => n.nodeRoleName)].filter((n): n is string => !!n))];
    const roles: CapturedRole[] = [];
    for (const r of roleNames) {
      const captured = await captureRole(iam, r);
      if (captured) roles.push(captured);
    }
    const subnetIds = c.resourcesVpcConfig?.subnetIds ?? [];
    let subnetNames: string[] = [];
    if (subnetIds.length) {
      const s = await aws.lookup(ctx, env, 'ec2:DescribeSubnets', (signal) => ec2(env).send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }), { abortSignal: signal }));
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
    const vols = await aws.read(ctx, src, 'ec2:DescribeVolumes', (signal) =>
      ec2(src).send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${cluster}`] }] }), { abortSignal: signal }),
    );
    const out: EksVolume[] = [];
    for (const v of vols.Volumes ?? []) {
      if (!v.VolumeId) continue;
      const volumeId = v.VolumeId;
      const purpose = `snapshot:${volumeId}`;
      const tags: AwsTag[] = [...drTags(ctx, { role: 'replication', purpose, sourceId: volumeId }), { Key: 'Name', Value: `${cluster}-${volumeId}` }];
      const findSnap = async (env: EnvRef, p: string) =>
        (
          await aws.read(ctx, env, 'ec2:DescribeSnapshots', (signal) =>
            ec2(env).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [stepFilter(ctx, p)] }), { abortSignal: signal }),
          )
        ).Snapshots?.[0];
      let snapId = (await findSnap(src, purpose))?.SnapshotId;
      if (!snapId) {
        const made = await aws.mutate(ctx, src, `create-snapshot:${volumeId}`, {
          action: 'ec2:CreateSnapshot',
          intent: { volumeId, stepTag: stepToken(ctx, purpose) },
          resume: async () => {
            const found = await findSnap(src, purpose);
            return found?.SnapshotId ? { snapshotId: found.SnapshotId } : undefined;
          },
          call: async (signal) => {
            const r = await ec2(src).send(
              new CreateSnapshotCommand({ VolumeId: volumeId, Description: `Failover Console point of ${cluster}`, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }),
              { abortSignal: signal },
            );
            return { snapshotId: r.SnapshotId ?? '' };
          },
        });
        snapId = made.snapshotId;
      }
      const sourceSnapshot = snapId;
      // The SDK's SnapshotCompleted waiter: at most 10 minutes, its documented maximum.
      await aws.wait(ctx, src, 'ec2:SnapshotCompleted', `snapshot ${sourceSnapshot} of ${volumeId}`, waitUntilSnapshotCompleted, ec2(src), { SnapshotIds: [sourceSnapshot] });
      const copyPurpose = `copy:${volumeId}`;
      let copyId = (await findSnap(ctx.target, copyPurpose))?.SnapshotId;
      if (!copyId) {
        const copied = await aws.mutate(ctx, ctx.target, `copy-snapshot:${volumeId}`, {
          action: 'ec2:CopySnapshot',
          intent: { snapshotId: sourceSnapshot, stepTag: stepToken(ctx, copyPurpose) },
          resume: async () => {
            const found = await findSnap(ctx.target, copyPurpose);
            return found?.SnapshotId ? { snapshotId: found.SnapshotId } : undefined;
          },
          call: async (signal) => {
            const r = await ec2(ctx.target).send(
              new CopySnapshotCommand({
                SourceRegion: src.region,
                SourceSnapshotId: sourceSnapshot,
                Description: `Failover Console copy of ${sourceSnapshot}`,
                TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...drTags(ctx, { role: 'replication', purpose: copyPurpose, sourceId: volumeId }), { Key: 'Name', Value: `${cluster}-${volumeId}` }] }],
              }),
              { abortSignal: signal },
            );
            return { snapshotId: r.SnapshotId ?? '' };
          },
        });
        copyId = copied.snapshotId;
      }
      out.push({
        sourceVolumeId: volumeId,
        sizeGb: v.Size ?? 1,
        volumeType: v.VolumeType ?? 'gp3',
        iops: v.Iops ?? null,
        availabilityZone: v.AvailabilityZone ?? '',
        tags: Object.fromEntries((v.Tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))),
        snapshotId: copyId,
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
      [...tagList(meta.tags), ...drTags(ctx, { role: opts.test ? 'test' : 'failover', purpose: 'cluster', sourceId: meta.sourceId })].map((t) => [t.Key, t.Value]),
    );
    const roleArn = (s.roleName && roleArns.get(s.roleName)) || undefined;
    if (!roleArn) throw new ProviderFailure('PreconditionFailed', `The recovery point of ${meta.name} has no cluster IAM role; run a replication, then retry.`);
    const existing = await findCluster(ctx, env, name);
    if (existing && existing.tags?.[DR_TAG.policy] !== ctx.policyId) {
      throw new ProviderFailure('Conflict', `An EKS cluster named ${name} already exists in ${env.region} and was not created by this policy. Rename or delete it, then retry.`);
    }
    if (!existing) {
      const subnetIds = await targetSubnets(ctx, env, s.subnetNames);
      const token = clientToken(ctx, `cluster:${name}`);
      ctx.progress(`Creating EKS cluster ${name} in ${env.region}`);
      await aws.mutate(ctx, env, `create-cluster:${name}`, {
        action: 'eks:CreateCluster',
        intent: { name, clientRequestToken: token },
        // Cluster names are unique per region and the request token makes a repeat safe: adopt by name.
        resume: async () => ((await findCluster(ctx, env, name)) ? { name } : undefined),
        call: async (signal) => {
          await eks(env).send(
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
            { abortSignal: signal },
          );
          return { name };
        },
      });
    }
    ctx.progress(`Waiting for EKS cluster ${name} to become active`);
    const cluster = await waitActive(ctx, env, name);
    const subnets = cluster.resourcesVpcConfig?.subnetIds ?? [];
    const nodegroups: Nodegroup[] = [];
    for (const ng of s.nodeGroups) {
      if (!(await findNodegroup(ctx, env, name, ng.name))) {
        const nodeRole = (ng.nodeRoleName && roleArns.get(ng.nodeRoleName)) || undefined;
        if (!nodeRole) throw new ProviderFailure('PreconditionFailed', `The node group ${ng.name} of ${meta.name} has no IAM node role in the recovery point.`);
        const token = clientToken(ctx, `nodegroup:${name}/${ng.name}`);
        await aws.mutate(ctx, env, `create-nodegroup:${name}/${ng.name}`, {
          action: 'eks:CreateNodegroup',
          intent: { cluster: name, nodegroup: ng.name, clientRequestToken: token },
          resume: async () => ((await findNodegroup(ctx, env, name, ng.name)) ? { nodegroup: ng.name } : undefined),
          call: async (signal) => {
            await eks(env).send(
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
              { abortSignal: signal },
            );
            return { nodegroup: ng.name };
          },
        });
      }
      // The SDK's NodegroupActive waiter: at most 40 minutes, its documented maximum.
      await aws.wait(ctx, env, 'eks:NodegroupActive', `node group ${ng.name} of ${name} to become active`, waitUntilNodegroupActive, eks(env), { clusterName: name, nodegroupName: ng.name });
      const made = await findNodegroup(ctx, env, name, ng.name);
      if (made) nodegroups.push(made);
    }
    return { cluster, nodegroups };
  };

  /** Reads the target cluster back and compares it with the point: what was not carried, what is missing. */
  const compareWithPoint = (meta: EksCaptured, cluster: Cluster, nodegroups: Nodegroup[]): { warnings: string[]; failures: string[] } => {
    const s = meta.settings;
    const name = cluster.name ?? meta.name;
    const warnings: string[] = [];
    const failures: string[] = [];
    if (s.version && cluster.version !== s.version) warnings.push(`EKS cluster ${name} runs Kubernetes ${cluster.version ?? 'unknown'}, not ${s.version} as in the recovery point.`);
    const vpc = cluster.resourcesVpcConfig;
    if ((vpc?.endpointPublicAccess ?? true) !== s.endpointPublicAccess || (vpc?.endpointPrivateAccess ?? false) !== s.endpointPrivateAccess) {
      warnings.push(`EKS cluster ${name} has endpoint access public=${String(vpc?.endpointPublicAccess)}, private=${String(vpc?.endpointPrivateAccess)}; the recovery point has public=${String(s.endpointPublicAccess)}, private=${String(s.endpointPrivateAccess)}.`);
    }
    const logging = new Set((cluster.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []));
    const lostLogs = s.logging.filter((l) => !logging.has(l as LogType));
    if (lostLogs.length) warnings.push(`EKS cluster ${name} does not log ${lostLogs.join(', ')} as the recovery point does.`);
    for (const [k, v] of Object.entries(meta.tags)) if (cluster.tags?.[k] !== v) warnings.push(`EKS cluster ${name} lacks the tag ${k} of the recovery point.`);
    for (const ng of s.nodeGroups) {
      const made = nodegroups.find((n) => n.nodegroupName === ng.name);
      if (!made) {
        failures.push(`node group ${ng.name} is missing`);
        continue;
      }
      const sc = made.scalingConfig;
      if (sc && (sc.minSize !== ng.scaling.min || sc.maxSize !== ng.scaling.max || sc.desiredSize !== ng.scaling.desired)) {
        warnings.push(`Node group ${ng.name} of ${name} scales ${sc.minSize}-${sc.maxSize} (desired ${sc.desiredSize}), not ${ng.scaling.min}-${ng.scaling.max} (desired ${ng.scaling.desired}).`);
      }
      if (ng.instanceTypes.length && (made.instanceTypes ?? []).join(',') !== ng.instanceTypes.join(',')) {
        warnings.push(`Node group ${ng.name} of ${name} uses ${(made.instanceTypes ?? []).join(', ') || 'no instance type'}, not ${ng.instanceTypes.join(', ')}.`);
      }
      for (const [k, v] of Object.entries(ng.labels)) if (made.labels?.[k] !== v) warnings.push(`Node group ${ng.name} of ${name} lacks the label ${k}=${v}.`);
      const taints = new Set((made.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`));
      for (const t of ng.taints) if (!taints.has(`${t.key}=${t.value ?? ''}:${t.effect}`)) warnings.push(`Node group ${ng.name} of ${name} lacks the taint ${t.key}=${t.value ?? ''}:${t.effect}.`);
    }
    return { warnings, failures };
  };

  const report = (ctx: StepContext, label: string, r: { warnings: string[]; failures: string[] }) => {
    for (const w of r.warnings) ctx.warn?.(w);
    if (r.failures.length) throw new ProviderFailure('ProviderError', `The failover of EKS cluster ${label} did not carry what it must: ${r.failures.join('; ')}.`);
  };

  const deleteNodegroup = async (ctx: StepContext, env: EnvRef, cluster: string, ng: string) => {
    await aws.mutate(ctx, env, `delete-nodegroup:${cluster}/${ng}`, {
      action: 'eks:DeleteNodegroup',
      intent: { cluster, nodegroup: ng },
      absentOk: true,
      call: async (signal) => {
        await eks(env).send(new DeleteNodegroupCommand({ clusterName: cluster, nodegroupName: ng }), { abortSignal: signal });
        return { deleted: ng };
      },
    });
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
      const names = (await aws.pages(ctx, env, 'eks:ListClusters', paginateListClusters, eks(env), {})).flatMap((p) => p.clusters ?? []);
      const out: DiscoveredResource[] = [];
      for (const name of names) {
        const c = await findCluster(ctx, env, name);
        if (!c?.arn || c.tags?.[DR_TAG.policy]) continue;
        const groups = await listNodegroups(ctx, env, name);
        out.push({ type: 'aws.eks', nativeId: c.arn, name, region: env.region, tags: { ...(c.tags ?? {}) }, summary: `Kubernetes ${c.version ?? '?'}, ${groups.length} node groups` });
      }
      return out;
    },

    async replicate(resource, ctx): Promise<CapturedItem> {
      const name = clusterNameOf(resource.nativeId);
      const c = await findCluster(ctx, ctx.source, name);
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
      const account = await aws.accountId(ctx.target, ctx);
      const roleArns = new Map(meta.settings.iam.roles.map((r) => [r.name, `arn:aws:iam::${account}:role${r.path}${r.name}`]));
      const { cluster, nodegroups } = await createClusterWithNodegroups(meta, name, roleArns, ctx, { test: true });
      report(ctx, meta.name, compareWithPoint(meta, cluster, nodegroups));
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
        const found = await findNodegroup(ctx, env, cluster, ng);
        if (!found) return;
        refuseNonTest('Node group', created.name, found.tags);
        await deleteNodegroup(ctx, env, cluster, ng);
        return;
      }
      if (created.kind === 'KubernetesCluster') {
        const c = await findCluster(ctx, env, created.name);
        if (!c) return;
        refuseNonTest('EKS cluster', created.name, c.tags);
        // EKS refuses to delete a cluster with node groups, whatever order Reset visits them in.
        for (const ng of await listNodegroups(ctx, env, created.name)) {
          await deleteNodegroup(ctx, env, created.name, ng);
          // The SDK's NodegroupDeleted waiter: at most 20 minutes, its documented maximum.
          await aws.wait(ctx, env, 'eks:NodegroupDeleted', `node group ${ng} of ${created.name} to be deleted`, waitUntilNodegroupDeleted, eks(env), { clusterName: created.name, nodegroupName: ng });
        }
        await aws.mutate(ctx, env, `delete-cluster:${created.name}`, {
          action: 'eks:DeleteCluster',
          intent: { name: created.name },
          absentOk: true,
          call: async (signal) => {
            await eks(env).send(new DeleteClusterCommand({ name: created.name }), { abortSignal: signal });
            return { deleted: created.name };
          },
        });
        return;
      }
      throw new ProviderFailure('ValidationFailed', `Reset does not know how to delete an EKS ${created.kind}.`);
    },

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const env = ctx.target;
      const entries: ResourceMappingEntry[] = [];
      const failures: string[] = [];
      const iam = iamScope(aws, env, ctx);
      const roleArns = new Map<string, string>();
      const iamTags = drTags(ctx, { role: 'failover', purpose: 'iam', sourceId: meta.sourceId });
      for (const role of meta.settings.iam.roles) {
        // R7: a same-named role or policy in the target is reused, not created again (flagged in the mapping).
        const restored = await restoreRole(iam, role, meta.sourceId, iamTags);
        roleArns.set(role.name, restored.role.arn);
        entries.push(...restored.entries);
      }
      failures.push(...(await verifyRoles(iam, meta.settings.iam.roles)));
      // A second policy over the same scope fails over into the same target: its cluster takes a name
      // that cannot collide with the first one's (or the operator's own) instead of failing part-way.
      const taken = await findCluster(ctx, env, meta.name);
      const name = taken && taken.tags?.[DR_TAG.policy] !== ctx.policyId ? eksFailoverName(meta.name, ctx.policyId) : meta.name;
      if (name !== meta.name) {
        const owner = taken?.tags?.[DR_TAG.policy];
        ctx.warn?.(
          `An EKS cluster named ${meta.name} already exists in ${env.region} (${owner ? `failed over by policy ${owner}` : 'not created by the console'}); this failover created ${name} instead.`,
        );
      }
      const { cluster, nodegroups } = await createClusterWithNodegroups(meta, name, roleArns, ctx, { test: false });
      entries.unshift({ sourceId: meta.sourceId, kind: 'KubernetesCluster', name, targetId: cluster.arn ?? name });
      for (const ng of nodegroups) {
        const src = meta.sourceId.replace(':cluster/', ':nodegroup/');
        entries.push({ sourceId: `${src}/${ng.nodegroupName ?? ''}`, kind: 'NodeGroup', name: `${name}/${ng.nodegroupName ?? ''}`, targetId: ng.nodegroupArn ?? '' });
      }
      const subnetIds = cluster.resourcesVpcConfig?.subnetIds ?? [];
      const subnets = await aws.read(ctx, env, 'ec2:DescribeSubnets', (signal) => ec2(env).send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }), { abortSignal: signal }));
      const zones = [...new Set((subnets.Subnets ?? []).flatMap((s) => (s.AvailabilityZone ? [s.AvailabilityZone] : [])))].sort();
      for (const [i, v] of meta.settings.volumes.entries()) {
        const purpose = `volume:${v.sourceVolumeId}`;
        const findVolume = async () =>
          (await aws.read(ctx, env, 'ec2:DescribeVolumes', (signal) => ec2(env).send(new DescribeVolumesCommand({ Filters: [stepFilter(ctx, purpose)] }), { abortSignal: signal }))).Volumes?.[0];
        let volume = await findVolume();
        if (!volume) {
          const token = clientToken(ctx, purpose);
          // Zones differ per region: the volume goes to the zone of the n-th cluster subnet, like the source spread.
          const zone = zones[i % Math.max(zones.length, 1)] ?? `${env.region}a`;
          const tags = [...tagList(v.tags).filter((t) => !t.Key.startsWith('kubernetes.io/cluster/')), { Key: `kubernetes.io/cluster/${name}`, Value: 'owned' }, ...drTags(ctx, { role: 'failover', purpose, sourceId: v.sourceVolumeId })];
          await aws.mutate(ctx, env, `create-volume:${v.sourceVolumeId}`, {
            action: 'ec2:CreateVolume',
            intent: { sourceVolumeId: v.sourceVolumeId, snapshotId: v.snapshotId, clientToken: token, stepTag: stepToken(ctx, purpose) },
            resume: async () => {
              const found = await findVolume();
              return found?.VolumeId ? { volumeId: found.VolumeId } : undefined;
            },
            call: async (signal) => {
              const r = await ec2(env).send(
                new CreateVolumeCommand({
                  SnapshotId: v.snapshotId,
                  AvailabilityZone: zone,
                  VolumeType: v.volumeType as never,
                  Size: v.sizeGb,
                  ...(v.iops && ['io1', 'io2', 'gp3'].includes(v.volumeType) ? { Iops: v.iops } : {}),
                  TagSpecifications: [{ ResourceType: 'volume', Tags: tags }],
                  ClientToken: token,
                }),
                { abortSignal: signal },
              );
              return { volumeId: r.VolumeId ?? '' };
            },
          });
          volume = await findVolume();
        }
        // Disk storage is promised: a volume that is not there (or smaller) fails the step.
        if (!volume?.VolumeId) failures.push(`the volume from snapshot ${v.snapshotId} (${v.sizeGb} GiB) is missing`);
        else if ((volume.Size ?? 0) < v.sizeGb) failures.push(`volume ${volume.VolumeId} is ${volume.Size ?? 0} GiB, not ${v.sizeGb} GiB`);
        else if (volume.VolumeType && volume.VolumeType !== v.volumeType) ctx.warn?.(`Volume ${volume.VolumeId} of EKS cluster ${name} is ${volume.VolumeType}, not ${v.volumeType} as in the recovery point.`);
        entries.push({ sourceId: v.sourceVolumeId, kind: 'Volume', name: v.tags['kubernetes.io/created-for/pvc/name'] ?? v.tags.Name ?? v.sourceVolumeId, targetId: volume?.VolumeId ?? '' });
      }
      const compared = compareWithPoint(meta, cluster, nodegroups);
      report(ctx, meta.name, { warnings: compared.warnings, failures: [...failures, ...compared.failures] });
      return entries;
    },

    async stopReplication(): Promise<void> {
      // Nothing runs between replications: each point takes and copies its own snapshots.
    },
  };
}
