// azure.vm: an Azure virtual machine with its managed disks, NICs, virtual network, public IPs and NSGs
// (DESIGN.md's type table, the product document's failover).
// - replicate: per disk, an incremental snapshot in the source region, copied to the target region
//   (CopyStart) and waited for until its copy completes (completionPercent 100); the point's metadata
//   holds the size, zone, tags, disks and the network settings to rebuild.
// - test failover: disks from the point's snapshots, an isolated test virtual network (not peered, no
//   public IP), a NIC and the VM, all under test names and tagged dr:test; Reset deletes them one by one.
// - failover: disks from the *selected* point's snapshots, the virtual network and subnet when missing,
//   NSG, public IP, NIC, then the VM, under the source's names in the target resource group; each step
//   read back and compared with the point (ctx.warn for what did not carry).
// Every PUT/DELETE is a journaled long-running operation (lro.ts): a resumed step polls, never re-creates.

import { restorePoller as restoreComputePoller, type Disk, type Snapshot, type VirtualMachine } from '@azure/arm-compute';
import { restorePoller as restoreNetworkPoller, type NetworkInterface, type NetworkSecurityGroup, type PublicIPAddress, type SecurityRule, type Subnet, type VirtualNetwork } from '@azure/arm-network';
import type { OperationState, PollerLike } from '@azure/core-lro';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { DiscoveredResource } from '../../../shared/domain';
import { ProviderFailure } from '../provider-failure';
import type { CapturedItem, CreatedResource, DiscoverContext, EnvRef, ProtectedResourceRef, RecoveryPointItemRef, ResourceHandler, ResourceMappingEntry, StepContext } from '../types';
import { armScopeOf, type AzureContext, type CallContext } from './clients';
import { armDelete, armLro, v3Poller } from './lro';
import { DR_TAG, azureTestName, drTagRecord, parseArmId, replicationName, sameLocation, userTags } from './naming';

const TYPE = 'azure.vm' as const;

const ACTION = {
  vm: (verb: string) => `Microsoft.Compute/virtualMachines/${verb}`,
  disk: (verb: string) => `Microsoft.Compute/disks/${verb}`,
  snapshot: (verb: string) => `Microsoft.Compute/snapshots/${verb}`,
  vnet: (verb: string) => `Microsoft.Network/virtualNetworks/${verb}`,
  subnet: (verb: string) => `Microsoft.Network/virtualNetworks/subnets/${verb}`,
  nic: (verb: string) => `Microsoft.Network/networkInterfaces/${verb}`,
  pip: (verb: string) => `Microsoft.Network/publicIPAddresses/${verb}`,
  nsg: (verb: string) => `Microsoft.Network/networkSecurityGroups/${verb}`,
};

// ---- what a recovery point holds (zod: the metadata comes back from the database) -----------------

const Tags = z.record(z.string(), z.string());
const DiskCap = z.object({
  role: z.enum(['os', 'data']),
  lun: z.number().int().nullable(),
  name: z.string().min(1),
  id: z.string().min(1),
  sizeGB: z.number().nullable(),
  sku: z.string().nullable(),
  caching: z.string().nullable(),
  osType: z.string().nullable(),
  tags: Tags,
  /** The copy in the target region: what a failover makes this disk from. */
  snapshotId: z.string().min(1),
  sourceSnapshotId: z.string().min(1),
});
const IpConfigCap = z.object({
  name: z.string().min(1),
  primary: z.boolean(),
  privateIPAllocationMethod: z.string(),
  privateIPAddress: z.string().nullable(),
  vnet: z.string().min(1),
  subnet: z.string().min(1),
  publicIp: z.string().nullable(),
});
const NicCap = z.object({
  name: z.string().min(1),
  id: z.string().min(1),
  primary: z.boolean(),
  tags: Tags,
  acceleratedNetworking: z.boolean(),
  ipForwarding: z.boolean(),
  ipConfigs: z.array(IpConfigCap).min(1),
  nsg: z.string().nullable(),
});
const RuleCap = z.object({
  name: z.string(),
  priority: z.number(),
  direction: z.string(),
  access: z.string(),
  protocol: z.string(),
  sourceAddressPrefix: z.string().nullable(),
  sourcePortRange: z.string().nullable(),
  destinationAddressPrefix: z.string().nullable(),
  destinationPortRange: z.string().nullable(),
  description: z.string().nullable(),
});
const NsgCap = z.object({ name: z.string().min(1), id: z.string().min(1), tags: Tags, rules: z.array(RuleCap) });
const SubnetCap = z.object({ name: z.string().min(1), addressPrefix: z.string().nullable(), addressPrefixes: z.array(z.string()), nsg: z.string().nullable() });
const VnetCap = z.object({ name: z.string().min(1), id: z.string().min(1), addressPrefixes: z.array(z.string()).min(1), tags: Tags, subnets: z.array(SubnetCap) });
const PipCap = z.object({ name: z.string().min(1), id: z.string().min(1), sku: z.string().nullable(), tier: z.string().nullable(), allocation: z.string().nullable(), version: z.string().nullable(), zones: z.array(z.string()), tags: Tags });
const VmCap = z.object({
  kind: z.literal(TYPE),
  vmId: z.string().min(1),
  name: z.string().min(1),
  location: z.string(),
  vmSize: z.string().min(1),
  zones: z.array(z.string()),
  tags: Tags,
  osType: z.string().nullable(),
  disks: z.array(DiskCap).min(1),
  nics: z.array(NicCap).min(1),
  vnets: z.array(VnetCap),
  publicIps: z.array(PipCap),
  nsgs: z.array(NsgCap),
});
export type AzureVmCapture = z.infer<typeof VmCap>;
type DiskCapT = z.infer<typeof DiskCap>;
type NicCapT = z.infer<typeof NicCap>;
type VnetCapT = z.infer<typeof VnetCap>;

function readCapture(item: RecoveryPointItemRef): AzureVmCapture {
  const parsed = VmCap.safeParse(item.metadata);
  if (!parsed.success) {
    throw new ProviderFailure('PreconditionFailed', `The recovery point of virtual machine ${item.resource.name} is not an Azure VM point this console can use (${parsed.error.issues[0]?.path.join('.') ?? 'metadata'}): replicate the VM again.`);
  }
  return parsed.data;
}

// ---- small helpers ---------------------------------------------------------------------------------

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const tagsOf = (t: Record<string, string> | undefined): Record<string, string> => ({ ...(t ?? {}) });

/** The resource group and name an ARM id names (its last pair); a malformed id is the point's problem. */
function idParts(id: string, what: string): { resourceGroup: string; name: string; names: string[] } {
  const p = parseArmId(id);
  if (!p || p.names.length === 0) throw new ProviderFailure('PreconditionFailed', `"${id}" is not an Azure resource id of ${what}.`);
  return { resourceGroup: p.resourceGroup, name: p.names[p.names.length - 1]!, names: p.names };
}

/** A TypeSpec client's PUT as a journaled long-running operation; the result is the resource's id and name. */
function put<R extends { id?: string; name?: string; provisioningState?: string }>(
  az: AzureContext,
  ctx: StepContext,
  env: EnvRef,
  opKey: string,
  o: {
    action: string;
    intent: Record<string, unknown>;
    start: (options: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<R>, R>;
    restore: (state: string, options: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<R>, R>;
    get: (signal: AbortSignal) => Promise<R>;
  },
): Promise<{ id: string; name: string }> {
  return armLro<R, { id: string; name: string }>(az, ctx, env, opKey, {
    action: o.action,
    intent: o.intent,
    start: (signal) => v3Poller(o.start(az.pollOptions(signal))),
    restore: (state, signal) => v3Poller(o.restore(state, az.pollOptions(signal))),
    lookup: o.get,
    stateOf: (r) => r.provisioningState,
    project: (r) => ({ id: r.id ?? '', name: r.name ?? '' }),
  });
}

function del(az: AzureContext, ctx: StepContext, env: EnvRef, opKey: string, o: { action: string; id: string; start: (o: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<void>, void>; restore: (state: string, o: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<void>, void>; get: (signal: AbortSignal) => Promise<unknown> }): Promise<null> {
  return armDelete(az, ctx, env, opKey, {
    action: o.action,
    intent: { id: o.id },
    start: (signal) => v3Poller(o.start(az.pollOptions(signal))),
    restore: (state, signal) => v3Poller(o.restore(state, az.pollOptions(signal))),
    exists: async (signal) =>
      o.get(signal).then(
        () => true,
        (err: unknown) => {
          if ((err as { statusCode?: number }).statusCode === 404) return false;
          throw err;
        },
      ),
  });
}

// ---- capture ---------------------------------------------------------------------------------------

async function loadVm(az: AzureContext, ctx: CallContext, env: EnvRef, vmId: string, remedy: string): Promise<VirtualMachine> {
  const { resourceGroup, name } = idParts(vmId, 'a virtual machine');
  const vm = await az.lookup(ctx, env, ACTION.vm('read'), (signal) => az.compute(env).virtualMachines.get(resourceGroup, name, { abortSignal: signal }));
  if (!vm) throw new ProviderFailure('NotFound', `The virtual machine ${name} no longer exists in resource group ${resourceGroup}: ${remedy}`);
  return vm;
}

function diskRefs(vm: VirtualMachine): { role: 'os' | 'data'; lun: number | null; id: string; caching: string | null }[] {
  const out: { role: 'os' | 'data'; lun: number | null; id: string; caching: string | null }[] = [];
  const os = vm.storageProfile?.osDisk;
  if (os?.managedDisk?.id) out.push({ role: 'os', lun: null, id: os.managedDisk.id, caching: str(os.caching) });
  for (const d of vm.storageProfile?.dataDisks ?? []) if (d.managedDisk?.id) out.push({ role: 'data', lun: d.lun, id: d.managedDisk.id, caching: str(d.caching) });
  return out;
}

interface Network {
  nics: NetworkInterface[];
  vnets: Map<string, VirtualNetwork>;
  publicIps: Map<string, PublicIPAddress>;
  nsgs: Map<string, NetworkSecurityGroup>;
}

/** The VM's NICs and, through them, its virtual networks, public IPs and NSGs (each read once). */
async function loadNetwork(az: AzureContext, ctx: CallContext, env: EnvRef, vm: VirtualMachine): Promise<Network> {
  const net = az.network(env);
  const out: Network = { nics: [], vnets: new Map(), publicIps: new Map(), nsgs: new Map() };
  const nsg = async (id: string | undefined) => {
    if (!id || out.nsgs.has(id.toLowerCase())) return;
    const p = idParts(id, 'a network security group');
    const g = await az.read(ctx, env, ACTION.nsg('read'), (signal) => net.networkSecurityGroups.get(p.resourceGroup, p.name, { abortSignal: signal }));
    out.nsgs.set(id.toLowerCase(), g);
  };
  for (const ref of vm.networkProfile?.networkInterfaces ?? []) {
    if (!ref.id) continue;
    const p = idParts(ref.id, 'a network interface');
    const nic = await az.read(ctx, env, ACTION.nic('read'), (signal) => net.networkInterfaces.get(p.resourceGroup, p.name, { abortSignal: signal }));
    out.nics.push(nic);
    await nsg(nic.networkSecurityGroup?.id);
    for (const ip of nic.ipConfigurations ?? []) {
      const subnetId = ip.subnet?.id;
      if (subnetId) {
        const vnetId = subnetId.replace(/\/subnets\/[^/]+$/i, '');
        if (!out.vnets.has(vnetId.toLowerCase())) {
          const v = idParts(vnetId, 'a virtual network');
          const vnet = await az.read(ctx, env, ACTION.vnet('read'), (signal) => net.virtualNetworks.get(v.resourceGroup, v.name, { abortSignal: signal }));
          out.vnets.set(vnetId.toLowerCase(), vnet);
          for (const s of vnet.subnets ?? []) await nsg(s.networkSecurityGroup?.id);
        }
      }
      const pipId = ip.publicIPAddress?.id;
      if (pipId && !out.publicIps.has(pipId.toLowerCase())) {
        const q = idParts(pipId, 'a public IP address');
        out.publicIps.set(pipId.toLowerCase(), await az.read(ctx, env, ACTION.pip('read'), (signal) => net.publicIPAddresses.get(q.resourceGroup, q.name, { abortSignal: signal })));
      }
    }
  }
  return out;
}

const nameOfId = (id: string | undefined): string | null => (id ? (id.split('/').filter(Boolean).pop() ?? null) : null);

function captureNetwork(n: Network): Pick<AzureVmCapture, 'nics' | 'vnets' | 'publicIps' | 'nsgs'> {
  const nics: NicCapT[] = n.nics.map((nic, i) => ({
    name: nic.name ?? `nic${i}`,
    id: nic.id ?? '',
    primary: i === 0,
    tags: tagsOf(nic.tags),
    acceleratedNetworking: nic.enableAcceleratedNetworking === true,
    ipForwarding: nic.enableIPForwarding === true,
    nsg: nameOfId(nic.networkSecurityGroup?.id),
    ipConfigs: (nic.ipConfigurations ?? []).map((ip, j) => {
      const subnetId = ip.subnet?.id ?? '';
      const m = /\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i.exec(subnetId);
      return {
        name: ip.name ?? `ipconfig${j + 1}`,
        primary: ip.primary ?? j === 0,
        privateIPAllocationMethod: ip.privateIPAllocationMethod ?? 'Dynamic',
        privateIPAddress: str(ip.privateIPAddress),
        vnet: m?.[1] ?? '',
        subnet: m?.[2] ?? '',
        publicIp: nameOfId(ip.publicIPAddress?.id),
      };
    }),
  }));
  const vnets: VnetCapT[] = [...n.vnets.values()].map((v) => ({
    name: v.name ?? '',
    id: v.id ?? '',
    addressPrefixes: v.addressSpace?.addressPrefixes ?? [],
    tags: tagsOf(v.tags),
    subnets: (v.subnets ?? []).map((s) => ({ name: s.name ?? '', addressPrefix: str(s.addressPrefix), addressPrefixes: s.addressPrefixes ?? [], nsg: nameOfId(s.networkSecurityGroup?.id) })),
  }));
  const publicIps = [...n.publicIps.values()].map((p) => ({
    name: p.name ?? '',
    id: p.id ?? '',
    sku: str(p.sku?.name),
    tier: str(p.sku?.tier),
    allocation: str(p.publicIPAllocationMethod),
    version: str(p.publicIPAddressVersion),
    zones: p.zones ?? [],
    tags: tagsOf(p.tags),
  }));
  const nsgs = [...n.nsgs.values()].map((g) => ({
    name: g.name ?? '',
    id: g.id ?? '',
    tags: tagsOf(g.tags),
    rules: (g.securityRules ?? []).map((r) => ({
      name: r.name ?? '',
      priority: r.priority ?? 0,
      direction: r.direction ?? 'Inbound',
      access: r.access ?? 'Allow',
      protocol: r.protocol ?? '*',
      sourceAddressPrefix: str(r.sourceAddressPrefix),
      sourcePortRange: str(r.sourcePortRange),
      destinationAddressPrefix: str(r.destinationAddressPrefix),
      destinationPortRange: str(r.destinationPortRange),
      description: str(r.description),
    })),
  }));
  return { nics, vnets, publicIps, nsgs };
}

// ---- discovery -------------------------------------------------------------------------------------

async function discoverVms(az: AzureContext, ctx: DiscoverContext): Promise<DiscoveredResource[]> {
  const env = ctx.env;
  const { resourceGroup } = armScopeOf(env);
  const compute = az.compute(env);
  const vms = await az.list(ctx, env, ACTION.vm('read'), (signal) => compute.virtualMachines.list(resourceGroup, { abortSignal: signal }));
  const out: DiscoveredResource[] = [];
  for (const vm of vms) {
    if (!sameLocation(vm.location, env.region) || vm.tags?.[DR_TAG.test] === 'true') continue;
    const net = await loadNetwork(az, ctx, env, vm);
    const disks = diskRefs(vm).length;
    const vnets = [...net.vnets.values()].map((v) => v.name).join(', ');
    const pips = [...net.publicIps.values()].map((p) => p.name).join(', ');
    const nsgs = [...net.nsgs.values()].map((g) => g.name).join(', ');
    const summary = [
      `${vm.hardwareProfile?.vmSize ?? 'unknown size'}${vm.zones?.length ? ` (zone ${vm.zones.join(',')})` : ''}`,
      `${disks} disk${disks === 1 ? '' : 's'}`,
      `${net.nics.length} NIC${net.nics.length === 1 ? '' : 's'}${vnets ? ` in ${vnets}` : ''}`,
      ...(pips ? [`public IP ${pips}`] : []),
      ...(nsgs ? [`NSG ${nsgs}`] : []),
    ].join(', ');
    out.push({ type: TYPE, nativeId: vm.id ?? '', name: (vm.name ?? '').slice(0, 256), region: env.region, tags: tagsOf(vm.tags), summary: summary.slice(0, 256) });
  }
  return out;
}

// ---- replication -----------------------------------------------------------------------------------

/** Polls a CopyStart snapshot until its background copy is complete (completionPercent 100). */
export async function waitCopied(az: AzureContext, ctx: StepContext, env: EnvRef, name: string): Promise<Snapshot> {
  const { resourceGroup } = armScopeOf(env);
  const interval = az.opts.updateIntervalInMs ?? 15_000;
  for (;;) {
    const snap = await az.read(ctx, env, ACTION.snapshot('read'), (signal) => az.compute(env).snapshots.get(resourceGroup, name, { abortSignal: signal }));
    if (snap.copyCompletionError) {
      throw new ProviderFailure('ProviderError', `The copy of snapshot ${name} to ${env.region} failed (${snap.copyCompletionError.errorCode}): ${snap.copyCompletionError.errorMessage} Replicate again.`);
    }
    if (snap.provisioningState === 'Failed') throw new ProviderFailure('ProviderError', `Snapshot ${name} in ${env.region} ended in a failed state: replicate again.`);
    const pct = snap.completionPercent;
    if (snap.provisioningState === 'Succeeded' && (pct === undefined || pct >= 100)) return snap;
    ctx.progress(`Copying snapshot ${name} to ${env.region}: ${pct ?? 0}%`);
    await sleep(interval, undefined, { signal: ctx.signal });
  }
}

async function snapshotDisk(az: AzureContext, ctx: StepContext, vmId: string, disk: Disk, ref: { role: 'os' | 'data'; lun: number | null; caching: string | null }): Promise<DiskCapT> {
  const src = ctx.source;
  const tgt = ctx.target;
  const diskName = disk.name ?? '';
  const srcRg = armScopeOf(src).resourceGroup;
  const tgtRg = armScopeOf(tgt).resourceGroup;
  const tags = { ...drTagRecord(ctx, { role: 'replication', purpose: `snapshot:${diskName}`, sourceId: vmId }), 'dr:disk': diskName };
  const srcName = replicationName(diskName, ctx, `snapshot-source:${diskName}`);
  const tgtName = replicationName(diskName, ctx, `snapshot:${diskName}`);
  const computeSrc = az.compute(src);
  const computeTgt = az.compute(tgt);

  ctx.progress(`Taking an incremental snapshot of disk ${diskName}`);
  const source = await put<Snapshot>(az, ctx, src, `snapshot:${diskName}`, {
    action: ACTION.snapshot('write'),
    intent: { name: srcName, resourceGroup: srcRg, sourceDiskId: disk.id ?? '', incremental: true },
    start: (o) => computeSrc.snapshots.createOrUpdate(srcRg, srcName, { location: src.region, incremental: true, creationData: { createOption: 'Copy', sourceResourceId: disk.id ?? '' }, tags }, o),
    restore: (state, o) => restoreComputePoller(computeSrc, state, computeSrc.snapshots.createOrUpdate, o),
    get: (signal) => computeSrc.snapshots.get(srcRg, srcName, { abortSignal: signal }),
  });
  ctx.progress(`Copying the snapshot of disk ${diskName} to ${tgt.region}`);
  await put<Snapshot>(az, ctx, tgt, `copy-snapshot:${diskName}`, {
    action: ACTION.snapshot('write'),
    intent: { name: tgtName, resourceGroup: tgtRg, sourceSnapshotId: source.id, createOption: 'CopyStart' },
    start: (o) => computeTgt.snapshots.createOrUpdate(tgtRg, tgtName, { location: tgt.region, incremental: true, creationData: { createOption: 'CopyStart', sourceResourceId: source.id }, tags }, o),
    restore: (state, o) => restoreComputePoller(computeTgt, state, computeTgt.snapshots.createOrUpdate, o),
    get: (signal) => computeTgt.snapshots.get(tgtRg, tgtName, { abortSignal: signal }),
  });
  const copied = await waitCopied(az, ctx, tgt, tgtName);
  return {
    role: ref.role,
    lun: ref.lun,
    name: diskName,
    id: disk.id ?? '',
    sizeGB: disk.diskSizeGB ?? null,
    sku: str(disk.sku?.name),
    caching: ref.caching,
    osType: str(disk.osType),
    tags: tagsOf(disk.tags),
    snapshotId: copied.id ?? '',
    sourceSnapshotId: source.id,
  };
}

// ---- target resources ------------------------------------------------------------------------------

interface Made {
  id: string;
  name: string;
}

/** One managed disk from a snapshot (createOption Copy), in the target group, zone and SKU of the point. */
async function diskFromSnapshot(az: AzureContext, ctx: StepContext, opKey: string, d: DiskCapT, name: string, zones: string[], tags: Record<string, string>): Promise<Made> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const compute = az.compute(env);
  const body: Disk = {
    location: env.region,
    ...(zones.length ? { zones } : {}),
    ...(d.sku ? { sku: { name: d.sku as never } } : {}),
    ...(d.osType ? { osType: d.osType as never } : {}),
    creationData: { createOption: 'Copy', sourceResourceId: d.snapshotId },
    tags,
  };
  return put<Disk>(az, ctx, env, opKey, {
    action: ACTION.disk('write'),
    intent: { name, resourceGroup, snapshotId: d.snapshotId },
    start: (o) => compute.disks.createOrUpdate(resourceGroup, name, body, o),
    restore: (state, o) => restoreComputePoller(compute, state, compute.disks.createOrUpdate, o),
    get: (signal) => compute.disks.get(resourceGroup, name, { abortSignal: signal }),
  });
}

async function compareDisk(az: AzureContext, ctx: StepContext, d: DiskCapT, made: Made, vmLabel: string): Promise<void> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const disk = await az.read(ctx, env, ACTION.disk('read'), (signal) => az.compute(env).disks.get(resourceGroup, made.name, { abortSignal: signal }));
  if ((disk.creationData?.sourceResourceId ?? '').toLowerCase() !== d.snapshotId.toLowerCase()) {
    throw new ProviderFailure('Conflict', `Disk ${made.name} of virtual machine ${vmLabel} already exists in ${resourceGroup} made from ${disk.creationData?.sourceResourceId ?? 'another source'}, not from the recovery point's snapshot: delete it or pick that point, then retry.`);
  }
  if (d.sizeGB !== null && disk.diskSizeGB !== undefined && disk.diskSizeGB < d.sizeGB) ctx.warn?.(`Disk ${made.name} of virtual machine ${vmLabel} is ${disk.diskSizeGB} GiB, not ${d.sizeGB} GiB as in the recovery point.`);
  if (d.sku && disk.sku?.name && disk.sku.name !== d.sku) ctx.warn?.(`Disk ${made.name} of virtual machine ${vmLabel} is ${disk.sku.name}, not ${d.sku} as in the recovery point.`);
}

function vmBody(cap: AzureVmCapture, env: EnvRef, disks: Map<string, Made>, nics: Made[], tags: Record<string, string>): VirtualMachine {
  const os = cap.disks.find((d) => d.role === 'os')!;
  const osMade = disks.get(os.name)!;
  return {
    location: env.region,
    ...(cap.zones.length ? { zones: cap.zones } : {}),
    tags,
    hardwareProfile: { vmSize: cap.vmSize as never },
    storageProfile: {
      osDisk: { createOption: 'Attach', name: osMade.name, managedDisk: { id: osMade.id }, ...(os.osType ? { osType: os.osType as never } : {}), ...(os.caching ? { caching: os.caching as never } : {}) },
      dataDisks: cap.disks
        .filter((d) => d.role === 'data')
        .map((d) => ({ lun: d.lun ?? 0, createOption: 'Attach' as const, name: disks.get(d.name)!.name, managedDisk: { id: disks.get(d.name)!.id }, ...(d.caching ? { caching: d.caching as never } : {}) })),
    },
    networkProfile: { networkInterfaces: nics.map((n, i) => ({ id: n.id, primary: i === 0 })) },
  };
}

async function createVm(az: AzureContext, ctx: StepContext, opKey: string, name: string, body: VirtualMachine): Promise<Made> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const compute = az.compute(env);
  return put<VirtualMachine>(az, ctx, env, opKey, {
    action: ACTION.vm('write'),
    intent: { name, resourceGroup, vmSize: body.hardwareProfile?.vmSize ?? null, osDiskId: body.storageProfile?.osDisk?.managedDisk?.id ?? null },
    start: (o) => compute.virtualMachines.createOrUpdate(resourceGroup, name, body, o),
    restore: (state, o) => restoreComputePoller(compute, state, compute.virtualMachines.createOrUpdate, o),
    get: (signal) => compute.virtualMachines.get(resourceGroup, name, { abortSignal: signal }),
  });
}

/** Reads the made VM back and says what of the point it does not carry. */
async function compareVm(az: AzureContext, ctx: StepContext, cap: AzureVmCapture, made: Made, expected: { disks: Map<string, Made>; nics: Made[]; tags: Record<string, string> }): Promise<VirtualMachine> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const vm = await az.read(ctx, env, ACTION.vm('read'), (signal) => az.compute(env).virtualMachines.get(resourceGroup, made.name, { abortSignal: signal }));
  const label = made.name;
  if (vm.provisioningState && vm.provisioningState !== 'Succeeded') throw new ProviderFailure('ProviderError', `Virtual machine ${label} is ${vm.provisioningState} in ${env.region} after its creation finished.`);
  if (vm.hardwareProfile?.vmSize !== cap.vmSize) ctx.warn?.(`Virtual machine ${label} runs as ${vm.hardwareProfile?.vmSize ?? 'an unknown size'}, not ${cap.vmSize} as in the recovery point.`);
  const zones = [...(vm.zones ?? [])].sort().join(',');
  if (zones !== [...cap.zones].sort().join(',')) ctx.warn?.(`Virtual machine ${label} is in zone ${zones || 'none'}, not ${cap.zones.join(',') || 'none'} as in the recovery point.`);
  const attached = new Set(diskRefs(vm).map((d) => d.id.toLowerCase()));
  for (const [src, d] of expected.disks) if (!attached.has(d.id.toLowerCase())) throw new ProviderFailure('ProviderError', `Virtual machine ${label} came up without disk ${d.name} (from ${src}).`);
  const nicIds = new Set((vm.networkProfile?.networkInterfaces ?? []).map((n) => (n.id ?? '').toLowerCase()));
  for (const n of expected.nics) if (!nicIds.has(n.id.toLowerCase())) throw new ProviderFailure('ProviderError', `Virtual machine ${label} came up without network interface ${n.name}.`);
  const missing = Object.entries(expected.tags).filter(([k, v]) => vm.tags?.[k] !== v).map(([k]) => k);
  if (missing.length) ctx.warn?.(`Virtual machine ${label} lacks the tag${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of the recovery point.`);
  return vm;
}

/** The virtual network of the point in the target: reused when it exists (subnets added when missing), else made. */
async function ensureVnet(az: AzureContext, ctx: StepContext, v: VnetCapT, name: string, neededSubnets: Set<string>, tags: Record<string, string>, nsgIds: Map<string, string>, opts: { test: boolean }): Promise<{ made: Made; reused: boolean; subnetIds: Map<string, string> }> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const net = az.network(env);
  const existing = await az.lookup(ctx, env, ACTION.vnet('read'), (signal) => net.virtualNetworks.get(resourceGroup, name, { abortSignal: signal }));
  const subnetsOf = (vn: VirtualNetwork) => new Map((vn.subnets ?? []).map((s) => [s.name ?? '', s.id ?? ''] as const));
  const subnetBody = (s: VnetCapT['subnets'][number]): Subnet => ({
    name: s.name,
    ...(s.addressPrefix ? { addressPrefix: s.addressPrefix } : {}),
    ...(s.addressPrefixes.length ? { addressPrefixes: s.addressPrefixes } : {}),
    ...(!opts.test && s.nsg && nsgIds.get(s.nsg) ? { networkSecurityGroup: { id: nsgIds.get(s.nsg)! } } : {}),
  });
  // Ours when this job made it (its dr:job tag): a replayed step must not call its own network "reused".
  const ours = existing?.tags?.[DR_TAG.job] === ctx.jobId;
  if (existing && !ours) {
    const subnetIds = subnetsOf(existing);
    for (const s of v.subnets.filter((x) => neededSubnets.has(x.name) && !subnetIds.has(x.name))) {
      ctx.progress(`Adding subnet ${s.name} to virtual network ${name}`);
      const made = await put<Subnet>(az, ctx, env, `subnet:${name}/${s.name}`, {
        action: ACTION.subnet('write'),
        intent: { vnet: name, name: s.name, resourceGroup, addressPrefix: s.addressPrefix },
        start: (o) => net.subnets.createOrUpdate(resourceGroup, name, s.name, subnetBody(s), o),
        restore: (state, o) => restoreNetworkPoller(net, state, net.subnets.createOrUpdate, o),
        get: (signal) => net.subnets.get(resourceGroup, name, s.name, { abortSignal: signal }),
      });
      subnetIds.set(s.name, made.id);
    }
    const prefixes = existing.addressSpace?.addressPrefixes ?? [];
    const absent = v.addressPrefixes.filter((p) => !prefixes.includes(p));
    if (absent.length) ctx.warn?.(`Virtual network ${name} in ${env.region} already exists without the address space ${absent.join(', ')} of the recovery point; it was reused as it is.`);
    return { made: { id: existing.id ?? '', name }, reused: true, subnetIds };
  }
  ctx.progress(`Creating virtual network ${name} in ${env.region}`);
  const made = await put<VirtualNetwork>(az, ctx, env, `${opts.test ? 'test-' : ''}vnet:${v.name}`, {
    action: ACTION.vnet('write'),
    intent: { name, resourceGroup, addressPrefixes: v.addressPrefixes },
    start: (o) => net.virtualNetworks.createOrUpdate(resourceGroup, name, { location: env.region, addressSpace: { addressPrefixes: v.addressPrefixes }, subnets: v.subnets.map(subnetBody), tags }, o),
    restore: (state, o) => restoreNetworkPoller(net, state, net.virtualNetworks.createOrUpdate, o),
    get: (signal) => net.virtualNetworks.get(resourceGroup, name, { abortSignal: signal }),
  });
  const back = await az.read(ctx, env, ACTION.vnet('read'), (signal) => net.virtualNetworks.get(resourceGroup, name, { abortSignal: signal }));
  const subnetIds = subnetsOf(back);
  for (const s of neededSubnets) if (!subnetIds.has(s)) throw new ProviderFailure('ProviderError', `Virtual network ${name} came up without subnet ${s}.`);
  return { made, reused: false, subnetIds };
}

async function ensureNsg(az: AzureContext, ctx: StepContext, g: AzureVmCapture['nsgs'][number], tags: Record<string, string>): Promise<Made> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const net = az.network(env);
  const rules: SecurityRule[] = g.rules.map((r) => ({
    name: r.name,
    priority: r.priority,
    direction: r.direction as never,
    access: r.access as never,
    protocol: r.protocol as never,
    ...(r.sourceAddressPrefix ? { sourceAddressPrefix: r.sourceAddressPrefix } : {}),
    ...(r.sourcePortRange ? { sourcePortRange: r.sourcePortRange } : {}),
    ...(r.destinationAddressPrefix ? { destinationAddressPrefix: r.destinationAddressPrefix } : {}),
    ...(r.destinationPortRange ? { destinationPortRange: r.destinationPortRange } : {}),
    ...(r.description ? { description: r.description } : {}),
  }));
  ctx.progress(`Creating network security group ${g.name}`);
  const made = await put<NetworkSecurityGroup>(az, ctx, env, `nsg:${g.name}`, {
    action: ACTION.nsg('write'),
    intent: { name: g.name, resourceGroup, rules: g.rules.length },
    start: (o) => net.networkSecurityGroups.createOrUpdate(resourceGroup, g.name, { location: env.region, securityRules: rules, tags }, o),
    restore: (state, o) => restoreNetworkPoller(net, state, net.networkSecurityGroups.createOrUpdate, o),
    get: (signal) => net.networkSecurityGroups.get(resourceGroup, g.name, { abortSignal: signal }),
  });
  const back = await az.read(ctx, env, ACTION.nsg('read'), (signal) => net.networkSecurityGroups.get(resourceGroup, g.name, { abortSignal: signal }));
  const have = new Set((back.securityRules ?? []).map((r) => r.name));
  const lost = g.rules.filter((r) => !have.has(r.name)).map((r) => r.name);
  if (lost.length) ctx.warn?.(`Network security group ${g.name} lacks the rule${lost.length === 1 ? '' : 's'} ${lost.join(', ')} of the recovery point.`);
  return made;
}

async function ensurePublicIp(az: AzureContext, ctx: StepContext, p: AzureVmCapture['publicIps'][number], tags: Record<string, string>): Promise<Made> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const net = az.network(env);
  const body: PublicIPAddress = {
    location: env.region,
    ...(p.sku ? { sku: { name: p.sku as never, ...(p.tier ? { tier: p.tier as never } : {}) } } : {}),
    ...(p.allocation ? { publicIPAllocationMethod: p.allocation as never } : {}),
    ...(p.version ? { publicIPAddressVersion: p.version as never } : {}),
    ...(p.zones.length ? { zones: p.zones } : {}),
    tags,
  };
  ctx.progress(`Creating public IP address ${p.name}`);
  return put<PublicIPAddress>(az, ctx, env, `public-ip:${p.name}`, {
    action: ACTION.pip('write'),
    intent: { name: p.name, resourceGroup, sku: p.sku },
    start: (o) => net.publicIPAddresses.createOrUpdate(resourceGroup, p.name, body, o),
    restore: (state, o) => restoreNetworkPoller(net, state, net.publicIPAddresses.createOrUpdate, o),
    get: (signal) => net.publicIPAddresses.get(resourceGroup, p.name, { abortSignal: signal }),
  });
}

async function ensureNic(
  az: AzureContext,
  ctx: StepContext,
  opKey: string,
  n: NicCapT,
  name: string,
  refs: { subnetIds: Map<string, string>; publicIpIds: Map<string, string>; nsgIds: Map<string, string>; keepStaticIp: boolean },
  tags: Record<string, string>,
): Promise<Made> {
  const env = ctx.target;
  const { resourceGroup } = armScopeOf(env);
  const net = az.network(env);
  const body: NetworkInterface = {
    location: env.region,
    tags,
    ...(n.acceleratedNetworking ? { enableAcceleratedNetworking: true } : {}),
    ...(n.ipForwarding ? { enableIPForwarding: true } : {}),
    ...(n.nsg && refs.nsgIds.get(n.nsg) ? { networkSecurityGroup: { id: refs.nsgIds.get(n.nsg)! } } : {}),
    ipConfigurations: n.ipConfigs.map((ip) => {
      const subnetId = refs.subnetIds.get(`${ip.vnet}/${ip.subnet}`);
      if (!subnetId) throw new ProviderFailure('ProviderError', `Subnet ${ip.subnet} of virtual network ${ip.vnet} is missing in ${env.region}, so network interface ${name} cannot be made.`);
      const pip = ip.publicIp ? refs.publicIpIds.get(ip.publicIp) : undefined;
      const keepStatic = refs.keepStaticIp && ip.privateIPAllocationMethod === 'Static' && ip.privateIPAddress;
      return {
        name: ip.name,
        primary: ip.primary,
        subnet: { id: subnetId },
        privateIPAllocationMethod: keepStatic ? 'Static' : 'Dynamic',
        ...(keepStatic ? { privateIPAddress: ip.privateIPAddress! } : {}),
        ...(pip ? { publicIPAddress: { id: pip } } : {}),
      };
    }),
  };
  ctx.progress(`Creating network interface ${name}`);
  const made = await put<NetworkInterface>(az, ctx, env, opKey, {
    action: ACTION.nic('write'),
    intent: { name, resourceGroup, subnets: n.ipConfigs.map((i) => `${i.vnet}/${i.subnet}`) },
    start: (o) => net.networkInterfaces.createOrUpdate(resourceGroup, name, body, o),
    restore: (state, o) => restoreNetworkPoller(net, state, net.networkInterfaces.createOrUpdate, o),
    get: (signal) => net.networkInterfaces.get(resourceGroup, name, { abortSignal: signal }),
  });
  const back = await az.read(ctx, env, ACTION.nic('read'), (signal) => net.networkInterfaces.get(resourceGroup, name, { abortSignal: signal }));
  for (const ip of n.ipConfigs) {
    const got = back.ipConfigurations?.find((c) => c.name === ip.name);
    if (!got) throw new ProviderFailure('ProviderError', `Network interface ${name} came up without IP configuration ${ip.name}.`);
    if (refs.keepStaticIp && ip.privateIPAllocationMethod === 'Static' && got.privateIPAddress !== ip.privateIPAddress) {
      ctx.warn?.(`Network interface ${name} has private IP ${got.privateIPAddress ?? 'none'}, not the static ${ip.privateIPAddress ?? ''} of the recovery point.`);
    }
    if (ip.publicIp && !got.publicIPAddress?.id) ctx.warn?.(`Network interface ${name} has no public IP address; the recovery point has ${ip.publicIp}.`);
  }
  if (n.nsg && !back.networkSecurityGroup?.id && refs.nsgIds.size > 0) ctx.warn?.(`Network interface ${name} has no network security group; the recovery point has ${n.nsg}.`);
  return made;
}

/** The subnets a capture's NICs sit in, per virtual network. */
function neededSubnets(cap: AzureVmCapture): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const n of cap.nics) for (const ip of n.ipConfigs) {
    if (!out.has(ip.vnet)) out.set(ip.vnet, new Set());
    out.get(ip.vnet)!.add(ip.subnet);
  }
  return out;
}

// ---- reset -----------------------------------------------------------------------------------------

const RESET: Record<string, { action: (v: string) => string; what: string }> = {
  VirtualMachine: { action: ACTION.vm, what: 'virtual machine' },
  Disk: { action: ACTION.disk, what: 'disk' },
  NetworkInterface: { action: ACTION.nic, what: 'network interface' },
  VirtualNetwork: { action: ACTION.vnet, what: 'virtual network' },
};

async function resetOne(az: AzureContext, created: CreatedResource, ctx: StepContext): Promise<void> {
  const kind = RESET[created.kind];
  if (!kind) return;
  const env: EnvRef = { ...ctx.target, region: created.region || ctx.target.region };
  const p = parseArmId(created.nativeId);
  if (!p || p.names.length === 0) return;
  const rg = p.resourceGroup;
  const name = p.names[p.names.length - 1]!;
  const compute = az.compute(env);
  const net = az.network(env);
  type Getter = (signal: AbortSignal) => Promise<{ tags?: Record<string, string> }>;
  type Starter = (o: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<void>, void>;
  type Restorer = (state: string, o: ReturnType<AzureContext['pollOptions']>) => PollerLike<OperationState<void>, void>;
  let get: Getter;
  let start: Starter;
  let restore: Restorer;
  switch (created.kind) {
    case 'VirtualMachine':
      get = (s) => compute.virtualMachines.get(rg, name, { abortSignal: s });
      start = (o) => compute.virtualMachines.delete(rg, name, o);
      restore = (state, o) => restoreComputePoller(compute, state, compute.virtualMachines.delete, o);
      break;
    case 'Disk':
      get = (s) => compute.disks.get(rg, name, { abortSignal: s });
      start = (o) => compute.disks.delete(rg, name, o);
      restore = (state, o) => restoreComputePoller(compute, state, compute.disks.delete, o);
      break;
    case 'NetworkInterface':
      get = (s) => net.networkInterfaces.get(rg, name, { abortSignal: s });
      start = (o) => net.networkInterfaces.delete(rg, name, o);
      restore = (state, o) => restoreNetworkPoller(net, state, net.networkInterfaces.delete, o);
      break;
    default:
      get = (s) => net.virtualNetworks.get(rg, name, { abortSignal: s });
      start = (o) => net.virtualNetworks.delete(rg, name, o);
      restore = (state, o) => restoreNetworkPoller(net, state, net.virtualNetworks.delete, o);
  }
  const found = (await az.lookup(ctx, env, kind.action('read'), get)) as { tags?: Record<string, string>; managedBy?: string; virtualMachine?: { id?: string } } | undefined;
  if (!found) return;
  // Reset deletes only what a test failover made: never a production resource of the same name.
  if (found.tags?.[DR_TAG.test] !== 'true') {
    throw new ProviderFailure('PreconditionFailed', `Reset refuses to delete ${kind.what} ${name}: it is not tagged ${DR_TAG.test}=true, so it is not a test failover copy.`);
  }
  // Whatever order the resources come in, what still uses this one goes first when it is a test copy
  // too (ARM refuses to delete an attached disk, a NIC in use, a network with NICs in its subnets).
  const users: CreatedResource[] = [];
  if (created.kind === 'Disk' && found.managedBy) users.push({ kind: 'VirtualMachine', nativeId: found.managedBy, name: nameOfId(found.managedBy) ?? '', region: env.region });
  if (created.kind === 'NetworkInterface' && found.virtualMachine?.id) users.push({ kind: 'VirtualMachine', nativeId: found.virtualMachine.id, name: nameOfId(found.virtualMachine.id) ?? '', region: env.region });
  if (created.kind === 'VirtualNetwork') {
    const inside = `${created.nativeId.toLowerCase()}/subnets/`;
    const nics = await az.list(ctx, env, ACTION.nic('read'), (signal) => net.networkInterfaces.list(rg, { abortSignal: signal }));
    for (const n of nics) {
      if ((n.ipConfigurations ?? []).some((ip) => (ip.subnet?.id ?? '').toLowerCase().startsWith(inside))) users.push({ kind: 'NetworkInterface', nativeId: n.id ?? '', name: n.name ?? '', region: env.region });
    }
  }
  for (const u of users) await resetOne(az, u, ctx);
  ctx.progress(`Deleting test ${kind.what} ${name}`);
  await del(az, ctx, env, `delete:${created.nativeId}`, { action: kind.action('delete'), id: created.nativeId, start, restore, get });
}

// ---- the handler -----------------------------------------------------------------------------------

export function foreseeAzureVm(item: RecoveryPointItemRef): string[] {
  const parsed = VmCap.safeParse(item.metadata);
  if (!parsed.success) return [];
  const cap = parsed.data;
  const out: string[] = [];
  for (const p of cap.publicIps) out.push(`Public IP address ${p.name} gets a new address in the target region; the source's address cannot move between regions.`);
  for (const n of cap.nics) for (const ip of n.ipConfigs) {
    if (ip.privateIPAllocationMethod === 'Static' && ip.privateIPAddress) out.push(`Network interface ${n.name} keeps its static private IP ${ip.privateIPAddress} only if that address is free in the target subnet.`);
  }
  return out;
}

export function createAzureVmHandler(az: AzureContext): ResourceHandler {
  return {
    type: TYPE,
    usesLatestPoint: false,

    discover: (ctx) => discoverVms(az, ctx),

    foresee: (item) => foreseeAzureVm(item),

    async replicate(resource: ProtectedResourceRef, ctx: StepContext): Promise<CapturedItem> {
      const src = ctx.source;
      armScopeOf(ctx.target);
      const vm = await loadVm(az, ctx, src, resource.nativeId, 'remove it from the policy or restore it.');
      const net = captureNetwork(await loadNetwork(az, ctx, src, vm));
      const refs = diskRefs(vm);
      if (!refs.some((r) => r.role === 'os')) throw new ProviderFailure('PreconditionFailed', `Virtual machine ${vm.name ?? resource.name} has no managed OS disk: only VMs on managed disks can be replicated.`);
      const disks: DiskCapT[] = [];
      for (const ref of refs) {
        const p = idParts(ref.id, 'a managed disk');
        const disk = await az.read(ctx, src, ACTION.disk('read'), (signal) => az.compute(src).disks.get(p.resourceGroup, p.name, { abortSignal: signal }));
        disks.push(await snapshotDisk(az, ctx, vm.id ?? resource.nativeId, disk, ref));
      }
      const metadata: AzureVmCapture = {
        kind: TYPE,
        vmId: vm.id ?? resource.nativeId,
        name: vm.name ?? resource.name,
        location: vm.location ?? src.region,
        vmSize: vm.hardwareProfile?.vmSize ?? '',
        zones: vm.zones ?? [],
        tags: tagsOf(vm.tags),
        osType: str(vm.storageProfile?.osDisk?.osType),
        disks,
        ...net,
      };
      return { metadata: { ...metadata }, dataRefs: disks.map((d) => ({ kind: 'Snapshot', id: d.snapshotId, region: ctx.target.region })) };
    },

    async testFailover(item, ctx): Promise<CreatedResource[]> {
      const cap = readCapture(item);
      const env = ctx.target;
      const region = env.region;
      const tags = (purpose: string) => drTagRecord(ctx, { role: 'test', purpose, sourceId: cap.vmId });
      const created: CreatedResource[] = [];
      // An isolated network: a copy of the point's address space under a test name, peered with nothing.
      const subnetIds = new Map<string, string>();
      for (const [vnetName, subnets] of neededSubnets(cap)) {
        const v = cap.vnets.find((x) => x.name === vnetName);
        if (!v) throw new ProviderFailure('PreconditionFailed', `The recovery point of ${cap.name} lacks virtual network ${vnetName}: replicate the VM again.`);
        const name = azureTestName(v.name, ctx);
        const made = await ensureVnet(az, ctx, v, name, subnets, { ...userTags(v.tags), ...tags(`vnet:${v.name}`) }, new Map(), { test: true });
        for (const [s, id] of made.subnetIds) subnetIds.set(`${vnetName}/${s}`, id);
        created.push({ kind: 'VirtualNetwork', nativeId: made.made.id, name, region, sourceId: v.id });
      }
      const disks = new Map<string, Made>();
      for (const d of cap.disks) {
        const name = azureTestName(d.name, ctx, 80);
        ctx.progress(`Creating test disk ${name} from the point's snapshot`);
        const made = await diskFromSnapshot(az, ctx, `test-disk:${d.name}`, d, name, cap.zones, { ...userTags(d.tags), ...tags(`disk:${d.name}`) });
        await compareDisk(az, ctx, d, made, cap.name);
        disks.set(d.name, made);
        created.push({ kind: 'Disk', nativeId: made.id, name, region, sourceId: d.id });
      }
      const nics: Made[] = [];
      for (const n of cap.nics) {
        const name = azureTestName(n.name, ctx, 80);
        const made = await ensureNic(az, ctx, `test-nic:${n.name}`, n, name, { subnetIds, publicIpIds: new Map(), nsgIds: new Map(), keepStaticIp: true }, { ...userTags(n.tags), ...tags(`nic:${n.name}`) });
        nics.push(made);
        created.push({ kind: 'NetworkInterface', nativeId: made.id, name, region, sourceId: n.id });
      }
      const name = azureTestName(cap.name, ctx);
      const vmTags = { ...userTags(cap.tags), ...tags('vm') };
      ctx.progress(`Creating test virtual machine ${name}`);
      const vm = await createVm(az, ctx, 'test-vm', name, vmBody(cap, env, disks, nics, vmTags));
      await compareVm(az, ctx, cap, vm, { disks, nics, tags: userTags(cap.tags) });
      created.push({ kind: 'VirtualMachine', nativeId: vm.id, name, region, sourceId: cap.vmId });
      // Reset deletes in this order (the VM before its NIC and disks, the network last); it also copes with any other.
      return created.reverse();
    },

    reset: (created, ctx) => resetOne(az, created, ctx),

    async failover(item, ctx): Promise<ResourceMappingEntry[]> {
      const cap = readCapture(item);
      const env = ctx.target;
      const tags = (purpose: string, own: Record<string, string>) => ({ ...userTags(own), ...drTagRecord(ctx, { role: 'failover', purpose, sourceId: cap.vmId }) });
      const entries: ResourceMappingEntry[] = [];

      // Disks from the selected point's snapshots, under the source disks' names.
      const disks = new Map<string, Made>();
      for (const d of cap.disks) {
        ctx.progress(`Creating disk ${d.name} from the recovery point's snapshot`);
        const made = await diskFromSnapshot(az, ctx, `disk:${d.name}`, d, d.name, cap.zones, tags(`disk:${d.name}`, d.tags));
        await compareDisk(az, ctx, d, made, cap.name);
        disks.set(d.name, made);
      }

      // NSGs first (subnets and NICs reference them), then the networks, public IPs and NICs.
      const nsgIds = new Map<string, string>();
      const nsgEntries: ResourceMappingEntry[] = [];
      for (const g of cap.nsgs) {
        const made = await ensureNsg(az, ctx, g, tags(`nsg:${g.name}`, g.tags));
        nsgIds.set(g.name, made.id);
        nsgEntries.push({ sourceId: g.id, kind: 'NetworkSecurityGroup', name: g.name, targetId: made.id });
      }
      const subnetIds = new Map<string, string>();
      const vnetEntries: ResourceMappingEntry[] = [];
      for (const [vnetName, subnets] of neededSubnets(cap)) {
        const v = cap.vnets.find((x) => x.name === vnetName);
        if (!v) throw new ProviderFailure('PreconditionFailed', `The recovery point of ${cap.name} lacks virtual network ${vnetName}: replicate the VM again.`);
        const made = await ensureVnet(az, ctx, v, v.name, subnets, tags(`vnet:${v.name}`, v.tags), nsgIds, { test: false });
        for (const [s, id] of made.subnetIds) subnetIds.set(`${vnetName}/${s}`, id);
        vnetEntries.push({ sourceId: v.id, kind: 'VirtualNetwork', name: v.name, targetId: made.made.id, ...(made.reused ? { reused: true } : {}) });
      }
      const publicIpIds = new Map<string, string>();
      const pipEntries: ResourceMappingEntry[] = [];
      for (const p of cap.publicIps) {
        const made = await ensurePublicIp(az, ctx, p, tags(`public-ip:${p.name}`, p.tags));
        publicIpIds.set(p.name, made.id);
        pipEntries.push({ sourceId: p.id, kind: 'PublicIPAddress', name: p.name, targetId: made.id });
      }
      const nics: Made[] = [];
      const nicEntries: ResourceMappingEntry[] = [];
      for (const n of cap.nics) {
        const made = await ensureNic(az, ctx, `nic:${n.name}`, n, n.name, { subnetIds, publicIpIds, nsgIds, keepStaticIp: true }, tags(`nic:${n.name}`, n.tags));
        nics.push(made);
        nicEntries.push({ sourceId: n.id, kind: 'NetworkInterface', name: n.name, targetId: made.id });
      }

      ctx.progress(`Creating virtual machine ${cap.name} in ${env.region}`);
      const vmTags = tags('vm', cap.tags);
      const vm = await createVm(az, ctx, 'vm', cap.name, vmBody(cap, env, disks, nics, vmTags));
      ctx.progress(`Comparing ${cap.name} in ${env.region} with the recovery point`);
      await compareVm(az, ctx, cap, vm, { disks, nics, tags: userTags(cap.tags) });

      // The product document's order: the VM, its disks, NICs, virtual network, public IPs (then NSGs).
      entries.push({ sourceId: cap.vmId, kind: 'VirtualMachine', name: cap.name, targetId: vm.id });
      for (const d of cap.disks) entries.push({ sourceId: d.id, kind: 'Disk', name: d.name, targetId: disks.get(d.name)!.id });
      entries.push(...nicEntries, ...vnetEntries, ...pipEntries, ...nsgEntries);
      return entries;
    },

    async stopReplication(resource, ctx): Promise<void> {
      // The source-region snapshots only fed the copies; the target snapshots stay (recovery data).
      const src = ctx.source;
      const { resourceGroup } = armScopeOf(src);
      const compute = az.compute(src);
      const snaps = await az.list(ctx, src, ACTION.snapshot('read'), (signal) => compute.snapshots.listByResourceGroup(resourceGroup, { abortSignal: signal }));
      const mine = snaps.filter(
        (s) => s.tags?.[DR_TAG.policy] === ctx.policyId && s.tags?.[DR_TAG.role] === 'replication' && s.tags?.[DR_TAG.source] === resource.nativeId.slice(-256) && sameLocation(s.location, src.region),
      );
      for (const s of mine) {
        const name = s.name ?? '';
        await del(az, ctx, src, `delete-source-snapshot:${name}`, {
          action: ACTION.snapshot('delete'),
          id: s.id ?? '',
          start: (o) => compute.snapshots.delete(resourceGroup, name, o),
          restore: (state, o) => restoreComputePoller(compute, state, compute.snapshots.delete, o),
          get: (signal) => compute.snapshots.get(resourceGroup, name, { abortSignal: signal }),
        });
      }
    },
  };
}
