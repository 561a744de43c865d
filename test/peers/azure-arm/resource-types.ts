// The resource types the Azure Resource Manager test peer serves, and how each one behaves on the
// wire: its path under a resource group, how its PUT and DELETE complete (at once, or as a
// long-running operation announced by Azure-AsyncOperation and/or Location), which state key it
// reports, and the read-only properties the real resource provider adds. The shapes follow the
// example responses of Azure/azure-rest-api-specs; contract.ts says which file each was compared with.

import { randomUUID } from 'node:crypto';

/**
 * How a PUT answers:
 * - `sync`: 200 (replaced) / 201 (created) with the finished resource (resource groups, replication policies).
 * - `async-body`: 200/201 with the resource in a non-terminal state and an Azure-AsyncOperation header
 *   (virtual machines, network resources, AKS).
 * - `async-202-body`: 202 with the resource body, Azure-AsyncOperation and Location (managed disks, snapshots).
 * - `async-202-empty`: 202 without a body, Azure-AsyncOperation (unless `locationOnly`) and Location
 *   (SQL, MySQL and PostgreSQL flexible servers; storage accounts announce Location only).
 */
export type PutStyle = 'sync' | 'async-body' | 'async-202-body' | 'async-202-empty';
/** How a DELETE answers: `sync` 200 (204 when already gone); `async` 202 with Location (and Azure-AsyncOperation). */
export type DeleteStyle = 'sync' | 'async';

export interface TypeContext {
  subscriptionId: string;
  name: string;
  location: string | undefined;
  /** The stored resource a replace keeps read-only values from, if any. */
  previous: ArmResource | undefined;
}

/** A stored resource in its wire shape (properties nested under `properties`). */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ArmType {
  /** Lower-case lookup key: namespace and type segments, e.g. `microsoft.network/virtualnetworks/subnets`. */
  key: string;
  namespace: string;
  /** Type segments as ARM spells them: ['virtualNetworks', 'subnets']. */
  segments: string[];
  /** The `type` the resource provider reports (AKS reports `Microsoft.ContainerService/ManagedClusters`). */
  reportedType: string;
  /** Prefix of the logical operation names in the contract table: `VirtualMachines_Get`. */
  operationGroup: string;
  put: PutStyle;
  /** A sync PUT that created the resource answers this (default 201; object replication policies answer 200). */
  createdStatus?: 200 | 201;
  del: DeleteStyle;
  /** Storage announces its PUT with Location only (no Azure-AsyncOperation). */
  locationOnly?: boolean;
  /** Where the operation-status resource lives under .../providers/<ns>/locations/<loc>/: 'operations', 'azureAsyncOperation'... */
  statusSegment: string;
  /** The state key and its values: most use properties.provisioningState; SQL servers `state`, databases `status`. */
  state: { key: string; creating: string; updating: string; deleting: string; done: string; failed: string } | null;
  /** Whether the resource carries a top-level location (subnets and replication policies do not). */
  located: boolean;
  /** Top-level request keys kept besides location/tags/properties. */
  topLevel: string[];
  /** Request paths a PUT must carry (checked for a 400 InvalidParameter / PropertyMissing). */
  required: string[];
  /** Read-only properties the resource provider adds when the resource is first created. */
  readOnly?(ctx: TypeContext): Record<string, unknown>;
  /** Read-only top-level keys (sku tier, kind) added when missing. */
  readOnlyTop?(ctx: TypeContext, body: Record<string, unknown>): Record<string, unknown>;
  /**
   * How a PATCH (update) answers, when the type serves one: `sync` 200 with the updated resource
   * (storage accounts); `sync-tags` 200 with the resource, only tags change (ManagedClusters_UpdateTags);
   * `async-202-empty` 202 without a body, both headers, the update applied when the operation ends
   * (SQL databases, MySQL / PostgreSQL flexible Servers_Update).
   */
  patch?: 'sync' | 'sync-tags' | 'async-202-empty';
  /** POST actions on one resource (`.../{name}/{action}`): `sync` answers 200 with a body, `async` 202 + both headers. */
  actions?: Record<string, { style: 'sync' | 'async'; operation: string }>;
  /** Resources the provider makes itself (replication links): PUT and PATCH are refused with 405. */
  providerOwned?: boolean;
}

const PROVISIONING = (creating: string, updating = 'Updating') => ({
  key: 'provisioningState',
  creating,
  updating,
  deleting: 'Deleting',
  done: 'Succeeded',
  failed: 'Failed',
});

const now = () => new Date().toISOString();

function t(namespace: string, segments: string[], rest: Omit<ArmType, 'key' | 'namespace' | 'segments' | 'reportedType'> & { reportedType?: string }): ArmType {
  return {
    key: `${namespace}/${segments.join('/')}`.toLowerCase(),
    namespace,
    segments,
    reportedType: rest.reportedType ?? `${namespace}/${segments.join('/')}`,
    ...rest,
  };
}

export const ARM_TYPES: readonly ArmType[] = [
  t('Microsoft.Compute', ['virtualMachines'], {
    operationGroup: 'VirtualMachines',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Creating'),
    located: true,
    topLevel: ['zones', 'identity', 'plan'],
    required: ['properties.hardwareProfile.vmSize', 'properties.storageProfile.osDisk', 'properties.networkProfile.networkInterfaces'],
    readOnly: ({ previous }) => ({
      vmId: previous?.properties.vmId ?? randomUUID(),
      timeCreated: previous?.properties.timeCreated ?? now(),
    }),
  }),
  t('Microsoft.Compute', ['disks'], {
    operationGroup: 'Disks',
    put: 'async-202-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: ['sku', 'zones'],
    required: ['properties.creationData.createOption'],
    readOnly: ({ previous }) => ({
      uniqueId: previous?.properties.uniqueId ?? randomUUID(),
      timeCreated: previous?.properties.timeCreated ?? now(),
      diskState: previous?.properties.diskState ?? 'Unattached',
      encryption: { type: 'EncryptionAtRestWithPlatformKey' },
    }),
    readOnlyTop: (_ctx, body) => ({ sku: { name: 'Standard_LRS', ...((body.sku as object | undefined) ?? {}) } }),
  }),
  t('Microsoft.Compute', ['snapshots'], {
    operationGroup: 'Snapshots',
    put: 'async-202-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: ['sku'],
    required: ['properties.creationData.createOption'],
    readOnly: ({ previous }) => ({
      uniqueId: previous?.properties.uniqueId ?? randomUUID(),
      timeCreated: previous?.properties.timeCreated ?? now(),
      encryption: { type: 'EncryptionAtRestWithPlatformKey' },
      incremental: false,
    }),
    readOnlyTop: (_ctx, body) => ({ sku: { name: 'Standard_LRS', ...((body.sku as object | undefined) ?? {}) } }),
  }),
  t('Microsoft.Network', ['virtualNetworks'], {
    operationGroup: 'VirtualNetworks',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: [],
    required: ['properties.addressSpace.addressPrefixes'],
    readOnly: ({ previous }) => ({ resourceGuid: previous?.properties.resourceGuid ?? randomUUID(), virtualNetworkPeerings: [] }),
  }),
  t('Microsoft.Network', ['virtualNetworks', 'subnets'], {
    operationGroup: 'Subnets',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: false,
    topLevel: [],
    required: [],
  }),
  t('Microsoft.Network', ['networkInterfaces'], {
    operationGroup: 'NetworkInterfaces',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: [],
    required: ['properties.ipConfigurations'],
    readOnly: ({ previous }) => ({
      resourceGuid: previous?.properties.resourceGuid ?? randomUUID(),
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      enableIPForwarding: false,
      vnetEncryptionSupported: false,
    }),
  }),
  t('Microsoft.Network', ['publicIPAddresses'], {
    operationGroup: 'PublicIPAddresses',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: ['sku', 'zones'],
    required: [],
    readOnly: ({ previous }) => ({
      resourceGuid: previous?.properties.resourceGuid ?? randomUUID(),
      publicIPAddressVersion: 'IPv4',
      publicIPAllocationMethod: 'Dynamic',
      idleTimeoutInMinutes: 4,
    }),
    readOnlyTop: (_ctx, body) => ({ sku: { name: 'Standard', ...((body.sku as object | undefined) ?? {}) } }),
  }),
  t('Microsoft.Network', ['networkSecurityGroups'], {
    operationGroup: 'NetworkSecurityGroups',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Updating'),
    located: true,
    topLevel: [],
    required: [],
    readOnly: ({ previous }) => ({
      resourceGuid: previous?.properties.resourceGuid ?? randomUUID(),
      securityRules: [],
      defaultSecurityRules: DEFAULT_NSG_RULES,
    }),
  }),
  t('Microsoft.Sql', ['servers'], {
    operationGroup: 'Servers',
    put: 'async-202-empty',
    del: 'async',
    statusSegment: 'serverAzureAsyncOperation',
    state: { key: 'state', creating: 'Creating', updating: 'Ready', deleting: 'Dropping', done: 'Ready', failed: 'Disabled' },
    located: true,
    topLevel: ['identity'],
    required: [],
    readOnly: ({ name }) => ({ fullyQualifiedDomainName: `${name}.database.windows.net`, version: '12.0' }),
    readOnlyTop: () => ({ kind: 'v12.0' }),
  }),
  t('Microsoft.Sql', ['servers', 'databases'], {
    operationGroup: 'Databases',
    put: 'async-202-empty',
    patch: 'async-202-empty',
    del: 'async',
    statusSegment: 'databaseAzureAsyncOperation',
    state: { key: 'status', creating: 'Creating', updating: 'Online', deleting: 'Dropping', done: 'Online', failed: 'Offline' },
    located: true,
    topLevel: ['sku'],
    required: [],
    readOnly: ({ previous }) => ({
      databaseId: previous?.properties.databaseId ?? randomUUID(),
      creationDate: previous?.properties.creationDate ?? now(),
      collation: 'SQL_Latin1_General_CP1_CI_AS',
    }),
    readOnlyTop: (_ctx, body) => ({ kind: 'v12.0,user', sku: { name: 'S0', tier: 'Standard', ...((body.sku as object | undefined) ?? {}) } }),
  }),
  t('Microsoft.Storage', ['storageAccounts'], {
    operationGroup: 'StorageAccounts',
    put: 'async-202-empty',
    locationOnly: true,
    del: 'sync',
    statusSegment: 'asyncoperations',
    state: PROVISIONING('Creating', 'Succeeded'),
    located: true,
    topLevel: ['sku', 'kind', 'identity'],
    required: ['sku.name', 'kind'],
    patch: 'sync',
    actions: { listKeys: { style: 'sync', operation: 'StorageAccounts_ListKeys' } },
    readOnly: ({ name, previous, location }) => ({
      creationTime: previous?.properties.creationTime ?? now(),
      primaryLocation: location,
      statusOfPrimary: 'available',
      primaryEndpoints: {
        blob: `https://${name}.blob.core.windows.net/`,
        dfs: `https://${name}.dfs.core.windows.net/`,
        file: `https://${name}.file.core.windows.net/`,
        queue: `https://${name}.queue.core.windows.net/`,
        table: `https://${name}.table.core.windows.net/`,
        web: `https://${name}.web.core.windows.net/`,
      },
      encryption: { keySource: 'Microsoft.Storage', services: { blob: { enabled: true, keyType: 'Account' }, file: { enabled: true, keyType: 'Account' } } },
    }),
  }),
  // The geo-replication link between a primary and its geo-secondary: made by the provider when a
  // `createMode: Secondary` database succeeds, one under each database with the same link id
  // (ReplicationLinkListByDatabase / ReplicationLinkGet examples). Failover is a POST on the link of
  // the database that is to become primary.
  t('Microsoft.Sql', ['servers', 'databases', 'replicationLinks'], {
    operationGroup: 'ReplicationLinks',
    put: 'sync',
    // Deleting a link ends the geo-replication (both sides); the database stays (ReplicationLinkDelete).
    del: 'async',
    providerOwned: true,
    statusSegment: 'replicationLinkAsyncOperation',
    state: null,
    located: false,
    topLevel: [],
    required: [],
    actions: {
      failover: { style: 'async', operation: 'ReplicationLinks_Failover' },
      forceFailoverAllowDataLoss: { style: 'async', operation: 'ReplicationLinks_FailoverAllowDataLoss' },
    },
  }),
  // The account's blob service (always `default`): versioning and change feed, which object
  // replication needs (BlobServicesPut / BlobServicesGet examples). The provider makes it with the account.
  // A PUT sets what it sends and keeps the rest, as the service does.
  t('Microsoft.Storage', ['storageAccounts', 'blobServices'], {
    operationGroup: 'BlobServices',
    put: 'sync',
    createdStatus: 200,
    del: 'sync',
    statusSegment: 'asyncoperations',
    state: null,
    located: false,
    topLevel: [],
    required: [],
    readOnly: ({ previous }) => ({ ...BLOB_SERVICE_DEFAULTS, ...structuredClone(previous?.properties ?? {}) }),
  }),
  t('Microsoft.Storage', ['storageAccounts', 'objectReplicationPolicies'], {
    operationGroup: 'ObjectReplicationPolicies',
    put: 'sync',
    createdStatus: 200,
    del: 'sync',
    statusSegment: 'asyncoperations',
    state: null,
    located: false,
    topLevel: [],
    required: ['properties.sourceAccount', 'properties.destinationAccount', 'properties.rules'],
  }),
  t('Microsoft.ContainerService', ['managedClusters'], {
    reportedType: 'Microsoft.ContainerService/ManagedClusters',
    operationGroup: 'ManagedClusters',
    put: 'async-body',
    patch: 'sync-tags',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Creating'),
    located: true,
    topLevel: ['sku', 'identity'],
    required: ['properties.agentPoolProfiles'],
    // nodeResourceGroup (MC_{group}_{cluster}_{location}) is set by the server, which knows the group.
    readOnly: ({ name, location, previous }) => ({
      kubernetesVersion: (previous?.properties.kubernetesVersion as string | undefined) ?? '1.30.4',
      maxAgentPools: 100,
      currentKubernetesVersion: (previous?.properties.currentKubernetesVersion as string | undefined) ?? '1.30.4',
      fqdn: `${name}-dns.hcp.${location ?? 'eastus'}.azmk8s.io`,
    }),
  }),
  // Agent pools are the cluster's agentPoolProfiles as child resources: a cluster PUT makes one per
  // profile, an agent-pool PUT or DELETE changes the cluster's list (AgentPoolsCreate_Update.json).
  t('Microsoft.ContainerService', ['managedClusters', 'agentPools'], {
    operationGroup: 'AgentPools',
    put: 'async-body',
    del: 'async',
    statusSegment: 'operations',
    state: PROVISIONING('Creating'),
    located: false,
    topLevel: [],
    required: ['properties.vmSize'],
    readOnly: () => ({ osType: 'Linux', maxPods: 110, mode: 'User', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202410.15.0' }),
  }),
  t('Microsoft.DBforMySQL', ['flexibleServers'], {
    operationGroup: 'MySqlServers',
    put: 'async-202-empty',
    patch: 'async-202-empty',
    del: 'async',
    statusSegment: 'azureAsyncOperation',
    state: { key: 'state', creating: 'Provisioning', updating: 'Updating', deleting: 'Dropping', done: 'Ready', failed: 'Disabled' },
    located: true,
    topLevel: ['sku', 'identity'],
    required: [],
    readOnly: ({ name }) => ({
      fullyQualifiedDomainName: `${name}.mysql.database.azure.com`,
      replicaCapacity: 10,
    }),
    readOnlyTop: (_ctx, body) => ({ sku: (body.sku as object | undefined) ?? { name: 'Standard_B1ms', tier: 'Burstable' } }),
  }),
  t('Microsoft.DBforPostgreSQL', ['flexibleServers'], {
    operationGroup: 'PostgreSqlServers',
    put: 'async-202-empty',
    patch: 'async-202-empty',
    del: 'async',
    statusSegment: 'azureAsyncOperation',
    state: { key: 'state', creating: 'Provisioning', updating: 'Updating', deleting: 'Dropping', done: 'Ready', failed: 'Disabled' },
    located: true,
    topLevel: ['sku', 'identity'],
    required: [],
    readOnly: ({ name }) => ({
      fullyQualifiedDomainName: `${name}.postgres.database.azure.com`,
      replicaCapacity: 5,
    }),
    readOnlyTop: (_ctx, body) => ({ sku: (body.sku as object | undefined) ?? { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' } }),
  }),
];

const rule = (name: string, priority: number, direction: string, access: string, source: string, destination: string, description: string) => ({
  name,
  properties: {
    provisioningState: 'Succeeded',
    description,
    protocol: '*',
    sourcePortRange: '*',
    destinationPortRange: '*',
    sourceAddressPrefix: source,
    destinationAddressPrefix: destination,
    access,
    priority,
    direction,
  },
});

const DEFAULT_NSG_RULES = [
  rule('AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork', 'Allow inbound traffic from all VMs in VNET'),
  rule('AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*', 'Allow inbound traffic from azure load balancer'),
  rule('DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*', 'Deny all inbound traffic'),
  rule('AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork', 'Allow outbound traffic from all VMs to all VMs in VNET'),
  rule('AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet', 'Allow outbound traffic from all VMs to Internet'),
  rule('DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*', 'Deny all outbound traffic'),
];

/** A new account's blob service: versioning, change feed and soft delete off, no CORS rules. */
export const BLOB_SERVICE_DEFAULTS = {
  cors: { corsRules: [] },
  deleteRetentionPolicy: { enabled: false },
  isVersioningEnabled: false,
  changeFeed: { enabled: false },
} as const;

const BY_KEY = new Map(ARM_TYPES.map((x) => [x.key, x]));

/** The type for a namespace and its type segments (case-insensitive, as ARM matches them). */
export function armType(namespace: string, segments: string[]): ArmType | undefined {
  return BY_KEY.get(`${namespace}/${segments.join('/')}`.toLowerCase());
}
