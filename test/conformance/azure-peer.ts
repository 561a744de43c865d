// The Azure provider's conformance peer: a fresh ARM peer (test/peers/azure-arm) per world, driven
// only through the real @azure/arm-* clients, and the identity peer (oauth2-mock-server over HTTPS)
// issuing the service principal's tokens through MSAL. One seeded resource per type in the source
// resource group; a census of everything else the peer holds (what the console could have made).
// Each world's responses are held to the peer's contract table when it closes.
//
// Other Azure types add a row to AZURE_SEEDS (how a customer would have one) and their type to the
// `types` of the runner (azure.conformance.test.ts).

import { createServer, type Socket } from 'node:net';
import type { ResourceTypeId } from '../../shared/catalog';
import { createAzureProvider } from '../../main/providers/azure';
import type { EnvRef, ResolvedAccount } from '../../main/providers/types';
import { checkResponse } from '../peers/azure-arm/contract';
import { peerClients, peerProviderOptions, type PeerClients } from '../peers/azure-arm/sdk';
import { startArmPeer, type ArmPeer } from '../peers/azure-arm/server';
import type { IdentityPeer } from '../peers/identity';
import type { AzuritePeer } from '../peers/azurite';
import type { ConformancePeer, ConformanceWorld } from './adapter-conformance';
import { FLEX_AKS_TYPES, seedFlexAks } from './azure-flex-rows';

export const SOURCE_LOCATION = 'westeurope';
export const TARGET_LOCATION = 'northeurope';
export const SOURCE_RG = 'dr-source';
export const TARGET_RG = 'dr-target';
/** Fixed, so ARM ids (and the dr:source tags holding them) are the same in every world. */
export const SUBSCRIPTION = '5f0e2a6c-0000-4000-8000-00000000c0f0';
/** The service principal's secret: long and distinctive so a leak into a sentence is caught. */
export const SP_SECRET = 'azure-sp-secret-Hq7~Rz2.Kv9Lm4Xw8Tb3Nc6P';

export function azureAccount(): ResolvedAccount {
  return {
    id: 'acct-conf-azure',
    name: 'Conformance Azure',
    provider: 'azure',
    cloud: 'azure',
    credentials: { kind: 'azure-service-principal', tenantId: '7a1d3c2e-0000-4000-8000-0000000000aa', clientId: '0c9b8a7d-0000-4000-8000-0000000000bb', clientSecret: SP_SECRET },
  };
}

export const azureEnv = (account: ResolvedAccount, location: string, resourceGroup: string, subscriptionId = SUBSCRIPTION): EnvRef => ({
  environmentId: `env-conf-${location}`,
  account,
  region: location,
  scope: { cloud: 'azure', location, subscriptionId, resourceGroup },
});

const FAST = { updateIntervalInMs: 5 } as const;

/** What a seed may use besides the ARM clients: the blob data plane, when the world has Azurite. */
export interface SeedContext {
  azurite: AzuritePeer | null;
}

/** How a customer would have one resource of a type in the source group. */
export type AzureSeed = (c: PeerClients, world: SeedContext) => Promise<{ nativeId: string; name: string }>;

/** A VM with an OS and a data disk, a NIC in vnet01/default with a public IP and an NSG, and tags. */
export async function seedVm(c: PeerClients, name = 'vm01'): Promise<{ nativeId: string; name: string }> {
  const rg = SOURCE_RG;
  const loc = SOURCE_LOCATION;
  const nsg = await c.network.networkSecurityGroups.createOrUpdate(
    rg,
    `${name}-nsg`,
    { location: loc, tags: { team: 'payments' }, securityRules: [{ name: 'ssh', priority: 300, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '22' }] },
    FAST,
  );
  const vnet = await c.network.virtualNetworks.createOrUpdate(rg, 'vnet01', { location: loc, addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }], tags: { team: 'payments' } }, FAST);
  const pip = await c.network.publicIPAddresses.createOrUpdate(rg, `${name}-ip`, { location: loc, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', tags: { team: 'payments' } }, FAST);
  const nic = await c.network.networkInterfaces.createOrUpdate(
    rg,
    `${name}898_z1`,
    { location: loc, networkSecurityGroup: { id: nsg.id! }, ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0]!.id! }, publicIPAddress: { id: pip.id! } }], tags: { team: 'payments' } },
    FAST,
  );
  const vm = await c.compute.virtualMachines.createOrUpdate(
    rg,
    name,
    {
      location: loc,
      tags: { team: 'payments', env: 'prod' },
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        // Named, so the target's disks (the same names) are the same in every world.
        osDisk: { name: `${name}_OsDisk_1`, createOption: 'FromImage', caching: 'ReadWrite', managedDisk: { storageAccountType: 'Premium_LRS' } },
        dataDisks: [{ lun: 0, name: `${name}_DataDisk_0`, createOption: 'Empty', diskSizeGB: 64, managedDisk: { storageAccountType: 'Premium_LRS' } }],
      },
      osProfile: { computerName: name, adminUsername: 'azureuser', adminPassword: 'Seed-Password-1!' },
      networkProfile: { networkInterfaces: [{ id: nic.id!, primary: true }] },
    },
    FAST,
  );
  return { nativeId: vm.id!, name };
}

/** A SQL server with one tagged database (S1, 250 GB max size). */
export async function seedSqlDatabase(c: PeerClients): Promise<{ nativeId: string; name: string }> {
  await c.sql.servers.beginCreateOrUpdateAndWait(SOURCE_RG, 'sql-prod-01', { location: SOURCE_LOCATION, administratorLogin: 'dba', administratorLoginPassword: 'Seed-Password-1!', tags: { team: 'orders' } }, FAST);
  const db = await c.sql.databases.beginCreateOrUpdateAndWait(
    SOURCE_RG,
    'sql-prod-01',
    'orders',
    { location: SOURCE_LOCATION, sku: { name: 'S1', tier: 'Standard' }, maxSizeBytes: 268435456000, tags: { team: 'orders', env: 'prod' } },
    FAST,
  );
  return { nativeId: db.id!, name: 'orders' };
}

/** A StorageV2 account with firewall rules and tags, and (on Azurite, its blob data plane) a container with a blob. */
export async function seedStorageAccount(c: PeerClients, world: SeedContext): Promise<{ nativeId: string; name: string }> {
  if (!world.azurite) throw new Error('the storage account seed needs Azurite as the blob data plane');
  const name = 'stbilling01';
  const acct = await c.storage.storageAccounts.create(
    SOURCE_RG,
    name,
    { location: SOURCE_LOCATION, sku: { name: 'Standard_GRS' }, kind: 'StorageV2', accessTier: 'Hot', minimumTlsVersion: 'TLS1_2', networkRuleSet: { defaultAction: 'Deny', ipRules: [{ iPAddressOrRange: '203.0.113.0/24' }] }, tags: { team: 'billing' } },
    FAST,
  );
  const invoices = world.azurite.client(name).getContainerClient('invoices');
  await invoices.createIfNotExists();
  await invoices.getBlockBlobClient('2030/inv-0001.json').uploadData(Buffer.from('{"total":42}'));
  return { nativeId: acct.id!, name };
}

/** One seed per type; other helpers add theirs. */
export const AZURE_SEEDS: Partial<Record<ResourceTypeId, AzureSeed>> = {
  'azure.vm': (c) => seedVm(c),
  'azure.sql-database': (c) => seedSqlDatabase(c),
  'azure.storage-account': (c, world) => seedStorageAccount(c, world),
  ...Object.fromEntries(FLEX_AKS_TYPES.map((t) => [t, (c: PeerClients) => seedFlexAks(c, t, { group: SOURCE_RG, location: SOURCE_LOCATION })])),
};

/** Resources whose names the provider picks at random (replication-link and object-replication policy ids). */
const RANDOM_NAMES = new Set(['microsoft.sql/servers/databases/replicationlinks', 'microsoft.storage/storageaccounts/objectreplicationpolicies']);

/** Stable lines for what a peer holds outside `except` (type, name, location, tags). */
export function censusLines(peer: ArmPeer, except: ReadonlySet<string>): string[] {
  return peer
    .list()
    .filter((r) => !except.has(r.id.toLowerCase()))
    .map((r) => {
      const tags = Object.entries((r.tags as Record<string, string> | undefined) ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .sort()
        .join(',');
      // A provider-picked id tells nothing about duplicates: the count of lines does.
      const name = RANDOM_NAMES.has(r.type.toLowerCase()) ? `${r.id.split('/').slice(-3, -2)[0]}/*` : r.name;
      return `${r.type}|${name}|${String(r.location ?? '')}|${tags}`;
    })
    .sort();
}

/** Everything the peer answered that breaks its contract table (empty when all holds). */
export function contractProblems(peer: ArmPeer): string[] {
  return peer.responses.flatMap((r) => checkResponse(r));
}

/** A loopback server that accepts connections and never answers. */
async function blackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** Provider options for a world: the ARM peer over http, tokens from the identity peer through MSAL. */
export function worldProviderOptions(arm: ArmPeer, idp: IdentityPeer | null) {
  const base = peerProviderOptions(arm);
  if (!idp) return base;
  const { authPolicy: _static, ...rest } = base;
  return { ...rest, bearerOverHttp: true, customAuthority: { authority: idp.url, knownAuthorities: [idp.host] } };
}

/** Opens a world: a fresh ARM peer with the two resource groups, and the provider pointed at it. */
export async function openAzureWorld(idp: IdentityPeer | null, azurite: AzuritePeer | null = null): Promise<ConformanceWorld & { arm: ArmPeer; clients: PeerClients }> {
  // Storage accounts get their blob endpoints and keys from Azurite's accounts (by name, the same in every world).
  const arm = await startArmPeer({ subscriptionIds: [SUBSCRIPTION], ...(azurite ? { blobDataPlane: (name: string) => azurite.dataPlane(name) } : {}) });
  const c = peerClients(arm);
  await c.resources.resourceGroups.createOrUpdate(SOURCE_RG, { location: SOURCE_LOCATION });
  await c.resources.resourceGroups.createOrUpdate(TARGET_RG, { location: TARGET_LOCATION });
  const account = azureAccount();
  const adapter = createAzureProvider(worldProviderOptions(arm, idp));
  const seeded = new Map<ResourceTypeId, { nativeId: string; name: string }>();
  let seededIds = new Set<string>();
  return {
    arm,
    clients: c,
    adapter,
    source: azureEnv(account, SOURCE_LOCATION, SOURCE_RG),
    target: azureEnv(account, TARGET_LOCATION, TARGET_RG),
    async protect(type) {
      let s = seeded.get(type);
      if (!s) {
        const seed = AZURE_SEEDS[type];
        if (!seed) throw new Error(`no Azure seed for ${type}`);
        seeded.set(type, (s = await seed(c, { azurite })));
        // What the seed made (the VM's own disks included) is the customer's, not the console's.
        seededIds = new Set(arm.list().map((r) => r.id.toLowerCase()));
      }
      return { id: `pr-${type}`, policyId: 'pol-conformance', type, nativeId: s.nativeId, name: s.name };
    },
    census: () => Promise.resolve(censusLines(arm, seededIds)),
    iamCensus: () => Promise.resolve([]),
    async close() {
      await adapter.dispose();
      const problems = contractProblems(arm);
      await arm.close();
      if (problems.length) throw new Error(`The ARM peer broke its contract table:\n${problems.slice(0, 20).join('\n')}`);
    },
  };
}

export function azurePeer(types: readonly ResourceTypeId[], idp: () => IdentityPeer | null, azurite: () => AzuritePeer | null = () => null, extra: Partial<ConformancePeer> = {}): ConformancePeer {
  return {
    name: 'azure (ARM peer + identity peer + Azurite)',
    types,
    ...extra,
    secrets: [SP_SECRET],
    timeoutMs: 60_000,
    open: () => openAzureWorld(idp(), azurite()),
    async openStalled() {
      const hole = await blackhole();
      const adapter = createAzureProvider({ ...peerProviderOptions({ url: hole.url } as ArmPeer), maxRetries: 0 });
      return {
        adapter,
        source: azureEnv(azureAccount(), SOURCE_LOCATION, SOURCE_RG),
        async close() {
          await adapter.dispose();
          await hole.close();
        },
      };
    },
  };
}
