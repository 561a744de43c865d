// Amazon S3 bucket on the sim provider: replication adds a replication rule towards a replica bucket
// in the target region; failover applies the metadata to that bucket and deletes only that rule.

import type { ReplicaTypeSpec } from '../replica-family';

interface S3Settings {
  versioning: string;
  encryption: { algorithm: string; kmsKeyId: string | null; bucketKey: boolean };
  lifecycleRules: { id: string; prefix: string; transitionDays: number | null; storageClass: string | null; expirationDays: number | null }[];
  cors: { allowedOrigins: string[]; allowedMethods: string[]; maxAgeSeconds: number }[];
  objectLock: boolean;
  publicAccessBlock: boolean;
  objectOwnership: string;
  requestPayer: string;
}

const arn = (bucket: string) => `arn:aws:s3:::${bucket}`;

export const awsS3Bucket: ReplicaTypeSpec = {
  family: 'replica',
  type: 'aws.s3-bucket',
  linkKind: 'ReplicationRule',
  failoverRemovesLink: true,
  promoted: {},
  replicaState: { replicationRole: 'Destination' },
  settings: ['versioning', 'encryption', 'lifecycleRules', 'cors', 'objectLock', 'publicAccessBlock', 'objectOwnership', 'requestPayer'],
  inventory: {
    count: [2, 3],
    make(g) {
      // Bucket names are global; a name taken in another region is skipped by the generator.
      const name = g.name(['media-assets', 'invoices', 'logs-archive', 'static-site', 'data-lake-raw', 'backups', 'user-uploads']);
      const kms = g.pick.chance(0.5);
      const settings: S3Settings = {
        versioning: 'Enabled',
        encryption: {
          algorithm: kms ? 'aws:kms' : 'AES256',
          kmsKeyId: kms ? `arn:aws:kms:${g.env.region}:${g.pick.digits(12)}:key/${g.pick.uuid()}` : null,
          bucketKey: kms,
        },
        lifecycleRules:
          name === 'logs-archive'
            ? [{ id: 'expire-logs', prefix: '', transitionDays: 30, storageClass: 'GLACIER_IR', expirationDays: 400 }]
            : [{ id: 'abort-mpu', prefix: '', transitionDays: null, storageClass: null, expirationDays: 7 }],
        cors:
          name === 'media-assets' || name === 'static-site' || name === 'user-uploads'
            ? [{ allowedOrigins: ['https://shop.example.com'], allowedMethods: ['GET', 'HEAD'], maxAgeSeconds: 3000 }]
            : [],
        objectLock: name === 'backups',
        publicAccessBlock: name !== 'static-site',
        objectOwnership: 'BucketOwnerEnforced',
        requestPayer: 'BucketOwner',
      };
      const replication = g.pick.chance(0.5)
        ? [
            {
              id: 'compliance-copy',
              kind: 'ReplicationRule',
              policyId: null,
              destination: arn(`${name}-compliance`),
              destinationRegion: g.env.region,
              createdAt: '2024-09-12T15:02:00.000Z',
            },
          ]
        : [];
      return { kind: 'Bucket', name, nativeId: arn(name), tags: g.tags(name), attributes: { ...settings, replication } };
    },
    summarize(r) {
      const s = r.attributes as unknown as S3Settings;
      return `versioning ${s.versioning.toLowerCase()}, ${s.encryption.algorithm}${s.objectLock ? ', object lock' : ''}`;
    },
  },
  replica(source, _target, policyToken) {
    const name = `${source.name}-dr-${policyToken}`;
    return { name, nativeId: arn(name) };
  },
  testCopy(name) {
    return { name, nativeId: arn(name) };
  },
};
