// Azure storage account on the sim provider: replication adds an object-replication rule towards a
// destination account in the target; failover applies the metadata there and deletes that rule.

import { azureId, shortToken, storageAccountName } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface StorageSettings {
  sku: string;
  accountKind: string;
  accessTier: string;
  minimumTlsVersion: string;
  blobVersioning: boolean;
  changeFeed: boolean;
  containers: { name: string; publicAccess: string }[];
  cors: { allowedOrigins: string[]; allowedMethods: string[]; maxAgeSeconds: number }[];
  lifecycleRules: { name: string; tierToCoolAfterDays: number; deleteAfterDays: number | null }[];
  encryption: { keySource: string; infrastructureEncryption: boolean };
  publicNetworkAccess: string;
}

const BASES = {
  stmediaassets: ['images', 'video', 'thumbnails'],
  stinvoices: ['invoices', 'receipts'],
  stlogsarchive: ['applogs', 'auditlogs'],
  stbackups: ['sqlbackups', 'configs'],
  stuploads: ['uploads', 'quarantine'],
} as const satisfies Record<string, readonly string[]>;

export const azureStorageAccount: ReplicaTypeSpec = {
  family: 'replica',
  type: 'azure.storage-account',
  linkKind: 'ObjectReplicationRule',
  failoverRemovesLink: true,
  promoted: {},
  replicaState: { replicationRole: 'Destination' },
  settings: [
    'sku',
    'accountKind',
    'accessTier',
    'minimumTlsVersion',
    'blobVersioning',
    'changeFeed',
    'containers',
    'cors',
    'lifecycleRules',
    'encryption',
    'publicNetworkAccess',
  ],
  inventory: {
    count: [1, 2],
    make(g) {
      const base = g.name(Object.keys(BASES)) as keyof typeof BASES;
      const name = storageAccountName(`${base}${g.pick.digits(3)}`);
      const nativeId = azureId(g.env, 'inventory', `Microsoft.Storage/storageAccounts/${name}`);
      const settings: StorageSettings = {
        sku: g.pick.pick(['Standard_LRS', 'Standard_ZRS', 'Premium_LRS']),
        accountKind: 'StorageV2',
        accessTier: g.pick.pick(['Hot', 'Cool']),
        minimumTlsVersion: 'TLS1_2',
        // Object replication needs both on the source.
        blobVersioning: true,
        changeFeed: true,
        containers: BASES[base].map((c) => ({ name: c, publicAccess: 'None' })),
        cors:
          base === 'stmediaassets' || base === 'stuploads'
            ? [{ allowedOrigins: ['https://shop.example.com'], allowedMethods: ['GET', 'PUT'], maxAgeSeconds: 3600 }]
            : [],
        lifecycleRules: [
          { name: 'cool-after-30d', tierToCoolAfterDays: 30, deleteAfterDays: base === 'stlogsarchive' ? 365 : null },
        ],
        encryption: { keySource: g.pick.pick(['Microsoft.Storage', 'Microsoft.Keyvault']), infrastructureEncryption: g.pick.chance(0.3) },
        publicNetworkAccess: g.pick.pick(['Enabled', 'Disabled']),
      };
      // Some accounts already replicate elsewhere on the customer's own account; failover must keep that rule.
      const replication = g.pick.chance(0.5)
        ? [
            {
              id: `or-${g.pick.hex(8)}`,
              kind: 'ObjectReplicationRule',
              policyId: null,
              destination: azureId(g.env, 'inventory', `Microsoft.Storage/storageAccounts/starchive${g.pick.digits(4)}`),
              destinationRegion: g.env.region,
              createdAt: '2024-11-02T09:14:00.000Z',
            },
          ]
        : [];
      return { kind: 'StorageAccount', name, nativeId, tags: g.tags(base.replace(/^st/, '')), attributes: { ...settings, replication } };
    },
    summarize(r) {
      const s = r.attributes as unknown as StorageSettings;
      return `${s.sku}, ${s.accessTier} tier, ${s.containers.length} containers`;
    },
  },
  replica(source, target, policyToken) {
    const name = storageAccountName(`${source.name.slice(0, 15)}dr${policyToken}`);
    return { name, nativeId: azureId(target, 'dr', `Microsoft.Storage/storageAccounts/${name}`) };
  },
  testName: (name, jobId) => storageAccountName(`drt${shortToken(jobId)}${name}`),
  testCopy(name, target) {
    return { name, nativeId: azureId(target, 'dr', `Microsoft.Storage/storageAccounts/${name}`) };
  },
};
