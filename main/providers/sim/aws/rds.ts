// Aurora and RDS on the sim provider: a cross-region read replica (instance or Aurora cluster); failover
// applies the metadata and promotes it, deleting the read-replica link from the source.

import { awsAccountNumber, type EnvLike } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface RdsSettings {
  engine: string;
  engineVersion: string;
  instanceClass: string;
  multiAz: boolean;
  allocatedStorageGb: number | null;
  storageType: string;
  backupRetentionPeriod: number;
  preferredBackupWindow: string;
  parameterGroup: { name: string; family: string; parameters: Record<string, string> };
  deletionProtection: boolean;
  performanceInsights: boolean;
  iamAuth: boolean;
}

const rdsArn = (env: EnvLike, kind: string, name: string) =>
  `arn:aws:rds:${env.region}:${awsAccountNumber(env)}:${kind === 'DBCluster' ? 'cluster' : 'db'}:${name}`;

export const awsRds: ReplicaTypeSpec = {
  family: 'replica',
  type: 'aws.rds',
  linkKind: 'ReadReplica',
  failoverRemovesLink: true,
  promoted: { replicationRole: 'Standalone', readReplicaSource: null },
  replicaState: { replicationRole: 'ReadReplica' },
  settings: [
    'engine',
    'engineVersion',
    'instanceClass',
    'multiAz',
    'allocatedStorageGb',
    'storageType',
    'backupRetentionPeriod',
    'preferredBackupWindow',
    'parameterGroup',
    'deletionProtection',
    'performanceInsights',
    'iamAuth',
  ],
  inventory: {
    count: [1, 2],
    make(g) {
      const name = g.name(['orders-db', 'billing-db', 'inventory-db', 'accounts-db']);
      const aurora = g.pick.chance(0.5);
      const postgres = g.pick.chance(0.6);
      const engine = aurora ? (postgres ? 'aurora-postgresql' : 'aurora-mysql') : postgres ? 'postgres' : 'mysql';
      const engineVersion = postgres ? g.pick.pick(['15.8', '16.4']) : aurora ? '8.0.mysql_aurora.3.07.1' : '8.0.39';
      const family = postgres ? `${aurora ? 'aurora-' : ''}postgres${engineVersion.split('.')[0]}` : aurora ? 'aurora-mysql8.0' : 'mysql8.0';
      const settings: RdsSettings = {
        engine,
        engineVersion,
        instanceClass: g.pick.pick(['db.t4g.medium', 'db.r6g.large', 'db.r6g.xlarge', 'db.m6i.large']),
        multiAz: g.pick.chance(0.6),
        allocatedStorageGb: aurora ? null : g.pick.pick([100, 200, 500]),
        storageType: aurora ? 'aurora' : 'gp3',
        backupRetentionPeriod: g.pick.pick([7, 14, 35]),
        preferredBackupWindow: '02:00-02:30',
        parameterGroup: {
          name: `${name}-params`,
          family,
          parameters: postgres
            ? { max_connections: '400', 'rds.force_ssl': '1', log_min_duration_statement: '1000' }
            : { max_connections: '600', require_secure_transport: 'ON', slow_query_log: '1' },
        },
        deletionProtection: true,
        performanceInsights: g.pick.chance(0.5),
        iamAuth: g.pick.chance(0.3),
      };
      const kind = aurora ? 'DBCluster' : 'DBInstance';
      return { kind, name, nativeId: rdsArn(g.env, kind, name), tags: g.tags(name.replace(/-db$/, '')), attributes: { ...settings, replication: [] } };
    },
    summarize(r) {
      const s = r.attributes as unknown as RdsSettings;
      return `${s.instanceClass}, ${s.engine} ${s.engineVersion}${s.multiAz ? ', Multi-AZ' : ''}`;
    },
  },
  replica(source, target, policyToken) {
    const name = `${source.name}-dr-${policyToken}`;
    return { name, nativeId: rdsArn(target, source.kind, name) };
  },
  testCopy(name, target, replica) {
    return { name, nativeId: rdsArn(target, replica.kind, name) };
  },
};
