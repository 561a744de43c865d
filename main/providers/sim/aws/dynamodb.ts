// DynamoDB on the sim provider: a global-table replica in the target region (same table name); failover
// applies the metadata and deletes that replica link, leaving the customer's other replicas alone.

import { awsAccountNumber, type EnvLike } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface DynamoSettings {
  billingMode: string;
  provisionedThroughput: { readCapacityUnits: number; writeCapacityUnits: number } | null;
  ttl: { enabled: boolean; attributeName: string | null };
  pointInTimeRecovery: boolean;
  streamViewType: string;
  globalSecondaryIndexes: { name: string; partitionKey: string }[];
  tableClass: string;
  sseType: string;
  deletionProtection: boolean;
}

const tableArn = (env: EnvLike, name: string) => `arn:aws:dynamodb:${env.region}:${awsAccountNumber(env)}:table/${name}`;

export const awsDynamodb: ReplicaTypeSpec = {
  family: 'replica',
  type: 'aws.dynamodb',
  linkKind: 'GlobalTableReplica',
  failoverRemovesLink: true,
  promoted: { replicaStatus: 'STANDALONE' },
  replicaState: { replicaStatus: 'ACTIVE', globalTableVersion: '2019.11.21' },
  settings: [
    'billingMode',
    'provisionedThroughput',
    'ttl',
    'pointInTimeRecovery',
    'streamViewType',
    'globalSecondaryIndexes',
    'tableClass',
    'sseType',
    'deletionProtection',
  ],
  inventory: {
    count: [1, 2],
    make(g) {
      const name = g.name(['sessions', 'carts', 'orders', 'feature-flags', 'idempotency-keys']);
      const onDemand = g.pick.chance(0.6);
      const ttl = name === 'sessions' || name === 'carts' || name === 'idempotency-keys';
      const settings: DynamoSettings = {
        billingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
        provisionedThroughput: onDemand ? null : { readCapacityUnits: g.pick.pick([50, 200, 1000]), writeCapacityUnits: g.pick.pick([25, 100, 500]) },
        ttl: { enabled: ttl, attributeName: ttl ? 'expiresAt' : null },
        pointInTimeRecovery: g.pick.chance(0.7),
        // Global tables replicate through streams.
        streamViewType: 'NEW_AND_OLD_IMAGES',
        globalSecondaryIndexes: name === 'orders' ? [{ name: 'by-customer', partitionKey: 'customerId' }] : [],
        tableClass: g.pick.pick(['STANDARD', 'STANDARD_INFREQUENT_ACCESS']),
        sseType: g.pick.pick(['AWS_OWNED', 'KMS']),
        deletionProtection: g.pick.chance(0.5),
      };
      const replication = g.pick.chance(0.3)
        ? [
            {
              id: `replica-${g.pick.hex(6)}`,
              kind: 'GlobalTableReplica',
              policyId: null,
              destination: tableArn({ ...g.env, region: 'ap-southeast-2' }, name),
              destinationRegion: 'ap-southeast-2',
              createdAt: '2025-01-20T08:00:00.000Z',
            },
          ]
        : [];
      return { kind: 'Table', name, nativeId: tableArn(g.env, name), tags: g.tags(name), attributes: { ...settings, replication } };
    },
    summarize(r) {
      const s = r.attributes as unknown as DynamoSettings;
      return `${s.billingMode}${s.globalSecondaryIndexes.length ? `, ${s.globalSecondaryIndexes.length} GSI` : ''}${s.ttl.enabled ? ', TTL' : ''}${s.pointInTimeRecovery ? ', PITR' : ''}`;
    },
  },
  replica(source, target) {
    return { name: source.name, nativeId: tableArn(target, source.name) };
  },
  testCopy(name, target) {
    return { name, nativeId: tableArn(target, name) };
  },
};
