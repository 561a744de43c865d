// Azure Kubernetes Service (@azure/arm-containerservice, core-lro 3 pollers). Replication captures the
// cluster's configuration (version, network profile, identity, SKU, every agent pool with its VM
// size, counts, zones, labels and taints) and snapshots its persistent-volume disks (the disks the
// CSI driver made in the node resource group, tagged kubernetes.io-created-for-pv-name): an
// incremental snapshot in the source region, copied to the target region (CopyStart). Test failover
// builds the cluster under a test name; failover builds it under its deterministic name: the cluster
// with its System pools, each User pool, then the disks from the selected point's snapshots in the
// new cluster's node resource group. Each step is read back and compared with the point.

import { restorePoller as restoreAksPoller, type AgentPool, type ManagedCluster, type ManagedClusterAgentPoolProfile } from '@azure/arm-containerservice';
import { restorePoller as restoreComputePoller, type Disk, type Snapshot } from '@azure/arm-compute';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { armDelete, armLro, v3Poller } from './lro';
import { waitCopied } from './vm';
import { customerTags, DR_TAG, drTags, hashHex, isConsoleMade, missingTags, notATestResource, parseArmId, sameGroup, sameLocation, sourceKey, taken, testName, unreadablePoint } from './dr-shared';

/** The tag the Azure Disk CSI driver puts on the disk of a persistent volume. */
export const PV_TAG = 'kubernetes.io-created-for-pv-name';

export interface AksPool {
  name: string;
  mode: string;
  vmSize: string;
  count: number | null;
  minCount: number | null;
  maxCount: number | null;
  enableAutoScaling: boolean;
  availabilityZones: string[];
  nodeLabels: Record<string, string>;
  nodeTaints: string[];
  osType: string | null;
  osSKU: string | null;
  osDiskSizeGB: number | null;
  maxPods: number | null;
  orchestratorVersion: string | null;
  tags: Record<string, string>;
  /** A subnet in the source's virtual network: it does not exist in the target (foresee says so). */
  vnetSubnetID: string | null;
}

export interface AksDisk {
  name: string;
  sourceId: string;
  sizeGB: number | null;
  sku: string | null;
  zones: string[];
  /** The disk's kubernetes.io-* tags (persistent volume and claim names), carried to the new disk. */
  tags: Record<string, string>;
  /** The snapshot copied into the target region this point's disk is made from. */
  snapshotId: string;
}

export interface AksCaptured {
  name: string;
  sourceId: string;
  sourceLocation: string;
  tags: Record<string, string>;
  kubernetesVersion: string | null;
  dnsPrefix: string | null;
  sku: { name: string | null; tier: string | null } | null;
  identity: { type: string; userAssignedIdentities: string[] } | null;
  enableRbac: boolean | null;
  network: {
    networkPlugin: string | null;
    networkPluginMode: string | null;
    networkPolicy: string | null;
    podCidr: string | null;
    serviceCidr: string | null;
    dnsServiceIP: string | null;
    outboundType: string | null;
    loadBalancerSku: string | null;
  } | null;
  pools: AksPool[];
  disks: AksDisk[];
}

const CLUSTER_READ = 'Microsoft.ContainerService/managedClusters/read';
const CLUSTER_WRITE = 'Microsoft.ContainerService/managedClusters/write';
const CLUSTER_DELETE = 'Microsoft.ContainerService/managedClusters/delete';
const POOL_READ = 'Microsoft.ContainerService/managedClusters/agentPools/read';
const POOL_WRITE = 'Microsoft.ContainerService/managedClusters/agentPools/write';
const DISK_READ = 'Microsoft.Compute/disks/read';
const DISK_WRITE = 'Microsoft.Compute/disks/write';
const DISK_DELETE = 'Microsoft.Compute/disks/delete';
const SNAPSHOT_WRITE = 'Microsoft.Compute/snapshots/write';

const orNull = <T>(v: T | undefined | null): T | null => (v === undefined ? null : v);

function poolOf(p: AgentPool | ManagedClusterAgentPoolProfile, name: string): AksPool {
  return {
    name,
    mode: p.mode ?? 'User',
    vmSize: p.vmSize ?? '',
    count: orNull(p.count),
    minCount: orNull(p.minCount),
    maxCount: orNull(p.maxCount),
    enableAutoScaling: p.enableAutoScaling ?? false,
    availabilityZones: p.availabilityZones ?? [],
    nodeLabels: p.nodeLabels ?? {},
    nodeTaints: p.nodeTaints ?? [],
    osType: orNull(p.osType),
    osSKU: orNull(p.osSKU),
    osDiskSizeGB: orNull(p.osDiskSizeGB),
    maxPods: orNull(p.maxPods),
    orchestratorVersion: p.orchestratorVersion || null,
    tags: p.tags ?? {},
    vnetSubnetID: orNull(p.vnetSubnetID),
  };
}

/** The pool as a request carries it (no source subnet: it is not in the target region). */
function poolBody(p: AksPool) {
  return {
    mode: p.mode,
    vmSize: p.vmSize,
    typePropertiesType: 'VirtualMachineScaleSets',
    enableAutoScaling: p.enableAutoScaling,
    ...(p.count !== null ? { count: p.count } : {}),
    ...(p.minCount !== null ? { minCount: p.minCount } : {}),
    ...(p.maxCount !== null ? { maxCount: p.maxCount } : {}),
    ...(p.availabilityZones.length ? { availabilityZones: p.availabilityZones } : {}),
    ...(Object.keys(p.nodeLabels).length ? { nodeLabels: p.nodeLabels } : {}),
    ...(p.nodeTaints.length ? { nodeTaints: p.nodeTaints } : {}),
    ...(p.osType ? { osType: p.osType } : {}),
    ...(p.osSKU ? { osSKU: p.osSKU } : {}),
    ...(p.osDiskSizeGB !== null ? { osDiskSizeGB: p.osDiskSizeGB } : {}),
    ...(p.maxPods !== null ? { maxPods: p.maxPods } : {}),
    ...(p.orchestratorVersion ? { orchestratorVersion: p.orchestratorVersion } : {}),
    ...(Object.keys(p.tags).length ? { tags: p.tags } : {}),
  };
}

function readCaptured(item: RecoveryPointItemRef, label: string): AksCaptured {
  const m = item.metadata as Partial<AksCaptured>;
  if (!m || typeof m.name !== 'string' || typeof m.sourceId !== 'string' || !Array.isArray(m.pools) || !Array.isArray(m.disks) || !m.pools.some((p) => p.mode === 'System')) throw unreadablePoint(label);
  return m as AksCaptured;
}

const sameList = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const sameRecord = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** What a pool read back does not carry of the point's pool. */
function poolDifferences(want: AksPool, have: AksPool): string[] {
  const out: string[] = [];
  if (have.vmSize !== want.vmSize) out.push(`runs ${have.vmSize || 'an unknown size'}, not ${want.vmSize}`);
  if (want.count !== null && have.count !== want.count) out.push(`has ${have.count ?? 0} nodes, not ${want.count}`);
  if (have.enableAutoScaling !== want.enableAutoScaling || (want.enableAutoScaling && (have.minCount !== want.minCount || have.maxCount !== want.maxCount))) {
    out.push(`autoscales ${have.enableAutoScaling ? `${have.minCount ?? '?'}-${have.maxCount ?? '?'}` : 'off'}, not ${want.enableAutoScaling ? `${want.minCount ?? '?'}-${want.maxCount ?? '?'}` : 'off'}`);
  }
  if (!sameList(have.availabilityZones, want.availabilityZones)) out.push(`is in zones [${have.availabilityZones.join(', ')}], not [${want.availabilityZones.join(', ')}]`);
  if (!sameRecord(have.nodeLabels, want.nodeLabels)) out.push(`has node labels ${JSON.stringify(have.nodeLabels)}, not ${JSON.stringify(want.nodeLabels)}`);
  if (!sameList(have.nodeTaints, want.nodeTaints)) out.push(`has taints [${have.nodeTaints.join(', ')}], not [${want.nodeTaints.join(', ')}]`);
  if (have.mode !== want.mode) out.push(`is a ${have.mode} pool, not ${want.mode}`);
  return out;
}

export function createAksHandler(az: AzureContext): ResourceHandler {
  const aks = (env: EnvRef) => az.containerService(env);
  const compute = (env: EnvRef) => az.compute(env);

  const findCluster = (ctx: CallContext, env: EnvRef, group: string, name: string) => az.lookup(ctx, env, CLUSTER_READ, (signal) => aks(env).managedClusters.get(group, name, { abortSignal: signal }));
  const listPools = (ctx: CallContext, env: EnvRef, group: string, name: string) => az.list(ctx, env, POOL_READ, (signal) => aks(env).agentPools.list(group, name, { abortSignal: signal }));
  const findDisk = (ctx: CallContext, env: EnvRef, group: string, name: string) => az.lookup(ctx, env, DISK_READ, (signal) => compute(env).disks.get(group, name, { abortSignal: signal }));

  /** A cross-region copy of one persistent-volume disk: an incremental snapshot in its region, then CopyStart into the target's, waited for. */
  async function snapshotToTarget(ctx: StepContext, disk: Disk): Promise<string> {
    const src = armScopeOf(ctx.source);
    const dst = armScopeOf(ctx.target);
    const base = `${disk.name ?? 'disk'}`.replace(/[^\w.-]+/g, '-').slice(0, 60);
    const token = hashHex('aks-snapshot', ctx.idempotencyKey, (disk.name ?? base).toLowerCase()).slice(0, 8);
    const localName = `${base}-dr-${token}`;
    const copyName = `${base}-dr-${token}-${ctx.target.region}`.slice(0, 80);
    const tags = { ...customerTags(disk.tags), ...drTags(ctx, 'replication', disk.id) };
    ctx.progress(`Snapshotting persistent-volume disk ${disk.name ?? ''}`);
    const local = await armLro(az, ctx, ctx.source, `snapshot:${disk.name}`, {
      action: SNAPSHOT_WRITE,
      intent: { name: localName, group: src.resourceGroup, of: disk.id },
      start: () => v3Poller(compute(ctx.source).snapshots.createOrUpdate(src.resourceGroup, localName, { location: disk.location, incremental: true, tags, creationData: { createOption: 'Copy', sourceResourceId: disk.id } }, az.pollOptions(ctx.signal))),
      restore: (state) => v3Poller(restoreComputePoller(compute(ctx.source), state, compute(ctx.source).snapshots.createOrUpdate, az.pollOptions(ctx.signal))),
      lookup: (signal) => compute(ctx.source).snapshots.get(src.resourceGroup, localName, { abortSignal: signal }),
      stateOf: (s: Snapshot) => s.provisioningState,
      project: (s: Snapshot) => s.id ?? '',
    });
    ctx.progress(`Copying snapshot ${localName} to ${ctx.target.region}`);
    await armLro(az, ctx, ctx.target, `copy-snapshot:${disk.name}`, {
      action: SNAPSHOT_WRITE,
      intent: { name: copyName, group: dst.resourceGroup, of: local },
      start: () => v3Poller(compute(ctx.target).snapshots.createOrUpdate(dst.resourceGroup, copyName, { location: ctx.target.region, incremental: true, tags, creationData: { createOption: 'CopyStart', sourceResourceId: local } }, az.pollOptions(ctx.signal))),
      restore: (state) => v3Poller(restoreComputePoller(compute(ctx.target), state, compute(ctx.target).snapshots.createOrUpdate, az.pollOptions(ctx.signal))),
      lookup: (signal) => compute(ctx.target).snapshots.get(dst.resourceGroup, copyName, { abortSignal: signal }),
      stateOf: (s: Snapshot) => s.provisioningState,
      project: (s: Snapshot) => s.id ?? '',
    });
    // A CopyStart snapshot goes on copying in the background after its PUT: the point is usable (a
    // disk can be made from it) once completionPercent reaches 100, as the VM type waits for its own.
    return (await waitCopied(az, ctx, ctx.target, copyName)).id ?? '';
  }

  /** The cluster of a point in the target (name given), its User pools, then its disks; returns the mapping and what was made. */
  async function build(ctx: StepContext, meta: AksCaptured, name: string, role: 'test' | 'failover'): Promise<{ cluster: ManagedCluster; disks: Array<{ disk: AksDisk; made: Disk }> }> {
    const env = ctx.target;
    const group = armScopeOf(env).resourceGroup;
    const tags = { ...meta.tags, ...drTags(ctx, role, meta.sourceId) };
    const existing = await findCluster(ctx, env, group, name);
    if (existing && existing.tags?.[DR_TAG.policy] !== ctx.policyId) throw taken('Kubernetes cluster', name, `${env.region} (${group})`, `made by this policy's ${role === 'test' ? 'test failover' : 'failover'}`);
    const system = meta.pools.filter((p) => p.mode === 'System');
    const user = meta.pools.filter((p) => p.mode !== 'System');
    const identity = meta.identity?.type === 'UserAssigned' && meta.identity.userAssignedIdentities.length
      ? { type: 'UserAssigned', userAssignedIdentities: Object.fromEntries(meta.identity.userAssignedIdentities.map((id) => [id, {}])) }
      : { type: 'SystemAssigned' };
    const n = meta.network;
    const body: ManagedCluster = {
      location: env.region,
      tags,
      // A DNS prefix: 1-54 letters, digits and hyphens, starting and ending with a letter or digit.
      dnsPrefix: (role === 'test' ? name : (meta.dnsPrefix ?? name)).replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 54).replace(/^-+|-+$/g, '') || 'aks',
      ...(meta.kubernetesVersion ? { kubernetesVersion: meta.kubernetesVersion } : {}),
      ...(meta.sku?.name ? { sku: { name: meta.sku.name, ...(meta.sku.tier ? { tier: meta.sku.tier } : {}) } } : {}),
      identity,
      ...(meta.enableRbac !== null ? { enableRbac: meta.enableRbac } : {}),
      agentPoolProfiles: system.map((p) => ({ name: p.name, ...poolBody(p) })),
      ...(n
        ? {
            networkProfile: Object.fromEntries(
              Object.entries({ networkPlugin: n.networkPlugin, networkPluginMode: n.networkPluginMode, networkPolicy: n.networkPolicy, podCidr: n.podCidr, serviceCidr: n.serviceCidr, dnsServiceIP: n.dnsServiceIP, outboundType: n.outboundType, loadBalancerSku: n.loadBalancerSku }).filter(([, v]) => v !== null),
            ),
          }
        : {}),
    } as ManagedCluster;
    ctx.progress(`Creating Kubernetes cluster ${name} in ${env.region}`);
    await armLro(az, ctx, env, 'create-cluster', {
      action: CLUSTER_WRITE,
      intent: { name, group, kubernetesVersion: meta.kubernetesVersion, pools: system.map((p) => p.name) },
      start: () => v3Poller(aks(env).managedClusters.createOrUpdate(group, name, body, az.pollOptions(ctx.signal))),
      restore: (state) => v3Poller(restoreAksPoller(aks(env), state, aks(env).managedClusters.createOrUpdate, az.pollOptions(ctx.signal))),
      lookup: (signal) => aks(env).managedClusters.get(group, name, { abortSignal: signal }),
      stateOf: (c: ManagedCluster) => c.provisioningState,
      project: (c: ManagedCluster) => c.id ?? '',
    });
    let cluster = await findCluster(ctx, env, group, name);
    if (!cluster?.id) throw new ProviderFailure('ProviderUnavailable', `Kubernetes cluster ${name} was created in ${env.region} and then could not be read; the console will retry.`);
    const label = `Kubernetes cluster ${name} in ${env.region}`;
    if (meta.kubernetesVersion && cluster.kubernetesVersion !== meta.kubernetesVersion) ctx.warn?.(`${label} runs Kubernetes ${cluster.kubernetesVersion ?? '?'}, not ${meta.kubernetesVersion} (the recovery point of ${meta.name} has it).`);
    if (n?.networkPlugin && cluster.networkProfile?.networkPlugin !== n.networkPlugin) ctx.warn?.(`${label} uses network plugin ${cluster.networkProfile?.networkPlugin ?? 'none'}, not ${n.networkPlugin}.`);
    if (meta.identity && cluster.identity?.type !== identity.type) ctx.warn?.(`${label} has identity ${cluster.identity?.type ?? 'none'}, not ${identity.type}.`);

    for (const p of user) {
      ctx.progress(`Adding agent pool ${p.name} to ${name}`);
      await armLro(az, ctx, env, `create-agent-pool:${p.name}`, {
        action: POOL_WRITE,
        intent: { cluster: name, pool: p.name, vmSize: p.vmSize, count: p.count },
        start: () => v3Poller(aks(env).agentPools.createOrUpdate(group, name, p.name, poolBody(p) as AgentPool, az.pollOptions(ctx.signal))),
        restore: (state) => v3Poller(restoreAksPoller(aks(env), state, aks(env).agentPools.createOrUpdate, az.pollOptions(ctx.signal))),
        lookup: (signal) => aks(env).agentPools.get(group, name, p.name, { abortSignal: signal }),
        stateOf: (a: AgentPool) => a.provisioningState,
        project: (a: AgentPool) => a.id ?? '',
      });
    }
    const pools = new Map((await listPools(ctx, env, group, name)).map((a) => [a.name ?? '', poolOf(a, a.name ?? '')]));
    for (const p of meta.pools) {
      const have = pools.get(p.name);
      if (!have) {
        ctx.warn?.(`${label} has no agent pool ${p.name} (the recovery point of ${meta.name} has it).`);
        continue;
      }
      for (const d of poolDifferences(p, have)) ctx.warn?.(`Agent pool ${p.name} of ${label} ${d} (the recovery point of ${meta.name} has it).`);
    }
    for (const w of missingTags(label, cluster.tags, tags)) ctx.warn?.(w);

    // The disk storage: one disk per snapshot of the point, in the new cluster's node resource group
    // (where AKS would have made the persistent volumes' disks), ready to bind by id.
    cluster = (await findCluster(ctx, env, group, name)) ?? cluster;
    const nodeGroup = cluster.nodeResourceGroup;
    const disks: Array<{ disk: AksDisk; made: Disk }> = [];
    if (meta.disks.length && !nodeGroup) throw new ProviderFailure('ProviderError', `${label} reports no node resource group, so its disks cannot be made; the console will retry.`);
    for (const d of meta.disks) {
      const diskName = role === 'test' ? testName(d.name, ctx, 80) : d.name;
      ctx.progress(`Creating disk ${diskName} from snapshot ${parseArmId(d.snapshotId, 'a snapshot').name}`);
      const diskTags = { ...d.tags, ...drTags(ctx, role, d.sourceId) };
      await armLro(az, ctx, env, `create-disk:${d.name}`, {
        action: DISK_WRITE,
        intent: { name: diskName, group: nodeGroup, snapshot: d.snapshotId },
        start: () =>
          v3Poller(
            compute(env).disks.createOrUpdate(
              nodeGroup!,
              diskName,
              { location: env.region, tags: diskTags, ...(d.sku ? { sku: { name: d.sku } } : {}), ...(d.zones.length ? { zones: d.zones } : {}), creationData: { createOption: 'Copy', sourceResourceId: d.snapshotId } } as Disk,
              az.pollOptions(ctx.signal),
            ),
          ),
        restore: (state) => v3Poller(restoreComputePoller(compute(env), state, compute(env).disks.createOrUpdate, az.pollOptions(ctx.signal))),
        lookup: (signal) => compute(env).disks.get(nodeGroup!, diskName, { abortSignal: signal }),
        stateOf: (x: Disk) => x.provisioningState,
        project: (x: Disk) => x.id ?? '',
      });
      const made = await findDisk(ctx, env, nodeGroup!, diskName);
      if (!made?.id) throw new ProviderFailure('ProviderUnavailable', `Disk ${diskName} was created in ${env.region} and then could not be read; the console will retry.`);
      if (d.sizeGB !== null && (made.diskSizeGB ?? 0) < d.sizeGB) ctx.warn?.(`Disk ${diskName} in ${env.region} has ${made.diskSizeGB ?? 0} GiB, not ${d.sizeGB} GiB (the recovery point of ${meta.name} has it).`);
      if ((made.creationData?.sourceResourceId ?? '').toLowerCase() !== d.snapshotId.toLowerCase()) ctx.warn?.(`Disk ${diskName} in ${env.region} was not made from snapshot ${d.snapshotId}.`);
      disks.push({ disk: d, made });
    }
    return { cluster, disks };
  }

  /** The failover cluster's name: the source's, unless the target is the source's own resource group. */
  const failoverName = (ctx: StepContext, meta: AksCaptured) =>
    sameGroup(ctx.source, ctx.target) ? `${meta.name.slice(0, 50)}-dr-${hashHex('aks-failover', ctx.policyId, sourceKey(meta.sourceId)).slice(0, 8)}` : meta.name;

  async function deleteTagged(ctx: StepContext, created: CreatedResource): Promise<void> {
    const env = ctx.target;
    const id = parseArmId(created.nativeId, created.kind === 'Disk' ? 'a managed disk' : 'a Kubernetes cluster');
    if (created.kind === 'ManagedCluster') {
      const c = await findCluster(ctx, env, id.resourceGroup, id.name);
      if (!c) return;
      if (c.tags?.[DR_TAG.test] !== 'true') throw notATestResource('Kubernetes cluster', id.name);
      ctx.progress(`Deleting test cluster ${id.name}`);
      await armDelete(az, ctx, env, `delete-cluster:${id.name}`, {
        action: CLUSTER_DELETE,
        intent: { id: created.nativeId },
        start: () => v3Poller(aks(env).managedClusters.delete(id.resourceGroup, id.name, az.pollOptions(ctx.signal))),
        restore: (state) => v3Poller(restoreAksPoller(aks(env), state, aks(env).managedClusters.delete, az.pollOptions(ctx.signal))),
        exists: async (signal) => (await findCluster({ ...ctx, signal }, env, id.resourceGroup, id.name)) !== undefined,
      });
      return;
    }
    // A disk in the test cluster's node resource group goes with the cluster; one still there is deleted here.
    const d = await az.lookup(ctx, env, DISK_READ, (signal) => compute(env).disks.get(id.resourceGroup, id.name, { abortSignal: signal })).catch((err: unknown) => {
      if (err instanceof ProviderFailure && err.code === 'NotFound') return undefined;
      throw err;
    });
    if (!d) return;
    if (d.tags?.[DR_TAG.test] !== 'true') throw notATestResource('Disk', id.name);
    await armDelete(az, ctx, env, `delete-disk:${id.name}`, {
      action: DISK_DELETE,
      intent: { id: created.nativeId },
      start: () => v3Poller(compute(env).disks.delete(id.resourceGroup, id.name, az.pollOptions(ctx.signal))),
      restore: (state) => v3Poller(restoreComputePoller(compute(env), state, compute(env).disks.delete, az.pollOptions(ctx.signal))),
      exists: async (signal) => (await findDisk({ ...ctx, signal }, env, id.resourceGroup, id.name).catch(() => undefined)) !== undefined,
    });
  }

  return {
    type: 'azure.aks',
    usesLatestPoint: false,

    async discover(ctx: DiscoverContext): Promise<DiscoveredResource[]> {
      const { resourceGroup } = armScopeOf(ctx.env);
      const clusters = await az.list(ctx, ctx.env, CLUSTER_READ, (signal) => aks(ctx.env).managedClusters.listByResourceGroup(resourceGroup, { abortSignal: signal }));
      return clusters
        .filter((c) => sameLocation(c.location, ctx.env.region) && !isConsoleMade(c.tags) && c.id && c.name)
        .map((c) => {
          const pools = c.agentPoolProfiles ?? [];
          const nodes = pools.reduce((sum, p) => sum + (p.count ?? 0), 0);
          return {
            type: 'azure.aks' as const,
            nativeId: c.id!,
            name: c.name!,
            region: ctx.env.region,
            tags: customerTags(c.tags),
            summary: `Kubernetes ${c.kubernetesVersion ?? '?'}, ${pools.length} pool${pools.length === 1 ? '' : 's'}, ${nodes} node${nodes === 1 ? '' : 's'}`,
          };
        });
    },

    foresee(item: RecoveryPointItemRef): string[] {
      const m = item.metadata as Partial<AksCaptured>;
      const out: string[] = [];
      for (const p of m.pools ?? []) if (p.vnetSubnetID) out.push(`Agent pool ${p.name} of ${m.name ?? item.resource.name} runs in a subnet of the source's virtual network; the target cluster uses the network AKS makes.`);
      return out;
    },

    async replicate(ref: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const id = parseArmId(ref.nativeId, 'a Kubernetes cluster');
      const c = await findCluster(ctx, ctx.source, id.resourceGroup, id.name);
      if (!c) throw new ProviderFailure('NotFound', `Kubernetes cluster ${ref.name} is gone from ${ctx.source.region}; remove it from the policy or restore it.`);
      const pools = (await listPools(ctx, ctx.source, id.resourceGroup, id.name)).map((a) => poolOf(a, a.name ?? ''));
      const n = c.networkProfile;
      // The persistent volumes' disks, in the node resource group AKS manages.
      const pvDisks = c.nodeResourceGroup
        ? (await az.list(ctx, ctx.source, DISK_READ, (signal) => compute(ctx.source).disks.listByResourceGroup(c.nodeResourceGroup!, { abortSignal: signal })).catch((err: unknown) => {
            if (err instanceof ProviderFailure && err.code === 'NotFound') return [] as Disk[];
            throw err;
          })).filter((d) => d.tags?.[PV_TAG] !== undefined)
        : [];
      const disks: AksDisk[] = [];
      for (const d of pvDisks.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))) {
        const snapshotId = await snapshotToTarget(ctx, d);
        disks.push({
          name: d.name ?? '',
          sourceId: d.id ?? '',
          sizeGB: orNull(d.diskSizeGB),
          sku: orNull(d.sku?.name),
          zones: d.zones ?? [],
          tags: Object.fromEntries(Object.entries(d.tags ?? {}).filter(([k]) => k.startsWith('kubernetes.io'))),
          snapshotId,
        });
      }
      const meta: AksCaptured = {
        name: c.name ?? ref.name,
        sourceId: c.id ?? ref.nativeId,
        sourceLocation: c.location,
        tags: customerTags(c.tags),
        kubernetesVersion: orNull(c.kubernetesVersion),
        dnsPrefix: orNull(c.dnsPrefix),
        sku: c.sku ? { name: orNull(c.sku.name), tier: orNull(c.sku.tier) } : null,
        identity: c.identity?.type ? { type: c.identity.type, userAssignedIdentities: Object.keys(c.identity.userAssignedIdentities ?? {}) } : null,
        enableRbac: orNull(c.enableRbac),
        network: n
          ? {
              networkPlugin: orNull(n.networkPlugin),
              networkPluginMode: orNull(n.networkPluginMode),
              networkPolicy: orNull(n.networkPolicy),
              podCidr: orNull(n.podCidr),
              serviceCidr: orNull(n.serviceCidr),
              dnsServiceIP: orNull(n.dnsServiceIP),
              outboundType: orNull(n.outboundType),
              loadBalancerSku: orNull(n.loadBalancerSku),
            }
          : null,
        pools: pools.length ? pools : (c.agentPoolProfiles ?? []).map((p) => poolOf(p, p.name)),
        disks,
      };
      return { metadata: meta as unknown as Record<string, unknown>, dataRefs: disks.map((d) => ({ kind: 'Snapshot', id: d.snapshotId, region: ctx.target.region })) };
    },

    async testFailover(item: RecoveryPointItemRef, ctx: StepContext): Promise<CreatedResource[]> {
      const meta = readCaptured(item, item.resource.name);
      const name = testName(meta.name, ctx);
      const { cluster, disks } = await build(ctx, meta, name, 'test');
      return [
        { kind: 'ManagedCluster', nativeId: cluster.id!, name, region: ctx.target.region, sourceId: meta.sourceId },
        ...disks.map(({ disk, made }) => ({ kind: 'Disk', nativeId: made.id!, name: made.name ?? disk.name, region: ctx.target.region, sourceId: disk.sourceId })),
      ];
    },

    reset: (created, ctx) => deleteTagged(ctx, created),

    async failover(item: RecoveryPointItemRef, ctx: StepContext): Promise<ResourceMappingEntry[]> {
      const meta = readCaptured(item, item.resource.name);
      const name = failoverName(ctx, meta);
      const { cluster, disks } = await build(ctx, meta, name, 'failover');
      return [
        { sourceId: meta.sourceId, kind: 'ManagedCluster', name, targetId: cluster.id! },
        ...disks.map(({ disk, made }) => ({ sourceId: disk.sourceId, kind: 'Disk', name: made.name ?? disk.name, targetId: made.id! })),
      ];
    },

    // Nothing replicates continuously: each point is its own snapshots, so there is nothing to stop.
    stopReplication: () => Promise.resolve(),
  };
}
