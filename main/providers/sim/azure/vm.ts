// Azure virtual machine on the sim provider: failover creates the VM with its disks (from the
// recovery point's snapshots), network interface, virtual network and public IP in the target.

import type { ComputeTypeSpec } from '../compute-family';
import { azureId } from '../naming';

interface AzureDisk {
  id: string;
  name: string;
  role: 'os' | 'data';
  lun?: number;
  sizeGb: number;
  sku: string;
}
interface AzureVmSettings {
  size: string;
  osType: string;
  image: string;
  zone: string;
  bootDiagnostics: boolean;
  disks: AzureDisk[];
  networkInterface: { id: string; name: string; privateIp: string; acceleratedNetworking: boolean };
  networkSecurityRules: { name: string; priority: number; port: number; source: string; access: string }[];
  virtualNetwork: { id: string; name: string; addressSpace: string; subnet: string };
  publicIp: { id: string; name: string; sku: string; allocation: string } | null;
}

const SIZES = ['Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_E4s_v5', 'Standard_F4s_v2'] as const;
const DISK_SKUS = ['Premium_LRS', 'StandardSSD_LRS', 'Premium_ZRS'] as const;

export const azureVm: ComputeTypeSpec = {
  family: 'compute',
  type: 'azure.vm',
  linkKind: 'SnapshotCopySchedule',
  settings: [
    'size',
    'osType',
    'image',
    'zone',
    'bootDiagnostics',
    'disks',
    'networkInterface',
    'networkSecurityRules',
    'virtualNetwork',
    'publicIp',
  ],
  inventory: {
    count: [3, 4],
    make(g) {
      const name = g.name(['web-01', 'web-02', 'app-01', 'api-01', 'batch-01', 'jump-01', 'reports-01']);
      const id = (path: string) => azureId(g.env, 'inventory', path);
      const vnet = g.shared('azure.vnet', () => {
        const vnetName = `vnet-prod-${g.env.region}`;
        return {
          id: id(`Microsoft.Network/virtualNetworks/${vnetName}`),
          name: vnetName,
          addressSpace: '10.20.0.0/16',
          subnet: 'snet-app',
        };
      });
      const osDisk = `${name}_OsDisk_1_${g.pick.hex(32)}`;
      const disks: AzureDisk[] = [
        { id: id(`Microsoft.Compute/disks/${osDisk}`), name: osDisk, role: 'os', sizeGb: g.pick.pick([30, 64, 128]), sku: g.pick.pick(DISK_SKUS) },
      ];
      const dataDisks = g.pick.int(0, 2);
      for (let lun = 0; lun < dataDisks; lun++) {
        const d = `${name}_DataDisk_${lun}`;
        disks.push({ id: id(`Microsoft.Compute/disks/${d}`), name: d, role: 'data', lun, sizeGb: g.pick.pick([128, 256, 512, 1024]), sku: g.pick.pick(DISK_SKUS) });
      }
      const nicName = `${name}${g.pick.digits(3)}_z1`;
      const facing = /^(web|api|jump)/.test(name);
      const settings: AzureVmSettings = {
        size: g.pick.pick(SIZES),
        osType: name.startsWith('reports') ? 'Windows' : 'Linux',
        image: name.startsWith('reports')
          ? 'MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest'
          : 'Canonical:ubuntu-24_04-lts:server:latest',
        zone: String(g.pick.int(1, 3)),
        bootDiagnostics: g.pick.chance(0.7),
        disks,
        networkInterface: {
          id: id(`Microsoft.Network/networkInterfaces/${nicName}`),
          name: nicName,
          privateIp: `10.20.1.${g.pick.int(4, 250)}`,
          acceleratedNetworking: g.pick.chance(0.5),
        },
        networkSecurityRules: name.startsWith('jump')
          ? [{ name: 'allow-ssh-admin', priority: 100, port: 22, source: '203.0.113.0/24', access: 'Allow' }]
          : facing
            ? [
                { name: 'allow-https', priority: 100, port: 443, source: 'Internet', access: 'Allow' },
                { name: 'allow-http', priority: 110, port: 80, source: 'Internet', access: 'Allow' },
              ]
            : [{ name: 'allow-vnet-8080', priority: 200, port: 8080, source: 'VirtualNetwork', access: 'Allow' }],
        virtualNetwork: vnet,
        publicIp: facing
          ? { id: id(`Microsoft.Network/publicIPAddresses/${name}-ip`), name: `${name}-ip`, sku: 'Standard', allocation: 'Static' }
          : null,
      };
      return {
        kind: 'VirtualMachine',
        name,
        nativeId: id(`Microsoft.Compute/virtualMachines/${name}`),
        tags: g.tags(name.replace(/-\d+$/, '')),
        attributes: { ...settings },
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as AzureVmSettings;
      return `${s.size}, ${s.disks.length} disk${s.disks.length === 1 ? '' : 's'}${s.publicIp ? ', public IP' : ''}`;
    },
  },
  volumes: (s) => (s as unknown as AzureVmSettings).disks.map((d) => ({ id: d.id, name: d.name, sizeGb: d.sizeGb })),
  snapshot(vol, target, _token, pointTag) {
    const name = `${vol.name}-rp-${pointTag}`;
    return { name, nativeId: azureId(target, 'dr', `Microsoft.Compute/snapshots/${name}`) };
  },
  plan(meta, p) {
    const s = meta.settings as unknown as AzureVmSettings;
    const id = (path: string) => azureId(p.target, 'dr', path);
    const vnetName = p.name(s.virtualNetwork.name);
    const vnetId = id(`Microsoft.Network/virtualNetworks/${vnetName}`);
    const pipName = s.publicIp ? p.name(s.publicIp.name) : null;
    const pipId = pipName ? id(`Microsoft.Network/publicIPAddresses/${pipName}`) : null;
    const nicName = p.name(s.networkInterface.name);
    const nicId = id(`Microsoft.Network/networkInterfaces/${nicName}`);
    const disks = s.disks.map((d) => {
      const name = p.name(d.name);
      return {
        kind: 'Disk',
        name,
        nativeId: id(`Microsoft.Compute/disks/${name}`),
        sourceId: d.id,
        attributes: { role: d.role, lun: d.lun ?? null, sizeGb: d.sizeGb, sku: d.sku, zone: s.zone, createdFromSnapshot: p.snapshotOf(d.id) },
        rank: 1,
      };
    });
    const vmName = p.name(meta.name);
    return [
      {
        kind: 'VirtualNetwork',
        name: vnetName,
        nativeId: vnetId,
        sourceId: s.virtualNetwork.id,
        attributes: { addressSpace: s.virtualNetwork.addressSpace, subnets: [s.virtualNetwork.subnet] },
        share: 'network' as const,
        rank: 3,
      },
      ...(s.publicIp && pipName && pipId
        ? [
            {
              kind: 'PublicIPAddress',
              name: pipName,
              nativeId: pipId,
              sourceId: s.publicIp.id,
              attributes: { sku: s.publicIp.sku, allocation: s.publicIp.allocation },
              rank: 4,
            },
          ]
        : []),
      {
        kind: 'NetworkInterface',
        name: nicName,
        nativeId: nicId,
        sourceId: s.networkInterface.id,
        attributes: {
          privateIp: s.networkInterface.privateIp,
          acceleratedNetworking: s.networkInterface.acceleratedNetworking,
          subnetId: `${vnetId}/subnets/${s.virtualNetwork.subnet}`,
          publicIpId: pipId,
          securityRules: s.networkSecurityRules,
        },
        rank: 2,
      },
      ...disks,
      {
        kind: 'VirtualMachine',
        name: vmName,
        nativeId: id(`Microsoft.Compute/virtualMachines/${vmName}`),
        sourceId: meta.sourceId,
        attributes: {
          size: s.size,
          osType: s.osType,
          image: s.image,
          zone: s.zone,
          bootDiagnostics: s.bootDiagnostics,
          osDiskId: disks.find((d) => d.attributes.role === 'os')?.nativeId ?? null,
          dataDiskIds: disks.filter((d) => d.attributes.role === 'data').map((d) => d.nativeId),
          networkInterfaceIds: [nicId],
        },
        rank: 0,
      },
    ];
  },
};
