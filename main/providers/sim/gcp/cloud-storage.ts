// Cloud Storage bucket on the sim provider: cross-bucket replication to a bucket in the target; failover
// applies the latest point's metadata there and deletes the replication destination on the source.

import type { ReplicaTypeSpec } from '../replica-family';

interface GcsSettings {
  storageClass: string;
  location: string;
  versioning: boolean;
  uniformBucketLevelAccess: boolean;
  lifecycleRules: { action: string; ageDays: number; storageClass?: string }[];
  cors: { origin: string[]; method: string[]; maxAgeSeconds: number }[];
  retentionPolicy: { retentionPeriodSeconds: number; locked: boolean } | null;
  softDeleteRetentionSeconds: number;
  publicAccessPrevention: string;
}

const bucketId = (name: string) => `projects/_/buckets/${name}`;

export const gcpCloudStorage: ReplicaTypeSpec = {
  family: 'replica',
  type: 'gcp.cloud-storage',
  linkKind: 'CrossBucketReplication',
  failoverRemovesLink: true,
  promoted: {},
  replicaState: { replicationRole: 'Destination' },
  settings: [
    'storageClass',
    'versioning',
    'uniformBucketLevelAccess',
    'lifecycleRules',
    'cors',
    'retentionPolicy',
    'softDeleteRetentionSeconds',
    'publicAccessPrevention',
  ],
  inventory: {
    count: [2, 3],
    make(g) {
      const name = g.name(['media-assets', 'user-uploads', 'ml-datasets', 'logs-archive', 'static-web', 'exports']);
      const settings: GcsSettings = {
        storageClass: name === 'logs-archive' ? 'NEARLINE' : 'STANDARD',
        location: g.env.region.toUpperCase(),
        versioning: g.pick.chance(0.6),
        uniformBucketLevelAccess: true,
        lifecycleRules:
          name === 'logs-archive'
            ? [{ action: 'Delete', ageDays: 365 }]
            : [{ action: 'SetStorageClass', ageDays: 90, storageClass: 'COLDLINE' }],
        cors: name === 'static-web' || name === 'media-assets' ? [{ origin: ['https://shop.example.com'], method: ['GET'], maxAgeSeconds: 3600 }] : [],
        retentionPolicy: name === 'logs-archive' ? { retentionPeriodSeconds: 2592000, locked: false } : null,
        softDeleteRetentionSeconds: 604800,
        publicAccessPrevention: name === 'static-web' ? 'inherited' : 'enforced',
      };
      const replication = g.pick.chance(0.5)
        ? [
            {
              id: `transferJobs/${g.pick.digits(19)}`,
              kind: 'CrossBucketReplication',
              policyId: null,
              destination: bucketId(`${name}-analytics-copy`),
              destinationRegion: g.env.region,
              createdAt: '2025-02-03T11:30:00.000Z',
            },
          ]
        : [];
      return { kind: 'Bucket', name, nativeId: bucketId(name), tags: g.tags(name), attributes: { ...settings, replication } };
    },
    summarize(r) {
      const s = r.attributes as unknown as GcsSettings;
      return `${s.storageClass}, ${s.location}${s.versioning ? ', versioning' : ''}`;
    },
  },
  replica(source, target, policyToken) {
    const name = `${source.name}-dr-${policyToken}`;
    return { name, nativeId: bucketId(name) };
  },
  testCopy(name) {
    return { name, nativeId: bucketId(name) };
  },
};
