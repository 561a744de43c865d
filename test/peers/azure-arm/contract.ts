// The ARM peer's contract table: for every operation the peer serves and every status it answers
// with, the keys (and their nesting) the response must have, the keys it must never have, and the
// headers it must carry, each row stating the Azure/azure-rest-api-specs example (path and
// api-version) it was compared with. Written here in our own words from reading those examples;
// no spec file is copied. `checkResponse` holds one recorded response to its row; the peer test
// runs it over every response the peer sent while the real SDK clients drove it.
//
// Path syntax: dots nest (`properties.hardwareProfile.vmSize`); `[]` means every element of an
// array (`value[].id`). The SDK api-versions are what @azure/arm-* (package-lock.json) sent; the
// spec index held examples up to the versions named per row, and the keys checked are ones present
// in both.

import type { RecordedResponse } from './server';

export interface ContractRow {
  /** Logical operation as the peer records it. */
  operation: string;
  /** The spec's operationId it stands for. */
  operationId: string;
  statuses: number[];
  /** 'none': the response has no body. */
  body: 'none' | { must: string[]; mustNot?: string[] };
  /** Lower-case header names that must be present. */
  headers?: string[];
  /** What the row was compared with. */
  compared: { spec: string; apiVersion: string }[];
  /** The api-version the installed SDK sends for this operation. */
  sdkApiVersion?: string;
}

const SPEC = 'specification';
const COMPUTE = `${SPEC}/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-11-01/examples/virtualMachineExamples`;
const DISK = `${SPEC}/compute/resource-manager/Microsoft.Compute/DiskRP/stable/2025-01-02/examples`;
const NET = (v: string, f: string) => ({ spec: `${SPEC}/network/resource-manager/Microsoft.Network/stable/${v}/examples/${f}`, apiVersion: v });
const SQL = (f: string) => ({ spec: `${SPEC}/sql/resource-manager/Microsoft.Sql/stable/2023-08-01/examples/${f}`, apiVersion: '2023-08-01' });
const STORAGE = (f: string) => ({ spec: `${SPEC}/storage/resource-manager/Microsoft.Storage/stable/2024-01-01/examples/${f}`, apiVersion: '2024-01-01' });
const AKS = (f: string) => ({ spec: `${SPEC}/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-09-01/examples/${f}`, apiVersion: '2024-09-01' });
const MYSQL = (f: string) => ({ spec: `${SPEC}/mysql/resource-manager/Microsoft.DBforMySQL/FlexibleServers/stable/2023-12-30/examples/${f}`, apiVersion: '2023-12-30' });
const PG = (f: string) => ({ spec: `${SPEC}/postgresql/resource-manager/Microsoft.DBforPostgreSQL/stable/2024-08-01/examples/${f}`, apiVersion: '2024-08-01' });
const PG25 = (f: string) => ({ spec: `${SPEC}/postgresql/resource-manager/Microsoft.DBforPostgreSQL/stable/2025-08-01/examples/${f}`, apiVersion: '2025-08-01' });
/** The ARM RPC's async and resource rules (Azure/azure-resource-manager-rpc v1.0/async-api-reference.md). */
const RPC = { spec: 'azure-resource-manager-rpc: v1.0/async-api-reference.md (async PUT/DELETE, operation resource, provisioningState)', apiVersion: 'v1.0' };

/** Keys the wire format never has at the top level: the SDK flattens them, ARM nests them under properties. */
const FLAT = ['provisioningState', 'hardwareProfile', 'storageProfile', 'addressSpace', 'ipConfigurations'];
const ASYNC = ['azure-asyncoperation'];
const BOTH = ['azure-asyncoperation', 'location'];

/** Rows for the GET / LIST / DELETE of one type, given the keys every returned resource has. */
function crud(
  group: string,
  ids: { get: string; list: string; del: string; create: string },
  resourceKeys: string[],
  compared: { create: ContractRow['compared']; get: ContractRow['compared']; list?: ContractRow['compared']; del: ContractRow['compared'] },
  opts: {
    create: { statuses: number[]; headers?: string[] }[];
    createEmpty202?: { headers: string[] };
    del: 'sync' | 'async';
    mustNot?: string[];
    sdkApiVersion: string;
  },
): ContractRow[] {
  const body = { must: resourceKeys, mustNot: [...FLAT, ...(opts.mustNot ?? [])] };
  const listKeys = ['value', ...resourceKeys.map((k) => `value[].${k}`)];
  const rows: ContractRow[] = opts.create.map((c) => ({
    operation: `${group}_CreateOrUpdate`,
    operationId: ids.create,
    statuses: c.statuses,
    body,
    ...(c.headers ? { headers: c.headers } : {}),
    compared: compared.create,
    sdkApiVersion: opts.sdkApiVersion,
  }));
  if (opts.createEmpty202) {
    rows.push({ operation: `${group}_CreateOrUpdate`, operationId: ids.create, statuses: [202], body: 'none', headers: opts.createEmpty202.headers, compared: [...compared.create, RPC], sdkApiVersion: opts.sdkApiVersion });
  }
  rows.push(
    { operation: `${group}_Get`, operationId: ids.get, statuses: [200], body, compared: compared.get, sdkApiVersion: opts.sdkApiVersion },
    { operation: `${group}_List`, operationId: ids.list, statuses: [200], body: { must: listKeys, mustNot: FLAT.map((k) => `value[].${k}`) }, compared: compared.list ?? compared.get, sdkApiVersion: opts.sdkApiVersion },
    { operation: `${group}_ListBySubscription`, operationId: ids.list.replace(/_List.*$/, '_ListAll'), statuses: [200], body: { must: listKeys }, compared: compared.list ?? compared.get, sdkApiVersion: opts.sdkApiVersion },
  );
  if (opts.del === 'async') {
    rows.push(
      { operation: `${group}_Delete`, operationId: ids.del, statuses: [202], body: 'none', headers: ['location'], compared: [...compared.del, RPC], sdkApiVersion: opts.sdkApiVersion },
      { operation: `${group}_Delete`, operationId: ids.del, statuses: [200, 204], body: 'none', compared: compared.del, sdkApiVersion: opts.sdkApiVersion },
    );
  } else {
    rows.push({ operation: `${group}_Delete`, operationId: ids.del, statuses: [200, 204], body: 'none', compared: compared.del, sdkApiVersion: opts.sdkApiVersion });
  }
  return rows;
}

const RESOURCE = ['id', 'name', 'type'];
const LOCATED = [...RESOURCE, 'location'];

export const CONTRACT: readonly ContractRow[] = [
  // ---- Microsoft.Resources/resourceGroups (no example file for ResourceGroups_* is in the spec index;
  // compared with the RPC's resource body and the arm-resources ResourceGroup model) ----
  { operation: 'ResourceGroups_CreateOrUpdate', operationId: 'ResourceGroups_CreateOrUpdate', statuses: [200, 201], body: { must: [...LOCATED, 'properties.provisioningState'], mustNot: FLAT }, compared: [RPC], sdkApiVersion: '2025-04-01' },
  { operation: 'ResourceGroups_Get', operationId: 'ResourceGroups_Get', statuses: [200], body: { must: [...LOCATED, 'properties.provisioningState'], mustNot: FLAT }, compared: [RPC], sdkApiVersion: '2025-04-01' },
  { operation: 'ResourceGroups_List', operationId: 'ResourceGroups_List', statuses: [200], body: { must: ['value', 'value[].id', 'value[].name', 'value[].location', 'value[].properties.provisioningState'] }, compared: [RPC], sdkApiVersion: '2025-04-01' },
  { operation: 'ResourceGroups_Delete', operationId: 'ResourceGroups_Delete', statuses: [202], body: 'none', headers: ['location'], compared: [RPC], sdkApiVersion: '2025-04-01' },
  { operation: 'ResourceGroups_Delete', operationId: 'ResourceGroups_Delete', statuses: [200, 204], body: 'none', compared: [RPC], sdkApiVersion: '2025-04-01' },

  // ---- Subscriptions_List (tenant level): the SubscriptionListResult / Subscription definitions of
  // resources/.../subscriptions/stable/2022-12-01/subscriptions.json (its GetSubscriptions.json example is
  // not in the spec index); the SDK-less call sends 2022-12-01 ----
  {
    operation: 'Subscriptions_List',
    operationId: 'Subscriptions_List',
    statuses: [200],
    body: { must: ['value', 'value[].id', 'value[].subscriptionId', 'value[].displayName', 'value[].state', 'value[].tenantId', 'value[].subscriptionPolicies'] },
    compared: [{ spec: `${SPEC}/resources/resource-manager/Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json#/definitions/SubscriptionListResult`, apiVersion: '2022-12-01' }],
    sdkApiVersion: '2022-12-01',
  },

  // ---- Microsoft.Compute/virtualMachines ----
  ...crud(
    'VirtualMachines',
    { create: 'VirtualMachines_CreateOrUpdate', get: 'VirtualMachines_Get', list: 'VirtualMachines_List', del: 'VirtualMachines_Delete' },
    [
      ...LOCATED,
      'properties.provisioningState',
      'properties.vmId',
      'properties.hardwareProfile.vmSize',
      'properties.storageProfile.osDisk.createOption',
      'properties.storageProfile.osDisk.name',
      'properties.storageProfile.osDisk.managedDisk.storageAccountType',
      'properties.networkProfile.networkInterfaces',
      'properties.networkProfile.networkInterfaces[].id',
    ],
    {
      create: [{ spec: `${COMPUTE}/VirtualMachine_Create_WithSshAuthentication.json`, apiVersion: '2024-11-01' }],
      get: [{ spec: `${COMPUTE}/VirtualMachine_Get.json`, apiVersion: '2024-11-01' }],
      list: [{ spec: `${COMPUTE}/VirtualMachine_List_MinimumSet_Gen.json`, apiVersion: '2024-11-01' }],
      del: [{ spec: `${COMPUTE}/VirtualMachine_Delete_Force.json`, apiVersion: '2024-11-01' }],
    },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', mustNot: ['properties.osProfile.adminPassword'], sdkApiVersion: '2026-04-01' },
  ),

  // ---- Microsoft.Compute/disks ----
  ...crud(
    'Disks',
    { create: 'Disks_CreateOrUpdate', get: 'Disks_Get', list: 'Disks_ListByResourceGroup', del: 'Disks_Delete' },
    [...LOCATED, 'sku.name', 'properties.provisioningState', 'properties.creationData.createOption', 'properties.timeCreated', 'properties.encryption.type'],
    {
      create: [{ spec: `${DISK}/diskExamples/Disk_Create_ByCopyingASnapshot.json`, apiVersion: '2025-01-02' }],
      get: [{ spec: `${DISK}/diskExamples/Disk_Get.json`, apiVersion: '2025-01-02' }],
      list: [{ spec: `${DISK}/diskExamples/Disk_ListByResourceGroup.json`, apiVersion: '2025-01-02' }],
      del: [{ spec: `${DISK}/diskExamples/Disk_Delete.json`, apiVersion: '2025-01-02' }],
    },
    { create: [{ statuses: [202], headers: BOTH }, { statuses: [200] }], del: 'async', sdkApiVersion: '2026-03-02' },
  ),

  // ---- Microsoft.Compute/snapshots ----
  ...crud(
    'Snapshots',
    { create: 'Snapshots_CreateOrUpdate', get: 'Snapshots_Get', list: 'Snapshots_ListByResourceGroup', del: 'Snapshots_Delete' },
    [...LOCATED, 'sku.name', 'properties.provisioningState', 'properties.creationData.createOption', 'properties.timeCreated', 'properties.uniqueId', 'properties.incremental', 'properties.encryption.type'],
    {
      create: [{ spec: `${DISK}/snapshotExamples/Snapshot_Create_FromAnExistingSnapshotInDifferentRegion.json`, apiVersion: '2025-01-02' }],
      get: [{ spec: `${DISK}/snapshotExamples/Snapshot_GetIncrementalSnapshot.json`, apiVersion: '2025-01-02' }],
      del: [{ spec: `${DISK}/snapshotExamples/Snapshot_Delete.json`, apiVersion: '2025-01-02' }],
    },
    { create: [{ statuses: [202], headers: BOTH }, { statuses: [200] }], del: 'async', sdkApiVersion: '2026-03-02' },
  ),

  // ---- Microsoft.Network ----
  ...crud(
    'VirtualNetworks',
    { create: 'VirtualNetworks_CreateOrUpdate', get: 'VirtualNetworks_Get', list: 'VirtualNetworks_List', del: 'VirtualNetworks_Delete' },
    [...LOCATED, 'properties.provisioningState', 'properties.addressSpace.addressPrefixes', 'properties.subnets', 'properties.subnets[].id', 'properties.subnets[].name', 'properties.subnets[].properties.addressPrefix', 'properties.virtualNetworkPeerings'],
    {
      create: [NET('2025-01-01', 'VirtualNetworkCreate.json')],
      get: [NET('2025-01-01', 'VirtualNetworkGet.json')],
      list: [NET('2025-01-01', 'VirtualNetworkList.json')],
      del: [NET('2024-07-01', 'VirtualNetworkDelete.json')],
    },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-01-01' },
  ),
  ...crud(
    'Subnets',
    { create: 'Subnets_CreateOrUpdate', get: 'Subnets_Get', list: 'Subnets_List', del: 'Subnets_Delete' },
    ['id', 'name', 'properties.addressPrefix', 'properties.provisioningState'],
    { create: [NET('2025-01-01', 'SubnetCreate.json')], get: [NET('2025-01-01', 'SubnetCreate.json')], del: [NET('2024-07-01', 'VirtualNetworkDelete.json')] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-01-01' },
  ),
  ...crud(
    'NetworkInterfaces',
    { create: 'NetworkInterfaces_CreateOrUpdate', get: 'NetworkInterfaces_Get', list: 'NetworkInterfaces_List', del: 'NetworkInterfaces_Delete' },
    [
      ...LOCATED,
      'properties.provisioningState',
      'properties.ipConfigurations',
      'properties.ipConfigurations[].id',
      'properties.ipConfigurations[].name',
      'properties.ipConfigurations[].properties.provisioningState',
      'properties.ipConfigurations[].properties.privateIPAddress',
      'properties.ipConfigurations[].properties.privateIPAllocationMethod',
      'properties.ipConfigurations[].properties.subnet.id',
      'properties.ipConfigurations[].properties.primary',
      'properties.dnsSettings.dnsServers',
      'properties.enableIPForwarding',
    ],
    { create: [NET('2024-07-01', 'NetworkInterfaceCreate.json')], get: [NET('2024-07-01', 'NetworkInterfaceCreate.json')], del: [NET('2024-07-01', 'VirtualNetworkDelete.json')] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-01-01' },
  ),
  ...crud(
    'PublicIPAddresses',
    { create: 'PublicIPAddresses_CreateOrUpdate', get: 'PublicIPAddresses_Get', list: 'PublicIPAddresses_List', del: 'PublicIPAddresses_Delete' },
    [...LOCATED, 'sku.name', 'properties.provisioningState', 'properties.publicIPAddressVersion', 'properties.publicIPAllocationMethod', 'properties.idleTimeoutInMinutes'],
    { create: [NET('2025-01-01', 'PublicIpAddressCreateDefaults.json')], get: [NET('2025-01-01', 'PublicIpAddressCreateDefaults.json')], del: [NET('2024-07-01', 'VirtualNetworkDelete.json')] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-01-01' },
  ),
  ...crud(
    'NetworkSecurityGroups',
    { create: 'NetworkSecurityGroups_CreateOrUpdate', get: 'NetworkSecurityGroups_Get', list: 'NetworkSecurityGroups_List', del: 'NetworkSecurityGroups_Delete' },
    [
      ...LOCATED,
      'properties.provisioningState',
      'properties.securityRules',
      'properties.defaultSecurityRules',
      'properties.defaultSecurityRules[].id',
      'properties.defaultSecurityRules[].name',
      'properties.defaultSecurityRules[].properties.priority',
      'properties.defaultSecurityRules[].properties.direction',
      'properties.defaultSecurityRules[].properties.access',
    ],
    { create: [NET('2024-07-01', 'NetworkSecurityGroupCreate.json')], get: [NET('2024-07-01', 'NetworkSecurityGroupCreate.json')], del: [NET('2024-07-01', 'VirtualNetworkDelete.json')] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-01-01' },
  ),

  // ---- Microsoft.Sql (the SDK's servers/databases operations send 2022-08-01-preview) ----
  ...crud(
    'Servers',
    { create: 'Servers_CreateOrUpdate', get: 'Servers_Get', list: 'Servers_ListByResourceGroup', del: 'Servers_Delete' },
    [...LOCATED, 'kind', 'properties.fullyQualifiedDomainName', 'properties.version', 'properties.state'],
    { create: [SQL('ServerCreate.json')], get: [SQL('ServerCreate.json')], del: [SQL('ServerDelete.json')] },
    { create: [{ statuses: [200, 201] }], createEmpty202: { headers: BOTH }, del: 'async', mustNot: ['properties.administratorLoginPassword'], sdkApiVersion: '2022-08-01-preview' },
  ),
  ...crud(
    'Databases',
    { create: 'Databases_CreateOrUpdate', get: 'Databases_Get', list: 'Databases_ListByServer', del: 'Databases_Delete' },
    [...LOCATED, 'kind', 'sku.name', 'properties.status', 'properties.databaseId', 'properties.creationDate', 'properties.collation'],
    { create: [SQL('CreateDatabaseDefaultMode.json')], get: [SQL('CreateDatabaseDefaultMode.json')], del: [SQL('DeleteDatabase.json')] },
    { create: [{ statuses: [200, 201] }], createEmpty202: { headers: BOTH }, del: 'async', sdkApiVersion: '2022-08-01-preview' },
  ),

  // ---- Microsoft.Sql: database update and the geo-replication link (failover is a POST on the link) ----
  { operation: 'Databases_Update', operationId: 'Databases_Update', statuses: [202], body: 'none', headers: BOTH, compared: [SQL('PatchVCoreDatabase.json'), RPC], sdkApiVersion: '2022-08-01-preview' },
  {
    operation: 'Databases_Update',
    operationId: 'Databases_Update',
    statuses: [200],
    body: { must: [...LOCATED, 'kind', 'sku.name', 'properties.status', 'properties.databaseId', 'properties.collation'], mustNot: FLAT },
    compared: [SQL('PatchVCoreDatabase.json')],
    sdkApiVersion: '2022-08-01-preview',
  },
  ...(() => {
    const link = [
      'id',
      'name',
      'properties.partnerServer',
      'properties.partnerDatabase',
      'properties.partnerLocation',
      'properties.role',
      'properties.partnerRole',
      'properties.replicationMode',
      'properties.startTime',
      'properties.percentComplete',
      'properties.replicationState',
      'properties.isTerminationAllowed',
      'properties.linkType',
    ];
    const v = '2022-02-01-preview';
    const failover = (operation: string, operationId: string): ContractRow[] => [
      // The 202 the examples list; the finished operation's Location answers with the link (ReplicationLinks_Get).
      { operation, operationId, statuses: [202], body: 'none', headers: BOTH, compared: [SQL('ReplicationLinkFailoverAllowDataLoss.json'), RPC], sdkApiVersion: v },
      { operation, operationId, statuses: [200], body: { must: link, mustNot: FLAT }, compared: [SQL('ReplicationLinkFailoverAllowDataLoss.json')], sdkApiVersion: v },
    ];
    return [
      // ReplicationLinkGet carries partnerDatabaseId as well; the list example does not, so only Get requires it.
      { operation: 'ReplicationLinks_Get', operationId: 'ReplicationLinks_Get', statuses: [200], body: { must: [...link, 'properties.partnerDatabaseId'], mustNot: FLAT }, compared: [SQL('ReplicationLinkGet.json')], sdkApiVersion: v },
      { operation: 'ReplicationLinks_List', operationId: 'ReplicationLinks_ListByDatabase', statuses: [200], body: { must: ['value', ...link.map((k) => `value[].${k}`)], mustNot: FLAT.map((k) => `value[].${k}`) }, compared: [SQL('ReplicationLinkListByDatabase.json')], sdkApiVersion: v },
      // ReplicationLinkFailover.json (the planned failover) is not in the index; its operation has the
      // same responses as the forced one (200 with the link, 202 without a body) in the spec.
      ...failover('ReplicationLinks_Failover', 'ReplicationLinks_Failover'),
      ...failover('ReplicationLinks_FailoverAllowDataLoss', 'ReplicationLinks_FailoverAllowDataLoss'),
      { operation: 'ReplicationLinks_Delete', operationId: 'ReplicationLinks_Delete', statuses: [202], body: 'none', headers: ['location'], compared: [SQL('ReplicationLinkDelete.json'), RPC], sdkApiVersion: v },
      { operation: 'ReplicationLinks_Delete', operationId: 'ReplicationLinks_Delete', statuses: [200, 204], body: 'none', compared: [SQL('ReplicationLinkDelete.json')], sdkApiVersion: v },
    ] satisfies ContractRow[];
  })(),

  // ---- Microsoft.Storage ----
  ...crud(
    'StorageAccounts',
    { create: 'StorageAccounts_Create', get: 'StorageAccounts_GetProperties', list: 'StorageAccounts_ListByResourceGroup', del: 'StorageAccounts_Delete' },
    [...LOCATED, 'kind', 'sku.name', 'properties.provisioningState', 'properties.creationTime', 'properties.primaryEndpoints.blob', 'properties.primaryLocation', 'properties.statusOfPrimary', 'properties.encryption.keySource'],
    { create: [STORAGE('StorageAccountCreate.json')], get: [STORAGE('StorageAccountCreate.json')], del: [STORAGE('StorageAccountDelete.json')] },
    { create: [{ statuses: [200] }], createEmpty202: { headers: ['location'] }, del: 'sync', sdkApiVersion: '2026-09-01' },
  ),
  {
    operation: 'StorageAccounts_Update',
    operationId: 'StorageAccounts_Update',
    statuses: [200],
    body: { must: [...LOCATED, 'kind', 'sku.name', 'properties.provisioningState', 'properties.creationTime', 'properties.primaryEndpoints.blob', 'properties.primaryLocation', 'properties.statusOfPrimary', 'properties.encryption.keySource'], mustNot: FLAT },
    compared: [STORAGE('StorageAccountUpdate.json')],
    sdkApiVersion: '2026-09-01',
  },
  {
    operation: 'StorageAccounts_ListKeys',
    operationId: 'StorageAccounts_ListKeys',
    statuses: [200],
    body: { must: ['keys', 'keys[].keyName', 'keys[].value', 'keys[].permissions'] },
    compared: [STORAGE('StorageAccountListKeys.json')],
    sdkApiVersion: '2026-09-01',
  },
  ...(['BlobServices_CreateOrUpdate', 'BlobServices_Get'] as const).map(
    (operation): ContractRow => ({
      operation,
      operationId: operation === 'BlobServices_Get' ? 'BlobServices_GetServiceProperties' : 'BlobServices_SetServiceProperties',
      statuses: [200],
      body: { must: [...RESOURCE, 'sku.name', 'properties.isVersioningEnabled', 'properties.changeFeed.enabled', 'properties.deleteRetentionPolicy.enabled', 'properties.cors.corsRules'], mustNot: FLAT },
      compared: [STORAGE(operation === 'BlobServices_Get' ? 'BlobServicesGet.json' : 'BlobServicesPut.json')],
      sdkApiVersion: '2026-09-01',
    }),
  ),
  ...crud(
    'ObjectReplicationPolicies',
    { create: 'ObjectReplicationPolicies_CreateOrUpdate', get: 'ObjectReplicationPolicies_Get', list: 'ObjectReplicationPolicies_List', del: 'ObjectReplicationPolicies_Delete' },
    [...RESOURCE, 'properties.policyId', 'properties.sourceAccount', 'properties.destinationAccount', 'properties.rules', 'properties.rules[].ruleId', 'properties.rules[].sourceContainer', 'properties.rules[].destinationContainer'],
    {
      create: [STORAGE('StorageAccountCreateObjectReplicationPolicyOnDestination.json'), STORAGE('StorageAccountCreateObjectReplicationPolicyOnSource.json')],
      get: [STORAGE('StorageAccountCreateObjectReplicationPolicyOnDestination.json')],
      del: [STORAGE('StorageAccountDelete.json'), RPC],
    },
    { create: [{ statuses: [200, 201] }], del: 'sync', sdkApiVersion: '2026-09-01' },
  ),

  // ---- Microsoft.ContainerService/managedClusters ----
  ...crud(
    'ManagedClusters',
    { create: 'ManagedClusters_CreateOrUpdate', get: 'ManagedClusters_Get', list: 'ManagedClusters_ListByResourceGroup', del: 'ManagedClusters_Delete' },
    [
      ...LOCATED,
      'properties.provisioningState',
      'properties.kubernetesVersion',
      'properties.currentKubernetesVersion',
      'properties.nodeResourceGroup',
      'properties.fqdn',
      'properties.agentPoolProfiles',
      'properties.agentPoolProfiles[].name',
      'properties.agentPoolProfiles[].count',
      'properties.agentPoolProfiles[].vmSize',
      'properties.agentPoolProfiles[].provisioningState',
    ],
    { create: [AKS('ManagedClustersCreate_Update.json')], get: [AKS('ManagedClustersGet.json')], del: [RPC] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', mustNot: ['properties.servicePrincipalProfile.secret', 'properties.windowsProfile.adminPassword'], sdkApiVersion: '2026-06-01' },
  ),

  // Agent pools: the Get and List examples carry no `type` (only Create's 200/201 do), so neither is required.
  ...crud(
    'AgentPools',
    { create: 'AgentPools_CreateOrUpdate', get: 'AgentPools_Get', list: 'AgentPools_List', del: 'AgentPools_Delete' },
    ['id', 'name', 'properties.provisioningState', 'properties.count', 'properties.vmSize', 'properties.osType', 'properties.maxPods', 'properties.orchestratorVersion', 'properties.currentOrchestratorVersion'],
    { create: [AKS('AgentPoolsCreate_Update.json')], get: [AKS('AgentPoolsGet.json')], list: [AKS('AgentPoolsList.json')], del: [AKS('AgentPoolsDelete.json')] },
    { create: [{ statuses: [200, 201], headers: ASYNC }], del: 'async', sdkApiVersion: '2026-06-01' },
  ),
  {
    operation: 'ManagedClusters_UpdateTags',
    operationId: 'ManagedClusters_UpdateTags',
    statuses: [200],
    body: { must: [...LOCATED, 'tags', 'properties.provisioningState', 'properties.kubernetesVersion', 'properties.agentPoolProfiles[].name', 'properties.nodeResourceGroup', 'properties.fqdn'], mustNot: FLAT },
    compared: [AKS('ManagedClustersUpdateTags.json')],
    sdkApiVersion: '2026-06-01',
  },

  // ---- Microsoft.DBforMySQL/flexibleServers and Microsoft.DBforPostgreSQL/flexibleServers ----
  ...crud(
    'MySqlServers',
    { create: 'Servers_Create', get: 'Servers_Get', list: 'Servers_ListByResourceGroup', del: 'Servers_Delete' },
    [...LOCATED, 'sku.name', 'sku.tier', 'properties.state', 'properties.fullyQualifiedDomainName', 'properties.replicationRole', 'properties.replicaCapacity'],
    { create: [MYSQL('ServerCreateReplica.json')], get: [MYSQL('ServerCreateReplica.json')], del: [MYSQL('ServerDelete.json')] },
    { create: [{ statuses: [200, 201] }], createEmpty202: { headers: BOTH }, del: 'async', mustNot: ['properties.administratorLoginPassword'], sdkApiVersion: '2021-05-01' },
  ),
  ...crud(
    'PostgreSqlServers',
    { create: 'Servers_CreateOrUpdate', get: 'Servers_Get', list: 'Servers_ListByResourceGroup', del: 'Servers_Delete' },
    [...LOCATED, 'sku.name', 'sku.tier', 'properties.state', 'properties.fullyQualifiedDomainName', 'properties.replicationRole', 'properties.replicaCapacity', 'properties.replica.role', 'properties.replica.capacity'],
    { create: [PG('ServerCreate.json')], get: [PG('ServerCreate.json'), PG25('ServersGet.json')], del: [MYSQL('ServerDelete.json'), RPC] },
    { create: [{ statuses: [200, 201] }], createEmpty202: { headers: BOTH }, del: 'async', mustNot: ['properties.administratorLoginPassword'], sdkApiVersion: '2025-08-01' },
  ),

  // PATCH (Servers_Update): 202 with both headers and no body, as in the examples; stopping
  // replication is a PATCH too (MySQL replicationRole None; PostgreSQL replica.promoteMode Standalone,
  // ServersPromoteReplicaAsForcedStandaloneServer.json: 202, both headers).
  {
    operation: 'MySqlServers_Update',
    operationId: 'Servers_Update',
    statuses: [202],
    body: 'none',
    headers: BOTH,
    compared: [MYSQL('ServerUpdateWithCustomerMaintenanceWindow.json')],
    sdkApiVersion: '2021-05-01',
  },
  {
    operation: 'PostgreSqlServers_Update',
    operationId: 'Servers_Update',
    statuses: [202],
    body: 'none',
    headers: BOTH,
    compared: [PG25('ServersUpdate.json'), PG25('ServersPromoteReplicaAsForcedStandaloneServer.json')],
    sdkApiVersion: '2025-08-01',
  },
  {
    operation: 'MySqlServers_ListReplicas',
    operationId: 'Replicas_ListByServer',
    statuses: [200],
    body: { must: ['value', 'value[].id', 'value[].name', 'value[].type', 'value[].location', 'value[].sku.name', 'value[].properties.state', 'value[].properties.replicationRole', 'value[].properties.replicaCapacity', 'value[].properties.sourceServerResourceId'], mustNot: FLAT.map((k) => `value[].${k}`) },
    compared: [MYSQL('ReplicasListByServer.json')],
    sdkApiVersion: '2021-05-01',
  },
  {
    operation: 'PostgreSqlServers_ListReplicas',
    operationId: 'Replicas_ListByServer',
    statuses: [200],
    body: {
      must: ['value', 'value[].id', 'value[].name', 'value[].type', 'value[].location', 'value[].sku.name', 'value[].sku.tier', 'value[].properties.state', 'value[].properties.replicationRole', 'value[].properties.replicaCapacity', 'value[].properties.replica.role', 'value[].properties.replica.capacity', 'value[].properties.replica.replicationState'],
      mustNot: FLAT.map((k) => `value[].${k}`),
    },
    compared: [PG25('ReplicasListByServer.json')],
    sdkApiVersion: '2025-08-01',
  },

  // ---- Long-running operations and errors, whatever the type ----
  {
    operation: 'AsyncOperation_Get',
    operationId: '(Azure-AsyncOperation status resource)',
    statuses: [200],
    body: { must: ['id', 'name', 'status', 'startTime'] },
    compared: [MYSQL('OperationResults_Get.json'), RPC],
  },
  {
    operation: 'OperationResult_Get',
    operationId: '(Location polling)',
    statuses: [202],
    body: 'none',
    headers: ['location'],
    compared: [RPC],
  },
  { operation: 'OperationResult_Get', operationId: '(Location polling, finished DELETE)', statuses: [200, 204], body: 'none', compared: [RPC] },
  {
    operation: 'Error',
    operationId: '(ARM error response)',
    statuses: [400, 401, 403, 404, 405, 409, 412, 429, 500, 503],
    body: { must: ['error.code', 'error.message'] },
    compared: [{ spec: `${SPEC}/common-types/resource-management/v5/types.json#/definitions/ErrorResponse`, apiVersion: 'v5' }, RPC],
  },
];

/**
 * Keys a response must have when its body is of one kind (rows above hold for every body of an
 * operation). A CopyStart snapshot (a cross-region copy of an incremental snapshot) shows the copy's
 * progress: `properties.completionPercent`, 100 when the snapshot can be used (the Snapshot model of
 * DiskRP 2025-01-02 and learn.microsoft.com "Copy an incremental snapshot to a new region"; the
 * example's 202/200 bodies carry creationData.createOption CopyStart and sourceResourceId).
 */
export interface ConditionalRow {
  operations: string[];
  when: { path: string; equals: string };
  must: string[];
  compared: ContractRow['compared'];
}

export const CONDITIONAL: readonly ConditionalRow[] = [
  {
    operations: ['Snapshots_CreateOrUpdate', 'Snapshots_Get', 'OperationResult_Get'],
    when: { path: 'properties.creationData.createOption', equals: 'CopyStart' },
    must: ['properties.creationData.sourceResourceId', 'properties.incremental', 'properties.completionPercent'],
    compared: [{ spec: `${DISK}/snapshotExamples/Snapshot_Create_FromAnExistingSnapshotInDifferentRegion.json`, apiVersion: '2025-01-02' }, { spec: 'learn.microsoft.com/azure/virtual-machines/disks-copy-incremental-snapshot-across-regions (Check copy status: CompletionPercent)', apiVersion: '2025-01-02' }],
  },
];

/** Every value reached by a path, with `[]` fanning out over arrays; missing steps yield nothing. */
function reach(value: unknown, parts: string[]): { found: unknown[]; missing: boolean } {
  if (parts.length === 0) return { found: [value], missing: false };
  const [head, ...rest] = parts as [string, ...string[]];
  const each = head.endsWith('[]');
  const key = each ? head.slice(0, -2) : head;
  if (value === null || typeof value !== 'object' || !(key in (value as object))) return { found: [], missing: true };
  const next = (value as Record<string, unknown>)[key];
  if (!each) return reach(next, rest);
  if (!Array.isArray(next)) return { found: [], missing: true };
  const out = { found: [] as unknown[], missing: false };
  for (const item of next) {
    const r = reach(item, rest);
    out.found.push(...r.found);
    out.missing ||= r.missing;
  }
  return out;
}

/** The contract rows for an operation and status. */
export function rowFor(operation: string, status: number): ContractRow | undefined {
  return CONTRACT.find((r) => r.operation === operation && r.statuses.includes(status));
}

/** What is wrong with one response against the table (empty when it holds). */
export function checkResponse(r: RecordedResponse): string[] {
  const where = `${r.method} ${r.path} -> ${r.status} (${r.operation})`;
  const row = rowFor(r.operation, r.status);
  if (!row) return [`${where}: no contract row for this operation and status`];
  const problems: string[] = [];
  for (const h of ['x-ms-request-id', 'x-ms-correlation-request-id', ...(row.headers ?? [])]) {
    if (!r.headers[h]) problems.push(`${where}: header ${h} is missing`);
  }
  // Subscription-scoped calls carry x-ms-ratelimit-remaining-subscription-*, tenant-level ones (Subscriptions_List) -tenant-*.
  const bucketHeader = r.operation === 'Subscriptions_List' ? 'x-ms-ratelimit-remaining-tenant-' : 'x-ms-ratelimit-remaining-subscription-';
  if (r.operation !== 'Error' && !Object.keys(r.headers).some((h) => h.startsWith(bucketHeader))) {
    problems.push(`${where}: no ${bucketHeader}* header`);
  }
  if (r.status === 429 && !r.headers['retry-after']) problems.push(`${where}: a 429 without Retry-After`);
  for (const h of ['location', 'azure-asyncoperation']) {
    if (r.headers[h] && !/^https?:\/\//.test(r.headers[h]!)) problems.push(`${where}: ${h} is not an absolute URL`);
  }
  if (row.body === 'none') {
    if (r.body !== undefined) problems.push(`${where}: a body where the contract has none`);
    return problems;
  }
  if (r.body === undefined) return [...problems, `${where}: no body`];
  for (const path of row.body.must) {
    if (reach(r.body, path.split('.')).missing) problems.push(`${where}: missing ${path}`);
  }
  for (const path of row.body.mustNot ?? []) {
    const got = reach(r.body, path.split('.'));
    if (got.found.length > 0) problems.push(`${where}: has ${path}, which the wire format never carries there`);
  }
  for (const c of CONDITIONAL) {
    if (!c.operations.includes(r.operation)) continue;
    if (!reach(r.body, c.when.path.split('.')).found.includes(c.when.equals)) continue;
    for (const path of c.must) if (reach(r.body, path.split('.')).missing) problems.push(`${where}: missing ${path} (${c.when.path} ${c.when.equals})`);
  }
  if (r.operation === 'AsyncOperation_Get') {
    const b = r.body as Record<string, unknown>;
    if (!['InProgress', 'Succeeded', 'Failed', 'Canceled'].includes(String(b.status))) problems.push(`${where}: status ${String(b.status)} is not an ARM status`);
    if ((b.status === 'Failed' || b.status === 'Canceled') && (reach(b, ['error', 'code']).missing || reach(b, ['error', 'message']).missing)) {
      problems.push(`${where}: a ${String(b.status)} operation without error.code and error.message`);
    }
  }
  if (typeof (r.body as { id?: unknown }).id === 'string' && r.operation.endsWith('_Get') && !(r.body as { id: string }).id.startsWith('/subscriptions/')) {
    problems.push(`${where}: id is not a full ARM resource id`);
  }
  return problems;
}
