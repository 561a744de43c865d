// Azure SQL database on the sim provider: replication keeps a geo-secondary on a server in the
// target; failover applies the recovery point's metadata to it (the table asks nothing more).

import { azureId } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface SqlDbSettings {
  server: string;
  sku: { name: string; tier: string; capacity: number };
  maxSizeGb: number;
  collation: string;
  backupRetentionDays: number;
  zoneRedundant: boolean;
  longTermRetention: { weekly: string; monthly: string };
  readScale: boolean;
}

const SKUS = [
  { name: 'S2', tier: 'Standard', capacity: 50 },
  { name: 'GP_Gen5', tier: 'GeneralPurpose', capacity: 2 },
  { name: 'GP_Gen5', tier: 'GeneralPurpose', capacity: 4 },
  { name: 'BC_Gen5', tier: 'BusinessCritical', capacity: 4 },
] as const;

/** ".../servers/<server>/databases/<db>" -> the server's path and the database name. */
function splitDbId(id: string): { serverPath: string; db: string } {
  const i = id.lastIndexOf('/databases/');
  return { serverPath: id.slice(0, i), db: id.slice(i + '/databases/'.length) };
}

export const azureSqlDatabase: ReplicaTypeSpec = {
  family: 'replica',
  type: 'azure.sql-database',
  linkKind: 'GeoReplicationLink',
  failoverRemovesLink: false,
  promoted: { replicationRole: 'Primary' },
  replicaState: { replicationRole: 'Secondary' },
  settings: ['sku', 'maxSizeGb', 'collation', 'backupRetentionDays', 'zoneRedundant', 'longTermRetention', 'readScale'],
  inventory: {
    count: [1, 2],
    make(g) {
      const name = g.name(['orders-db', 'billing-db', 'customers-db', 'catalog-db']);
      const server = g.shared('azure.sql-server', () => `sql-shop-${g.env.region}-${g.pick.hex(4)}`);
      const sku = g.pick.pick(SKUS);
      const settings: SqlDbSettings = {
        server,
        sku: { ...sku },
        maxSizeGb: g.pick.pick([32, 250, 500, 1024]),
        collation: 'SQL_Latin1_General_CP1_CI_AS',
        backupRetentionDays: g.pick.pick([7, 14, 35]),
        zoneRedundant: sku.tier !== 'Standard' && g.pick.chance(0.5),
        longTermRetention: { weekly: g.pick.pick(['P4W', 'P12W']), monthly: g.pick.pick(['P12M', 'PT0S']) },
        readScale: sku.tier === 'BusinessCritical',
      };
      return {
        kind: 'SqlDatabase',
        name,
        nativeId: azureId(g.env, 'inventory', `Microsoft.Sql/servers/${server}/databases/${name}`),
        tags: g.tags(name.replace(/-db$/, '')),
        attributes: { ...settings },
      };
    },
    summarize(r) {
      const s = r.attributes as unknown as SqlDbSettings;
      return `${s.sku.tier} ${s.sku.name}${s.sku.tier === 'Standard' ? '' : ` ${s.sku.capacity} vCores`}, ${s.maxSizeGb} GB`;
    },
  },
  replica(source, target, policyToken) {
    const { db } = splitDbId(source.nativeId);
    const server = `${String(source.attributes.server)}-dr-${policyToken}`;
    return { name: db, nativeId: azureId(target, 'dr', `Microsoft.Sql/servers/${server}/databases/${db}`) };
  },
  testCopy(name, _target, replica) {
    return { name, nativeId: `${splitDbId(replica.nativeId).serverPath}/databases/${name}` };
  },
};
