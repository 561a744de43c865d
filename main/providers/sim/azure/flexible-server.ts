// Azure MySQL / PostgreSQL flexible server on the sim provider (one shape, two engines): a read replica
// in the target; failover applies the latest point's metadata and deletes the read-replica link.

import type { ResourceTypeId } from '../../../../shared/catalog';
import { azureId } from '../naming';
import type { ReplicaTypeSpec } from '../replica-family';

interface FlexibleSettings {
  version: string;
  sku: string;
  tier: string;
  storageGb: number;
  storageAutoGrow: boolean;
  backupRetentionDays: number;
  geoRedundantBackup: boolean;
  highAvailability: string;
  parameters: Record<string, string>;
  firewallRules: { name: string; start: string; end: string }[];
  maintenanceWindow: { day: number; hour: number };
}

export interface FlexibleEngine {
  type: Extract<ResourceTypeId, 'azure.mysql-flexible' | 'azure.postgresql-flexible'>;
  kind: string;
  providerPath: string;
  label: string;
  names: readonly string[];
  versions: readonly string[];
  parameters: () => Record<string, string>[];
}

export function flexibleServerSpec(engine: FlexibleEngine): ReplicaTypeSpec {
  const path = (name: string) => `${engine.providerPath}/flexibleServers/${name}`;
  return {
    family: 'replica',
    type: engine.type,
    linkKind: 'ReadReplica',
    failoverRemovesLink: true,
    promoted: { replicationRole: 'None' },
    replicaState: { replicationRole: 'Replica' },
    settings: [
      'version',
      'sku',
      'tier',
      'storageGb',
      'storageAutoGrow',
      'backupRetentionDays',
      'geoRedundantBackup',
      'highAvailability',
      'parameters',
      'firewallRules',
      'maintenanceWindow',
    ],
    inventory: {
      count: [1, 1],
      make(g) {
        const name = g.name(engine.names);
        const tier = g.pick.pick(['Burstable', 'GeneralPurpose', 'MemoryOptimized']);
        const settings: FlexibleSettings = {
          version: g.pick.pick(engine.versions),
          sku: tier === 'Burstable' ? 'Standard_B2ms' : tier === 'GeneralPurpose' ? 'Standard_D2ds_v4' : 'Standard_E4ds_v4',
          tier,
          storageGb: g.pick.pick([32, 64, 128, 256]),
          storageAutoGrow: true,
          backupRetentionDays: g.pick.pick([7, 14, 35]),
          geoRedundantBackup: g.pick.chance(0.4),
          highAvailability: tier === 'Burstable' ? 'Disabled' : g.pick.pick(['Disabled', 'ZoneRedundant']),
          parameters: g.pick.pick(engine.parameters()),
          firewallRules: [{ name: 'allow-app-subnet', start: '10.20.1.0', end: '10.20.1.255' }],
          maintenanceWindow: { day: g.pick.int(0, 6), hour: g.pick.int(0, 5) },
        };
        return {
          kind: engine.kind,
          name,
          nativeId: azureId(g.env, 'inventory', path(name)),
          tags: g.tags(name.replace(/^(mysql|pg)-/, '')),
          attributes: { ...settings, replication: [] },
        };
      },
      summarize(r) {
        const s = r.attributes as unknown as FlexibleSettings;
        return `${engine.label} ${s.version}, ${s.sku}, ${s.storageGb} GiB`;
      },
    },
    replica(source, target, policyToken) {
      const name = `${source.name}-dr-${policyToken}`;
      return { name, nativeId: azureId(target, 'dr', path(name)) };
    },
    testCopy(name, target) {
      return { name, nativeId: azureId(target, 'dr', path(name)) };
    },
  };
}
