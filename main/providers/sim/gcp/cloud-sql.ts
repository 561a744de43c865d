// Cloud SQL instance on the sim provider: replication keeps a cross-region read replica; failover
// applies the latest point's metadata and promotes it, deleting the read-replica link from the source.

import { gcpProject } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface CloudSqlSettings {
  databaseVersion: string;
  tier: string;
  diskSizeGb: number;
  diskType: string;
  diskAutoresize: boolean;
  availabilityType: string;
  backupConfiguration: { enabled: boolean; startTime: string; retainedBackups: number; pointInTimeRecovery: boolean };
  databaseFlags: { name: string; value: string }[];
  maintenanceWindow: { day: number; hour: number };
  insightsConfig: { queryInsightsEnabled: boolean };
  deletionProtection: boolean;
}

export const gcpCloudSql: ReplicaTypeSpec = {
  family: 'replica',
  type: 'gcp.cloud-sql',
  linkKind: 'ReadReplica',
  failoverRemovesLink: true,
  promoted: { instanceType: 'CLOUD_SQL_INSTANCE', masterInstanceName: null },
  replicaState: { instanceType: 'READ_REPLICA_INSTANCE' },
  settings: [
    'databaseVersion',
    'tier',
    'diskSizeGb',
    'diskType',
    'diskAutoresize',
    'availabilityType',
    'backupConfiguration',
    'databaseFlags',
    'maintenanceWindow',
    'insightsConfig',
    'deletionProtection',
  ],
  inventory: {
    count: [2, 2],
    make(g) {
      const name = g.name(['orders-pg', 'catalog-mysql', 'analytics-pg', 'auth-pg']);
      const mysql = name.endsWith('mysql');
      const settings: CloudSqlSettings = {
        databaseVersion: mysql ? 'MYSQL_8_0' : g.pick.pick(['POSTGRES_15', 'POSTGRES_16']),
        tier: g.pick.pick(['db-custom-2-7680', 'db-custom-4-15360', 'db-perf-optimized-N-4']),
        diskSizeGb: g.pick.pick([50, 100, 250]),
        diskType: 'PD_SSD',
        diskAutoresize: true,
        availabilityType: g.pick.pick(['ZONAL', 'REGIONAL']),
        backupConfiguration: { enabled: true, startTime: '03:00', retainedBackups: g.pick.pick([7, 14, 30]), pointInTimeRecovery: true },
        databaseFlags: mysql
          ? [{ name: 'slow_query_log', value: 'on' }]
          : [
              { name: 'max_connections', value: String(g.pick.pick([200, 400])) },
              { name: 'log_min_duration_statement', value: '500' },
            ],
        maintenanceWindow: { day: g.pick.int(1, 7), hour: g.pick.int(0, 5) },
        insightsConfig: { queryInsightsEnabled: g.pick.chance(0.6) },
        deletionProtection: true,
      };
      return {
        kind: 'SqlInstance',
        name,
        nativeId: `projects/${gcpProject(g.env)}/instances/${name}`,
        tags: g.tags(name.replace(/-(pg|mysql)$/, '')),
        attributes: { ...settings, replication: [] },
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as CloudSqlSettings;
      return `${s.databaseVersion}, ${s.tier}, ${s.diskSizeGb} GB ${s.availabilityType.toLowerCase()}`;
    },
  },
  replica(source, target, policyToken) {
    const name = `${source.name}-dr-${policyToken}`;
    return { name, nativeId: `projects/${gcpProject(target)}/instances/${name}` };
  },
  testCopy(name, target) {
    return { name, nativeId: `projects/${gcpProject(target)}/instances/${name}` };
  },
};
